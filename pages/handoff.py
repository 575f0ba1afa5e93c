"""Handoff: the outgoing engineer's one page (fixed, triaged, still open, what to prioritise) for planning."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import streamlit as st

from core import capacity as cap
from core import handoff as ho
from core import retro, timefmt
from core.errors import AppError
from core.store import audit, iso, ops, planning
from ui.deps import get_db, get_person, settings_or_stop
from ui.flash import flash, show_flashes

FIELDS = ("fixed", "triaged", "still_open", "priorities", "notes")
LABELS = {"fixed": "Fixed", "triaged": "Triaged into the backlog", "still_open": "Still open",
          "priorities": "What to prioritise", "notes": "Notes"}
PULSE_WHO = {"engineer": "the engineer on rotation", "support": "support"}
st.session_state.setdefault("handoff.loaded_week", None)


def load_into_form(handoff: ho.Handoff) -> None:
    """Put a handoff's text into the form's widgets (before they are drawn)."""
    for name in FIELDS:
        st.session_state[f"handoff.{name}"] = getattr(handoff, name)
    st.session_state["handoff.loaded_week"] = handoff.week_start.isoformat()


def drafted(db, week: date, engineer: str) -> ho.Handoff:
    start, end = ho.week_window(week, tz)
    return ho.draft(ops.week_escalations(db, iso(start), iso(end)), week, tz, now, engineer_email=engineer)


def week_label(week: str) -> str:
    row = schedule.get(week) or {}
    return f"{week} · {row.get('engineer_name') or row.get('engineer_email') or 'nobody scheduled'}"


def edited(week: date, engineer: str) -> ho.Handoff:
    return ho.Handoff(week, engineer, **{name: st.session_state[f"handoff.{name}"] for name in FIELDS})


settings = settings_or_stop()
tz = ZoneInfo(settings.team_timezone)
now = datetime.now(timezone.utc)
today = now.astimezone(tz).date()
st.title("Handoff")
st.caption("The outgoing engineer's one page for the next planning meeting: fixed, triaged, still open, "
           "and what to prioritise.")
show_flashes("handoff")

try:
    db = get_db()
    schedule = {str(r["week_start"])[:10]: r for r in ops.rotation_weeks(db)}
except AppError as exc:
    st.error(str(exc))
    st.stop()

if not schedule:
    st.info("No rotation weeks are scheduled yet; plan them on the Calendar page. Meanwhile you can write "
            "a handoff for this week.")
weeks = sorted(schedule) or [cap.week_start_of(today, settings.week_start_index).isoformat()]
default = ho.current_week(weeks, today)
week_key = st.selectbox("Rotation week", weeks, index=weeks.index(default.isoformat()) if default else 0,
                        key="handoff.week", format_func=week_label)
week = date.fromisoformat(week_key)
engineer = (schedule.get(week_key) or {}).get("engineer_email") or ""

try:
    saved = ops.handoff(db, week_key)
    if st.session_state["handoff.loaded_week"] != week_key:
        load_into_form(ho.from_saved(saved) if saved else drafted(db, week, engineer))
    if st.button("Redraft from this week's escalations", key="handoff.redraft"):
        load_into_form(drafted(db, week, engineer))
except AppError as exc:
    st.error(str(exc))
    st.stop()

st.caption(f"Submitted {saved['submitted_at']}; submitting again replaces it." if saved and saved.get("submitted_at")
           else "Drafted from the week's escalations; edit it, one item per line, then submit.")
with st.form("handoff.form"):
    for name in FIELDS:
        st.text_area(LABELS[name], key=f"handoff.{name}", height=120)
    st.markdown("**Pulse:** how was the week, from 1 (rough) to 5 (great)? Optional; the retro trends it.")
    for column, role in zip(st.columns(2), retro.PULSE_ROLES):
        column.radio(f"Rating from {PULSE_WHO[role]}", [None, 1, 2, 3, 4, 5], key=f"handoff.pulse.{role}",
                     horizontal=True, format_func=lambda r: "–" if r is None else str(r))
        column.text_input(f"Comment from {PULSE_WHO[role]}", key=f"handoff.pulse.{role}_comment")
    allowed = get_person().can("handoff.submit")
    if st.form_submit_button("Submit handoff", key="handoff.submit", type="primary", disabled=not allowed,
                             help=None if allowed else "Viewers read handoffs; members submit them."):
        try:
            final = ho.submit(edited(week, engineer), now)
            pulse = {role: (st.session_state[f"handoff.pulse.{role}"],
                            st.session_state[f"handoff.pulse.{role}_comment"]) for role in retro.PULSE_ROLES}
            counts = {name: len(ho.items(getattr(final, name) or "")) for name in FIELDS if name != "notes"}
            with audit.performed(db, get_person(), "handoff.submit", f"handoff {week_key}", now=now,
                                 changes={"engineer": engineer, "items": counts, "replaced": bool(saved),
                                          "pulse": sorted(r for r, (rating, _) in pulse.items() if rating)}):
                planning.save_pulses(db, week_key, pulse, iso(now))  # checks every answer before it writes any
                ops.save_handoff(db, ho.to_row(final))
        except AppError as exc:
            st.error(str(exc))
        else:
            flash("handoff", f"Handoff for the week of {week_key} saved.")
            st.rerun()

names = ops.engineer_names(db)
markdown = ho.render_markdown(edited(week, engineer), names=names)
st.subheader("Preview")
with st.container(border=True, key="handoff.preview"):
    st.markdown(markdown)  # every item is escaped by render_markdown: customer text renders as typed
st.download_button("Download Markdown", markdown, file_name=f"handoff-{week_key}.md", mime="text/markdown",
                   key="handoff.download")

st.subheader("Past handoffs")
past = ops.handoffs(db)
if past:
    st.dataframe([{"Week": timefmt.day(r["week_start"], today),
                   "Engineer": r.get("engineer_name") or r.get("engineer_email") or "",
                   "Submitted": timefmt.when(r.get("submitted_at"), tz, now),
                   "Priorities": len(ho.items(r.get("priorities") or ""))} for r in past],
                 hide_index=True, key="handoff.past")
else:
    st.info("No handoffs yet. The outgoing engineer submits one at the end of each rotation week.")
