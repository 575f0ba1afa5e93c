"""Calendar: the rotation a quarter at a glance, who is on support, swaps, the roster and the shared feeds."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import streamlit as st

from core import timefmt
from core.accounts import match_accounts
from core.calendar_feed import build_feed, feed_filename, subscribe_url
from core.errors import AppError
from core.roster import ROSTER_COLUMNS, validate_roster, validate_unavailability
from core.rotation import Schedule, swap_candidates
from core.store import audit, feeds, handovers
from core.store import rotation as store
from core.store.schedule_import import import_schedule
from ui.boundary import show_breaches
from ui.calendar_chart import calendar_cells, rotation_chart
from ui.deps import get_db, get_hubspot, get_linear, get_person, settings_or_stop
from ui.flash import flash, show_flashes

settings = settings_or_stop()
db = get_db()
actor = get_person()
now = datetime.now(timezone.utc)
FROZEN_CAPTION = {  # by ROTADESK_FREEZE_WEEKS; 3 stands for any larger number
    0: "No week is frozen: regenerating may change any week, this one included.",
    1: "This week is published and never reshuffled; regenerating only changes the weeks after it.",
    2: "This week and next week are published and never reshuffled; regenerating only changes the weeks after them.",
    3: "This week and the next {n} are published and never reshuffled; regenerating only changes the weeks after them.",
}


def changed(messages: list[str], warnings: list[str] | None = None, schedule: Schedule | None = None) -> None:
    """After any edit: replan, republish the feeds, and show what happened on the next run."""
    schedule = schedule or store.regenerate(db, settings, now)
    store.refresh_feeds(db, settings, now)
    for message in messages:
        flash("calendar", message)
    for warning in [*(warnings or []), *schedule.warnings]:
        flash("calendar", warning, "warning")
    st.rerun()


def import_roster(view) -> None:
    st.caption("Import from CSV: a header row with name and email, optionally timezone, start_date, active, "
               "linear_user_id, hubspot_owner_id. Existing engineers are updated by email.")
    upload = st.file_uploader("CSV file", type=["csv"], key="calendar.csv_upload")
    pasted = st.text_area("…or paste CSV text", key="calendar.csv_text")
    if st.button("Import CSV", key="calendar.import"):
        text = upload.getvalue().decode("utf-8-sig") if upload is not None else pasted
        try:
            with audit.performed(db, actor, "roster.edit", "roster", now=now) as changes:
                before = [e.__dict__ for e in view.engineers]
                warnings = store.import_roster_csv(db, text)
                changes.update(audit.row_changes(before, [e.__dict__ for e in store.list_engineers(db)], "email",
                                                 [c for c in ROSTER_COLUMNS if c != "email"]), imported=True)
            changed(["Roster imported."], warnings)
        except AppError as exc:
            st.error(str(exc))


st.title("Calendar")
show_flashes("calendar")

try:
    if store.ensure_schedule(db, settings, now) is not None or not (store.FEED_DIR / feed_filename()).exists():
        store.refresh_feeds(db, settings, now)
    view = store.calendar_view(db, settings, now)
except AppError as exc:
    st.error(str(exc))
    st.stop()
names = {e.email: e.name for e in view.engineers}

if not view.engineers:
    st.info("No engineers yet. Add them in the **Roster** tab below: type rows into the table and press Save, "
            "or upload (or paste) a CSV file with the columns name, email, timezone, start_date.")
else:
    this_week = next((w for w in view.weeks if w.week_start == view.current_week), None)
    backup = this_week.backup_email if this_week else None
    now_col, backup_col, next_col, team_col = st.columns(4)
    now_col.metric("On support now", names.get(view.on_support, view.on_support or "Nobody"))
    backup_col.metric("Backup this week", names.get(backup, backup or "Nobody"))
    next_col.metric("Next up", names.get(view.next_up, view.next_up or "Nobody"))
    team_col.metric("Engineers on the rotation", sum(e.active for e in view.engineers))
    # One click hands the rest of today to the backup; routing follows at once. When the backup is already on,
    # the next step is the Cover days tab.
    if backup and view.on_support == this_week.engineer_email and actor.can("rotation.out_today"):
        if st.button(f"{names.get(view.on_support, view.on_support)} is out today", key="calendar.out_today",
                     help="The rest of today goes to this week's backup."):
            try:
                with audit.performed(db, actor, "rotation.out_today", f"week {this_week.week_start}", now=now,
                                     changes={"out": view.on_support}) as changes:
                    moved = handovers.out_today(db, settings, view.on_support, decided_by=actor.email, now=now)
                    changes["covered_by"] = moved.to_email
                changed([f"{names.get(moved.to_email, moved.to_email)} is on support for the rest of today."])
            except AppError as exc:
                st.error(str(exc))

for finding in view.findings:
    st.warning(f"{finding.message}  \n**What to change:** {finding.fix}")
for conflict in view.conflicts:
    suggestions = ", ".join(names.get(s, s) for s in conflict.suggestions) or "nobody is free"
    st.error(f"Week of {conflict.week_start}: {names.get(conflict.email, conflict.email)} is unavailable "
             f"({conflict.reason}). Suggested swaps: {suggestions}.")

current_week = view.current_week
if view.weeks:
    cells = calendar_cells(view.weeks, view.engineers, view.unavailability, view.conflicts, first=view.today,
                           count=13, week_start_index=settings.week_start_index)
    st.markdown("**Who is on support, week by week**")
    st.altair_chart(rotation_chart(cells, view.engineers, current_week=current_week), key="calendar.chart")

# Tracked, so an action's rerun comes back to the tab it was taken on.
schedule_tab, swap_tab, cover_tab, roster_tab, away_tab, feed_tab = st.tabs(
    ["Schedule", "Swap a week", "Cover days", "Roster", "Time off", "Shared calendar"], key="calendar.tab",
    on_change="rerun")

with schedule_tab:
    upcoming = [w for w in view.weeks if w.week_start >= current_week]
    if upcoming:
        st.dataframe(pd.DataFrame([{"week": w.week_start, "engineer": names.get(w.engineer_email or "", "—"),
                                    "email": w.engineer_email, "backup": names.get(w.backup_email or "", "—"),
                                    "covered": "; ".join(
                                        (f"{p.first:%a}" if p.first == p.last else f"{p.first:%a}–{p.last:%a}")
                                        + f" {names.get(p.email, p.email)}"
                                        for p in view.covers.get(w.week_start, []) if p.covering),
                                    "published": w.published, "note": w.note}
                                   for w in upcoming]), hide_index=True, key="calendar.schedule")
    else:
        st.info("No schedule yet; it is planned as soon as the roster has an active engineer.")
    st.caption(FROZEN_CAPTION.get(settings.freeze_weeks, FROZEN_CAPTION[3]).format(n=settings.freeze_weeks - 1))
    regen_col, extend_col = st.columns(2) if actor.can("rotation.regenerate") else (None, None)
    try:
        if regen_col and regen_col.button("Regenerate", key="calendar.regenerate", disabled=not view.engineers):
            st.session_state["calendar.preview"] = store.preview_regenerate(db, settings, now)
        moves = st.session_state.get("calendar.preview")
        if moves is not None and actor.can("rotation.regenerate"):
            if moves:
                # Said before it is applied: these unpublished weeks would change hands.
                st.warning(f"Regenerating moves {len(moves)} unpublished week{'s' if len(moves) != 1 else ''}:")
                st.table([{"week": timefmt.day(m.week_start, now.date()),
                           "from": names.get(m.from_email or "", "nobody"),
                           "to": names.get(m.to_email or "", "nobody")} for m in moves])
            else:
                st.info("Regenerating changes no week's engineer; it only plans weeks not planned yet.")
            apply_col, cancel_col = st.columns(2)
            if apply_col.button("Apply", key="calendar.regenerate_apply", type="primary"):
                del st.session_state["calendar.preview"]
                with audit.performed(db, actor, "rotation.regenerate", "schedule", now=now,
                                     changes={"moved": len(moves)}) as changes:
                    schedule = store.regenerate(db, settings, now)
                    changes["weeks"] = len(schedule.weeks)
                changed(["Schedule regenerated; published and swapped weeks kept."], schedule=schedule)
            if cancel_col.button("Cancel", key="calendar.regenerate_cancel"):
                del st.session_state["calendar.preview"]
                st.rerun()
        if extend_col and extend_col.button("Extend by 13 weeks", key="calendar.extend", disabled=not view.engineers):
            with audit.performed(db, actor, "rotation.regenerate", "schedule", now=now,
                                 changes={"extend_weeks": 13}) as changes:
                schedule = store.regenerate(db, settings, now, extend_weeks=13)
                changes["until"] = schedule.weeks[-1].week_start
            changed([f"Schedule extended to {schedule.weeks[-1].week_start}."], schedule=schedule)
    except AppError as exc:
        st.error(str(exc))

with swap_tab:
    future = [w for w in view.weeks if w.week_start >= current_week]
    if not future:
        st.info("Nothing to swap until a schedule exists.")
    else:
        labels = {w.week_start: f"{w.week_start} — {names.get(w.engineer_email or '', 'nobody')}" for w in future}
        week = st.selectbox("Week", list(labels), format_func=labels.get, key="calendar.swap_week")
        ranked = swap_candidates(week, view.weeks, view.engineers, view.unavailability, settings.new_hire_ramp_weeks)
        st.dataframe(pd.DataFrame([{"engineer": c.name, "available": c.available, "back-to-back": c.back_to_back,
                                    "weeks from own rotation": c.weeks_away, "weeks planned": c.load,
                                    "why not": c.reason} for c in ranked]),
                     hide_index=True, key="calendar.candidates")
        options = [c.email for c in ranked if c.available]
        # Its own key per week: picking another week starts with nobody chosen.
        to_email = st.selectbox("Hand the week to", options, index=None, format_func=lambda e: names.get(e, e),
                                placeholder="Pick an engineer", key=f"calendar.swap_to.{week}")
        requested_by = st.text_input("Requested by", key="calendar.requested_by")
        decided_by = st.text_input("Decided by", key="calendar.decided_by")
        reason = st.text_input("Why", key="calendar.reason")
        if actor.can("rotation.swap") and st.button("Accept swap", key="calendar.accept_swap", type="primary",
                                                     disabled=to_email is None):
            was = next((w.engineer_email for w in future if w.week_start == week), None)
            try:
                with audit.performed(db, actor, "rotation.swap", f"week {week}", now=now,
                                     changes={"engineer": [was, to_email], "requested_by": requested_by,
                                              "decided_by": decided_by, "reason": reason}):
                    store.accept_swap(db, week, to_email, requested_by=requested_by, decided_by=decided_by,
                                      reason=reason, now=now)
                changed([f"The week of {week} now belongs to {names.get(to_email, to_email)}."])
            except AppError as exc:
                st.error(str(exc))
        if actor.can("rotation.ask_swap") and st.button("Ask them instead", key="calendar.ask_swap",
                                                         disabled=to_email is None,
                                                         help="Nothing changes until they accept below."):
            try:
                with audit.performed(db, actor, "rotation.ask_swap", f"week {week}", now=now,
                                     changes={"asked": to_email, "requested_by": requested_by, "reason": reason}):
                    handovers.ask_swap(db, week, to_email, requested_by=requested_by, reason=reason, now=now)
                changed([f"{names.get(to_email, to_email)} has been asked to take the week of {week}."])
            except AppError as exc:
                st.error(str(exc))
    requests = handovers.swap_requests(db)
    if requests:
        st.markdown("**Open swap requests**")
    for request in requests:
        asked, holder = names.get(request.to_email, request.to_email), names.get(request.from_email or "", "nobody")
        text_col, yes_col, no_col = st.columns([4, 1, 1])
        # Plain text: the reason and the names were typed by people (or sent from Slack), never rendered.
        text_col.text(f"Week of {timefmt.day(request.week_start, now.date())}: {request.requested_by or holder} "
                      f"asks {asked} to take it from {holder}. Why: {request.reason}")
        if not actor.can("rotation.answer_swap"):
            continue
        target, change = f"week {request.week_start}", {"engineer": [request.from_email, request.to_email]}
        try:
            if yes_col.button("Accept", key=f"calendar.swap_accept.{request.id}"):
                with audit.performed(db, actor, "rotation.answer_swap", target, now=now,
                                     changes={**change, "answer": "accepted"}):
                    handovers.answer_swap(db, request.id, accept=True, decided_by=request.to_email, now=now)
                changed([f"{asked} accepted: the week of {request.week_start} is theirs."])
            if no_col.button("Decline", key=f"calendar.swap_decline.{request.id}"):
                with audit.performed(db, actor, "rotation.answer_swap", target, now=now,
                                     changes={**change, "answer": "declined"}):
                    handovers.answer_swap(db, request.id, accept=False, decided_by=request.to_email, now=now)
                changed([f"{asked} declined the week of {request.week_start}."])
        except AppError as exc:
            st.error(str(exc))
    if view.overrides:
        st.caption("Swap and cover history")
        st.dataframe(pd.DataFrame([o.__dict__ for o in reversed(view.overrides)]), hide_index=True,
                     key="calendar.overrides")

with cover_tab:
    st.caption("Someone covers a day or a few days of a week without changing the plan; the calendar, the feeds, "
               "routing and capacity follow.")
    active = [e.email for e in view.engineers if e.active]
    with st.form("calendar.cover_form"):
        cover_to = st.selectbox("Who covers", active, format_func=lambda e: names.get(e, e), key="calendar.cover_to")
        first_col, last_col = st.columns(2)
        first_day = first_col.date_input("First day", value=view.today, key="calendar.cover_first")
        last_day = last_col.date_input("Last day", value=view.today, key="calendar.cover_last")
        cover_by = st.text_input("Decided by", key="calendar.cover_decided_by")
        cover_reason = st.text_input("Why", key="calendar.cover_reason")
        if st.form_submit_button("Cover these days", disabled=not active or not actor.can("rotation.cover")):
            try:
                with audit.performed(db, actor, "rotation.cover", f"{first_day}..{last_day}", now=now,
                                     changes={"covered_by": cover_to, "decided_by": cover_by,
                                              "reason": cover_reason}):
                    handovers.cover_days(db, settings, first_day, last_day, cover_to, requested_by="",
                                         decided_by=cover_by, reason=cover_reason, now=now)
                changed([f"{names.get(cover_to, cover_to)} covers {first_day} to {last_day}."])
            except AppError as exc:
                st.error(str(exc))

with roster_tab:
    roster = pd.DataFrame([e.__dict__ for e in view.engineers], columns=list(ROSTER_COLUMNS))
    roster["start_date"] = pd.to_datetime(roster["start_date"])
    roster["active"] = roster["active"].astype("boolean").fillna(True)
    edited = st.data_editor(roster, num_rows="dynamic", hide_index=True, key="calendar.roster_editor",
                            column_config={"start_date": st.column_config.DateColumn("start_date"),
                                           "active": st.column_config.CheckboxColumn("active", default=True)})
    if actor.can("roster.edit") and st.button("Save roster", key="calendar.save_roster", type="primary"):
        try:
            engineers = validate_roster(edited.to_dict("records"))
            with audit.performed(db, actor, "roster.edit", "roster", now=now, changes=audit.row_changes(
                    [e.__dict__ for e in view.engineers], [e.__dict__ for e in engineers], "email",
                    [c for c in ROSTER_COLUMNS if c != "email"])):
                gone = store.save_roster(db, engineers)
            changed(["Roster saved.", *gone])
        except AppError as exc:
            st.error(str(exc))
    hubspot, linear = get_hubspot(), get_linear()
    if (hubspot or linear) and actor.can("accounts.match") and st.button(
            "Match Linear and HubSpot accounts by email", key="calendar.match_accounts",
            help="Fills missing Linear user and HubSpot owner ids; ids you set stay."):
        try:
            with audit.performed(db, actor, "accounts.match", "roster", now=now) as changes:
                summary = match_accounts(db, hubspot, linear).summary()
                changes["summary"] = summary
            changed([summary])
        except AppError as exc:
            st.error(str(exc))
    if actor.can("roster.edit"):
        import_roster(view)
    else:
        st.caption("Only admins change the roster.")

    st.caption("Import a schedule kept elsewhere: a CSV of weeks (email or name, week_start, optionally backup) "
               "or another tool's iCal file. Past weeks count in fairness; planned weeks are kept as published.")
    schedule_file = st.file_uploader("Schedule file", type=["csv", "ics"], key="calendar.schedule_upload")
    if st.button("Import schedule", key="calendar.import_schedule", disabled=schedule_file is None):
        try:
            result = import_schedule(db, settings, schedule_file.name, schedule_file.getvalue(), now=now)
            changed([result.summary()], result.warnings)
        except AppError as exc:
            st.error(str(exc))

with away_tab:
    emails = [e.email for e in view.engineers]
    away = pd.DataFrame([{"email": u.email, "kind": u.kind, "start": u.start, "end": u.end, "reason": u.reason}
                         for u in view.unavailability], columns=["email", "kind", "start", "end", "reason"])
    for column in ("start", "end"):
        away[column] = pd.to_datetime(away[column])
    st.caption("PTO, and critical-path periods (with a reason) when someone must not rotate.")
    edited_away = st.data_editor(
        away, num_rows="dynamic", hide_index=True, key="calendar.away_editor",
        column_config={"email": st.column_config.SelectboxColumn("email", options=emails),
                       "kind": st.column_config.SelectboxColumn("kind", options=["pto", "critical"], default="pto"),
                       "start": st.column_config.DateColumn("start"), "end": st.column_config.DateColumn("end")})
    if actor.can("time_off.edit") and st.button("Save time off", key="calendar.save_away", type="primary"):
        try:
            items = validate_unavailability(edited_away.to_dict("records"), emails)
            with audit.performed(db, actor, "time_off.edit", "time off", now=now,
                                 changes=audit.period_changes(view.unavailability, items)):
                store.replace_unavailability(db, items)
            changed(["Time off saved; unpublished weeks were replanned, published ones flag conflicts."])
        except AppError as exc:
            st.error(str(exc))

with feed_tab:
    private = bool(settings.feed_secret)
    st.caption("Subscribe from Google Calendar or Outlook with a URL below; the feeds follow every change. "
               + ("Each address is secret: share it only with its owner, and make a new one if it leaks. "
                  if private else "") + "Downloads give a one-off copy.")

    def feed_link(email: str | None, key: str) -> None:
        """The subscribe address (secret with private feeds, with a button that replaces it)."""
        if not private:
            st.code(subscribe_url(settings.public_url, feed_filename(email)), language=None)
            return
        st.code(feeds.address(db, settings, email), language=None)
        if actor.can("feed.rotate") and st.button("Make a new secret link", key=key,
                                                   help="The old link stops working at once."):
            with audit.performed(db, actor, "feed.rotate", f"feed {email or 'team'}", now=now):
                feeds.rotate(db, email, now)
            changed(["A new secret link is ready; subscribe again with it."])

    team_file = feed_filename()
    feed_link(None, "calendar.rotate_team")
    st.download_button("Download team calendar", build_feed(view.weeks, view.engineers, now=now,
                                                            tz=settings.team_timezone, overrides=view.overrides,
                                                            absences=view.absences),
                       file_name=team_file, mime="text/calendar", key="calendar.download_team")
    if view.engineers:
        person = st.selectbox("Engineer", emails, format_func=lambda e: names.get(e, e), key="calendar.feed_person")
        feed_link(person, "calendar.rotate_person")
        st.download_button("Download personal calendar", build_feed(view.weeks, view.engineers, now=now,
                                                                    tz=settings.team_timezone, email=person,
                                                                    overrides=view.overrides,
                                                                    absences=view.absences),
                           file_name=feed_filename(person), mime="text/calendar", key="calendar.download_person")

show_breaches(db, view.today, "calendar")  # issue 13: non-escalation work in rotation weeks
