"""Escalations: what customers are waiting on, with their context, and one escalation in detail.

Email content (subject, body, note, names) is shown only through text, code and table elements,
which render neither Markdown nor HTML.
"""

from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from core import escalations as esc
from core.errors import AppError
from core.link_steps import paused_until
from core.store import board as board_store
from core.store import intake
from ui.customer_files import show_customer_files
from ui.deps import get_db, settings_or_stop
from ui.flash import flash, show_flashes
from ui.same_bug import show_same_bug

st.session_state.setdefault("escalations.selected", None)

EMPTY = ("No open escalations. Forward a customer's bug email to the intake inbox, or import .eml files with "
         "`python -m ingest import PATH`.")
LINKS = {
    "linear_url": st.column_config.LinkColumn("Linear issue"),
    "hubspot_ticket_url": st.column_config.LinkColumn("HubSpot ticket", display_text="open ticket"),
    "age_hours": None,
}
PAGE_SIZE = 50
SORTS = {"tier": "Tier, then oldest first", "impact": "Impact: the linked issue's top tier, revenue, customers"}


def show_detail(db, linked: esc.Escalation) -> None:
    """One escalation in full; ``linked`` is its table row, which carries the HubSpot and Linear links."""
    row = intake.escalation(db, linked.id)
    if row is None:
        st.info(f"Escalation #{linked.id} is gone; pick another one.")
        return
    e = esc.from_row(row)
    st.subheader(f"Escalation #{e.id}")
    st.text(e.subject)  # text, not a heading: the subject comes from the customer's email
    st.dataframe([
        {"field": "subject", "value": e.subject},
        {"field": "customer", "value": e.customer_name},
        {"field": "address", "value": e.customer_address},
        {"field": "company", "value": e.company or e.customer_domain},
        {"field": "tier", "value": e.tier or "unknown"},
        {"field": "forwarded by", "value": e.forwarded_by},
        {"field": "received", "value": row.get("received_at") or ""},
        {"field": "status", "value": e.status},
    ], hide_index=True, key="escalations.detail_context")
    with st.container(horizontal=True, key="escalations.actions"):
        if linked.linear_url.startswith("https://"):
            st.link_button(f"Open {linked.linear_identifier or 'the issue'} in Linear", linked.linear_url)
        if linked.hubspot_ticket_url.startswith("https://"):
            st.link_button("Open the HubSpot ticket", linked.hubspot_ticket_url)
        status_buttons(db, e)
    st.markdown("**Customer's message**")
    st.text(row.get("body") or "(empty message)")
    if row.get("note"):
        st.markdown("**Forwarder's note**")
        st.text(row["note"])
    st.markdown("**Attachments**")
    if row["attachments"]:
        columns = ("filename", "content_type", "size", "stored")
        st.dataframe([{k: a.get(k) for k in columns} for a in row["attachments"]], hide_index=True,
                     key="escalations.attachments")
        show_customer_files(row)
    else:
        st.text("No attachments.")
    show_followups(db, e.id)
    show_same_bug(db, e.id)
    show_others(db, e)


def status_buttons(db, e: esc.Escalation) -> None:
    """Close an escalation by hand (answered without a code change, a duplicate, spam) or open it again.
    A linked one also closes by itself when its Linear issue is done."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if e.is_open:
        if st.button("Mark done", key=f"escalations.done.{e.id}"):
            intake.set_escalation_status(db, e.id, esc.DONE_STATUS, now)
            flash("escalations", f"Escalation #{e.id} is done.")
            st.rerun()
        if st.button("Won't fix", key=f"escalations.wont_fix.{e.id}"):
            intake.set_escalation_status(db, e.id, esc.WONT_FIX_STATUS, now)
            flash("escalations", f"Escalation #{e.id} is closed as won't fix.")
            st.rerun()
    elif st.button("Reopen", key=f"escalations.reopen.{e.id}"):
        intake.set_escalation_status(db, e.id, "open", now)
        flash("escalations", f"Escalation #{e.id} is open again.")
        st.rerun()


def show_followups(db, escalation_id: int) -> None:
    st.markdown("**Follow-ups**")
    followups = intake.followups(db, escalation_id)
    if not followups:
        st.text("No follow-ups yet.")
    for f in followups:
        st.text(f"{f.get('received_at') or ''} · {f.get('sender') or 'unknown sender'}")
        st.code(f.get("body") or "", language=None, wrap_lines=True)


def show_others(db, e: esc.Escalation) -> None:
    st.markdown("**The customer's other escalations**")
    same_customer = intake.customer_escalations(db, e.customer_domain) if e.customer_domain else []
    others = [r for r in same_customer if r["id"] != e.id]
    if not others:
        st.text("None.")
        return
    st.dataframe([{"id": r["id"], "subject": r.get("subject"), "status": r.get("status"),
                   "received": r.get("received_at")} for r in others], hide_index=True, key="escalations.others")


settings = settings_or_stop()
st.title("Escalations")
show_flashes("escalations")
if settings.local_only:
    st.info("Local-only mode: escalations live in this database; set ROTADESK_HUBSPOT_TOKEN and "
            "ROTADESK_LINEAR_API_KEY to link them.")

try:
    db = get_db()
    statuses = sorted({*board_store.statuses(db), "open"})
except AppError as exc:
    st.error(str(exc))
    st.stop()
if not settings.local_only:
    for service, name in (("hubspot", "HubSpot"), ("linear", "Linear")):
        until = paused_until(db, service, datetime.now(timezone.utc))
        if until:
            st.warning(f"{name}'s rate limit is spent: new escalations wait here and are linked after {until} "
                       "(UTC). Nothing is lost.")

tiers = [*esc.TIER_ORDER, board_store.UNKNOWN_TIER]
c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
status_filter = c1.multiselect("Status", statuses, default=["open"], key="escalations.status_filter")
tier_filter = c2.multiselect("Tier", tiers, key="escalations.tier_filter")
customer_filter = c3.text_input("Customer", key="escalations.customer_filter",
                                placeholder="name, address, domain or company")
page_number = c4.number_input("Page", min_value=1, step=1, key="escalations.page")
search = st.text_input("Search", key="escalations.search",
                       placeholder="words in the subject, the message, the customer or the company")
sort = st.selectbox("Sort", list(SORTS), format_func=SORTS.get, key="escalations.sort")
board = board_store.BoardFilter(tuple(status_filter), tuple(tier_filter), customer_filter, search)


@st.fragment(run_every="60s")
def live_panel(board: board_store.BoardFilter, page_number: int, sort: str) -> list[esc.Escalation]:
    """Header numbers (over every escalation), the overdue warning and one page of the table; refreshes itself
    every minute. Everything is counted, filtered, sorted and paged by the database."""
    now = datetime.now(timezone.utc)
    totals = board_store.summary(db)
    summary = esc.summary_from(totals.open, totals.top_tier_open, totals.oldest_open_at, now)
    m1, m2, m3 = st.columns(3)
    m1.metric("Open", summary.open)
    m2.metric("Enterprise open", summary.top_tier_open)
    m3.metric("Oldest open", esc.format_age(summary.oldest_age))
    if summary.open == 0 and board == board_store.BoardFilter(statuses=("open",)):
        st.info(EMPTY)
        return []
    total = board_store.count(db, board)
    if not total:
        st.info("No escalations match these filters. Clear the customer filter or the search, or pick more "
                "statuses or tiers.")
        return []
    late, most_late = board_store.overdue(db, board, *esc.due_cutoffs(now))
    if late:
        st.warning(f"{late} {'escalation has' if late == 1 else 'escalations have'} waited longer "
                   "than their tier allows: " + ", ".join(f"#{i}" for i in most_late))
    pages = -(-total // PAGE_SIZE)
    number = min(int(page_number), pages)
    rows = board_store.page(db, board, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, sort=sort)
    shown = [esc.from_row(r) for r in rows]
    st.dataframe(esc.table_rows(shown, now), hide_index=True, column_config=LINKS, key="escalations.table")
    first = (number - 1) * PAGE_SIZE + 1
    st.caption(f"{first}–{first + len(shown) - 1} of {total} · page {number} of {pages}")
    return shown


shown = live_panel(board, page_number, sort) or []
if shown:
    by_id = {e.id: e for e in shown}
    ids = list(by_id)
    labels = {e.id: f"#{e.id} {e.subject} — {e.customer_label}" for e in shown}
    if st.session_state["escalations.selected"] not in ids:
        st.session_state["escalations.selected"] = ids[0]
    selected = st.selectbox("Escalation", ids, format_func=labels.get, key="escalations.selected")
    try:
        show_detail(db, by_id[int(selected)])
    except AppError as exc:
        st.error(str(exc))
