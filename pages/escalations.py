"""Escalations: what customers are waiting on, with their context, and one escalation in detail.

Email content (subject, body, note, names) is shown only through text, code and table elements,
which render neither Markdown nor HTML.
"""

from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from core import escalations as esc
from core import hand_close, timefmt
from core.errors import AppError
from core.link_steps import paused_until
from core.store import audit, intake
from core.store import board as board_store
from ui.customer_files import show_customer_files
from ui.deps import get_db, get_hubspot, get_person, settings_or_stop
from ui.flash import flash, show_flashes
from ui.same_bug import show_same_bug

st.session_state.setdefault("escalations.selected", None)

EMPTY = ("No open escalations. Forward a customer's bug email to the intake inbox, or import .eml files with "
         "`python -m ingest import PATH`.")
LINKS = {
    "Linear issue": st.column_config.LinkColumn(display_text=r"https://linear\.app/.*/issue/([^/]+)"),
    "HubSpot": st.column_config.LinkColumn(display_text="ticket"),
    "Subject": st.column_config.TextColumn(width="medium"),
}
PAGE_SIZE = 50
SORTS = {"tier": "Tier, then oldest first", "impact": "Impact: the linked issue's top tier, revenue, customers"}


def show_detail(db, settings, linked: esc.Escalation) -> None:
    """One escalation in full, its customer's card beside the message; ``linked`` is its table row, which
    carries the HubSpot and Linear links."""
    row = intake.escalation(db, linked.id)
    if row is None:
        st.info(f"Escalation #{linked.id} is gone; pick another one.")
        return
    e = esc.from_row(row)
    now = datetime.now(timezone.utc)
    st.subheader(f"Escalation #{e.id}")
    st.text(e.subject)  # text, not a heading: the subject comes from the customer's email
    with st.container(horizontal=True, key="escalations.actions"):
        if linked.linear_url.startswith("https://"):
            st.link_button(f"Open {linked.linear_identifier or 'the issue'} in Linear", linked.linear_url)
        if linked.hubspot_ticket_url.startswith("https://"):
            st.link_button("Open the HubSpot ticket", linked.hubspot_ticket_url)
        status_buttons(db, settings, e)
    message, card = st.columns([3, 2], gap="large")
    with message:
        st.markdown("**Customer's message**")
        st.text(f"Received {timefmt.when(e.received_at, settings.team_timezone, now)} "
                f"({timefmt.ago(e.received_at, now)}) · {e.status}"
                + (f" · forwarded by {e.forwarded_by}" if e.forwarded_by else ""))
        st.text(row.get("body") or "(empty message)")
        if row.get("note"):
            st.markdown("**Forwarder's note**")
            st.text(row["note"])
        st.markdown("**Attachments**")
        if row["attachments"]:
            st.dataframe([{"File": a.get("filename"), "Type": a.get("content_type"), "Size": a.get("size"),
                           "Kept": a.get("stored")} for a in row["attachments"]], hide_index=True,
                         key="escalations.attachments")
            show_customer_files(row)
        else:
            st.text("No attachments.")
        show_followups(db, settings, e.id, now)
    with card:
        show_customer(db, settings, e, now)
    show_same_bug(db, e.id)


def show_customer(db, settings, e: esc.Escalation, now: datetime) -> None:
    """Who the customer is, without opening HubSpot: company, tier, revenue, owner and their other tickets."""
    with st.container(border=True):
        st.markdown("**Customer**")
        customer = intake.customer_for_domain(db, e.customer_domain) if e.customer_domain else None
        st.text("\n".join([
            e.customer_name or "(no name)", e.customer_address or "(no address)",
            f"{e.company or e.customer_domain or 'Unknown company'} · tier {e.tier or 'unknown'}",
            f"Revenue: {esc.format_revenue(customer.revenue if customer else None)}",
            f"Owner: {(customer.owner if customer else None) or '–'}",
        ]))
        st.markdown("**Their other escalations**")
        others = [r for r in (intake.customer_escalations(db, e.customer_domain) if e.customer_domain else [])
                  if r["id"] != e.id]
        if not others:
            st.text("None.")
            return
        st.dataframe([{"#": r["id"], "Subject": r.get("subject"), "Status": r.get("status"),
                       "Received": timefmt.day(r.get("received_at"), now.date())}
                      for r in others], hide_index=True, key="escalations.others")


def status_buttons(db, settings, e: esc.Escalation) -> None:
    """Close an escalation by hand (answered without a code change, or won't fix) or open it again; closing
    stages the closing reply unless told not to. A linked one also closes by itself when its Linear issue is
    done."""
    person = get_person()
    if not person.can("escalation.done"):
        return
    if e.is_open:
        reply = st.checkbox("Stage a closing reply", value=True, key=f"escalations.stage_reply.{e.id}")
        if st.button("Mark done", key=f"escalations.done.{e.id}"):
            set_status(db, settings, e, "escalation.done", esc.DONE_STATUS, f"Escalation #{e.id} is done.", reply)
        if st.button("Won't fix", key=f"escalations.wont_fix.{e.id}"):
            set_status(db, settings, e, "escalation.wont_fix", esc.WONT_FIX_STATUS,
                       f"Escalation #{e.id} is closed as won't fix.", reply)
    elif st.button("Reopen", key=f"escalations.reopen.{e.id}"):
        set_status(db, settings, e, "escalation.reopen", "open", f"Escalation #{e.id} is open again.", False)


def set_status(db, settings, e: esc.Escalation, action: str, status: str, message: str, reply: bool) -> None:
    now = datetime.now(timezone.utc)
    with audit.performed(db, get_person(), action, f"escalation #{e.id}", now=now,
                         changes={"status": [e.status, status], "reply_staged": reply}):
        if status == "open":
            hand_close.reopen(db, settings, get_hubspot(), e.id, now=now)
        elif hand_close.close_by_hand(db, settings, get_hubspot(), e.id, status, now=now, stage_reply=reply):
            message += " Its closing reply is waiting on the Replies page."
    flash("escalations", message)
    st.rerun()


def show_followups(db, settings, escalation_id: int, now: datetime) -> None:
    st.markdown("**Follow-ups**")
    followups = intake.followups(db, escalation_id)
    if not followups:
        st.text("No follow-ups yet.")
    for f in followups:
        st.text(f"{timefmt.when(f.get('received_at'), settings.team_timezone, now)} · "
                f"{f.get('sender') or 'unknown sender'}")
        st.code(f.get("body") or "", language=None, wrap_lines=True)


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
asked = board_store.one(db, st.query_params.get("escalation", ""))  # a link from Office hours or a teammate
if asked is not None and asked.id not in {e.id for e in shown}:
    shown = [asked, *shown]
if asked is not None and st.session_state.get("escalations.opened") != asked.id:
    st.session_state["escalations.opened"] = st.session_state["escalations.selected"] = asked.id
if shown:
    by_id = {e.id: e for e in shown}
    ids = list(by_id)
    labels = {e.id: f"#{e.id} {e.subject} — {e.customer_label}" for e in shown}
    if st.session_state["escalations.selected"] not in ids:
        st.session_state["escalations.selected"] = ids[0]
    selected = st.selectbox("Escalation", ids, format_func=labels.get, key="escalations.selected")
    try:
        show_detail(db, settings, by_id[int(selected)])
    except AppError as exc:
        st.error(str(exc))
