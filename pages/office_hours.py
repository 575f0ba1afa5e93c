"""Office hours: the queue for today's 15-minute sync, which replaces the stream of pings."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import streamlit as st

from core import escalations as esc
from core import office_hours as oh
from core.errors import AppError
from core.store import audit, board, iso, ops
from ui.deps import get_db, get_person, settings_or_stop
from ui.flash import flash, show_flashes

NO_ESCALATION = "none"


def item_key(item: oh.QueueItem) -> str:
    return f"entry:{item.entry_id}" if item.entry_id is not None else f"escalation:{item.escalation_id}"


def gather(db, day: date) -> tuple[list[oh.QueueItem], list[esc.Escalation]]:
    rows = board.office_hours_candidates(db)
    open_items = esc.open_escalations(rows)
    queue = oh.build_queue(open_items, ops.office_hours_for_day(db, day.isoformat()),
                           latest_followups={r["id"]: r["last_followup_at"] for r in rows if r["last_followup_at"]},
                           last_discussed=ops.last_discussed(db, day.isoformat()),
                           closed_items=[e for e in map(esc.from_row, rows) if not e.is_open])
    return queue, open_items


QUEUE_COLUMNS = {  # widths that fit the queue at 1400 px without cutting the topic
    "Topic": st.column_config.TextColumn(width="large"),
    "Escalation": st.column_config.LinkColumn(display_text=r"escalation=(\d+)$", width="small"),
    "Tier": st.column_config.TextColumn(width="small"),
    "Why": st.column_config.TextColumn(width="medium"),
    "Asked by": st.column_config.TextColumn(width="small"),
    "Status": st.column_config.TextColumn(width="small"),
    "Outcome": st.column_config.TextColumn(width="medium"),
}


def show_queue(queue: list[oh.QueueItem]) -> None:
    st.dataframe([
        {"#": n, "Topic": i.title,
         "Escalation": f"/escalations?escalation={i.escalation_id}" if i.escalation_id is not None else None,
         "Customer": i.customer, "Company": i.company, "Tier": i.tier or "", "Why": i.reason,
         "Asked by": i.asked_by or "",
         "Status": i.status, "Outcome": i.outcome or ""}
        for n, i in enumerate(queue, start=1)
    ], hide_index=True, column_config=QUEUE_COLUMNS, key="office_hours.queue")


def discuss_form(db, day: date, pending: list[oh.QueueItem]) -> None:
    by_key = {item_key(i): i for i in pending}
    with st.form("office_hours.discuss_form", clear_on_submit=True):
        st.markdown("**Mark discussed**")
        choice = st.selectbox("Item", list(by_key), key="office_hours.discuss_item",
                              format_func=lambda k: f"{by_key[k].title} ({by_key[k].reason})")
        outcome = st.text_input("Outcome", key="office_hours.outcome",
                                placeholder="fix this week · triaged to backlog · answered")
        if st.form_submit_button("Mark discussed", key="office_hours.discuss"):
            item = by_key[choice]
            target = f"escalation #{item.escalation_id}" if item.escalation_id else f"topic {item.entry_id}"
            try:
                with audit.performed(db, get_person(), "office_hours.discuss", target, now=now,
                                     changes={"day": day.isoformat(), "outcome": oh.outcome_text(outcome)}):
                    ops.mark_discussed(db, day=day.isoformat(), outcome=oh.outcome_text(outcome), now=iso(now),
                                       entry_id=item.entry_id, escalation_id=item.escalation_id, topic=item.title,
                                       reason=item.reason)
            except AppError as exc:
                st.error(str(exc))
                return
            flash("office_hours", "Marked discussed.")
            st.rerun()


def topic_form(db, day: date, open_items: list[esc.Escalation]) -> None:
    labels = {NO_ESCALATION: "— none —", **{str(e.id): f"#{e.id} {e.subject}" for e in open_items}}
    with st.form("office_hours.topic_form", clear_on_submit=True):
        st.markdown("**Add a topic**")
        topic = st.text_input("Topic", key="office_hours.topic")
        asked_by = st.text_input("Asked by", key="office_hours.asked_by")
        linked = st.selectbox("Escalation (optional)", list(labels), format_func=labels.get,
                              key="office_hours.topic_escalation")
        if st.form_submit_button("Add to today's queue", key="office_hours.add"):
            try:
                row = oh.new_topic(topic, asked_by, day, now, None if linked == NO_ESCALATION else int(linked))
                with audit.performed(db, get_person(), "office_hours.topic", f"office hours {day}", now=now,
                                     changes={"escalation_id": row.get("escalation_id")}) as changes:
                    changes["topic_id"] = ops.add_topic(db, row)
            except AppError as exc:
                st.error(str(exc))
                return
            flash("office_hours", "Added to today's queue.")
            st.rerun()


settings = settings_or_stop()
now = datetime.now(timezone.utc)
today = now.astimezone(ZoneInfo(settings.team_timezone)).date()
st.title("Office hours")
st.caption("One 15-minute sync a day instead of a stream of pings. Bring it here; the engineer on rotation answers.")
show_flashes("office_hours")

day = st.date_input("Day", value=today, key="office_hours.day")
try:
    db = get_db()
    queue, open_items = gather(db, day)
except AppError as exc:
    st.error(str(exc))
    st.stop()

pending = [i for i in queue if not i.discussed]
st.metric("Items to discuss", len(pending))
st.info(oh.timebox_hint(len(pending)))
if queue:
    show_queue(queue)
else:
    st.info("Nothing on the queue. Open escalations appear here until they are discussed; "
            "add a topic below when someone asks for time.")
if get_person().can("office_hours.discuss"):
    left, right = st.columns(2)
    with left:
        if pending:
            discuss_form(db, day, pending)
    with right:
        topic_form(db, day, open_items)
