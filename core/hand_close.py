"""Closing an escalation by hand: answered without a code change, or won't fix.

The loop closes the same way as when a Linear issue is done: a closing reply is staged for a person to review and
send (in HubSpot as a task when the escalation has a ticket), unless the person closing it says not to.
"""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from core import closing
from core.errors import ValidationError
from core.escalations import DONE_STATUS, WONT_FIX_STATUS
from core.hubspot import HubSpotClient
from core.settings import Settings
from core.store import intake, iso, replies
from core.store import links as links_store

OUTCOME_FOR_STATUS = {DONE_STATUS: "answered", WONT_FIX_STATUS: "wont_fix"}
STATE_FOR_STATUS = {DONE_STATUS: ("Done by hand", "completed"), WONT_FIX_STATUS: ("Won't fix by hand", "canceled")}


def close_by_hand(db: Database, settings: Settings, hubspot: HubSpotClient | None, escalation_id: int, status: str,
                  *, now: datetime, stage_reply: bool = True) -> str | None:
    """Close ``escalation_id`` as ``status`` (done or won't fix); returns the staged reply's key, if one was."""
    if status not in OUTCOME_FOR_STATUS:
        raise ValidationError(f"an escalation is closed by hand as done or won't fix, not {status!r}")
    escalation = intake.escalation(db, escalation_id)
    if escalation is None:
        raise ValidationError(f"no escalation #{escalation_id}")
    intake.set_escalation_status(db, escalation_id, status, iso(now))
    if not stage_reply:
        return None
    link = links_store.link(db, escalation_id) or {}
    ticket = {**{k: escalation.get(k) for k in ("customer_name", "customer_address", "company", "tier", "subject")},
              "escalation_id": escalation_id, "hubspot_ticket_id": link.get("hubspot_ticket_id")}
    state_name, state_type = STATE_FOR_STATUS[status]
    # An issue of its own: the escalation's Linear issue (if any) may stay open, and must not withdraw this reply.
    issue = closing.IssueState(f"hand-{escalation_id}", link.get("linear_identifier") or f"#{escalation_id}",
                               escalation.get("subject") or "", state_name, state_type, iso(now))
    pushed = hubspot if ticket["hubspot_ticket_id"] else None
    return closing.stage_one(db, settings, pushed, ticket, issue, OUTCOME_FOR_STATUS[status], now=now)


def reopen(db: Database, settings: Settings, hubspot: HubSpotClient | None, escalation_id: int, *,
           now: datetime) -> int:
    """Open a closed escalation again; a reply staged when it was closed by hand is withdrawn (returns how many)."""
    intake.set_escalation_status(db, escalation_id, "open", iso(now))
    waiting = [r for r in replies.replies_for_issue(db, f"hand-{escalation_id}") if r["status"] in replies.ACTIVE]
    for row in waiting:
        closing.withdraw(db, settings, hubspot, row["key"], now=now, reason=f"escalation #{escalation_id} reopened")
    return len(waiting)
