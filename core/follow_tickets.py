"""Context that stays true, part three: a customer's other open tickets in the issue's context block.

The context block lists the contact's other open HubSpot tickets as they were at linking. When one of them
changes (opened, closed, renamed), the list is read again and the block's list rewritten in place (only Rotadesk's
list; what a person wrote stays). Tickets changed since the last pass are asked about five contacts per search
(one filter group each), and only a contact with a change costs a second search. Linear is written before the
recorded context, so a crash between the two rewrites the same text on the next pass; a pass with nothing new
writes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlite_utils import Database

from core import context as cx
from core.context import CustomerContext
from core.errors import AppError
from core.escalations import CLOSED_STATUSES
from core.follow import FIRST_LOOKBACK, LAG, FollowSummary
from core.hubspot import HubSpotClient
from core.linear import LinearClient
from core.settings import Settings
from core.store import follow as store
from core.store import get_state, iso, set_state
from core.store import links as links_store

TICKETS_CURSOR = "follow.tickets_since"
PER_SEARCH = 5  # HubSpot's search takes up to five filter groups, OR'd


def follow_open_tickets(db: Database, settings: Settings, hubspot: HubSpotClient | None,
                        linear: LinearClient | None, *, now: datetime) -> FollowSummary:
    """Rewrite the other-open-tickets line of each open linked escalation whose contact's tickets changed."""
    summary = FollowSummary()
    if settings.local_only or hubspot is None or linear is None:
        return summary
    by_contact: dict[str, list[dict]] = {}
    for row in store.linked(db):
        if row.get("hubspot_contact_id") and (row.get("status") or "open").lower() not in CLOSED_STATUSES:
            by_contact.setdefault(str(row["hubspot_contact_id"]), []).append(row)
    raw = get_state(db, TICKETS_CURSOR)
    since = (datetime.fromisoformat(raw) if raw else now - FIRST_LOOKBACK) - LAG
    contacts = sorted(by_contact)
    try:
        for start in range(0, len(contacts), PER_SEARCH):
            batch = contacts[start:start + PER_SEARCH]
            if not hubspot.contacts_with_changed_tickets(batch, since):
                continue
            for contact_id in batch:
                tickets = hubspot.open_tickets_for_contact(contact_id)
                summary.updated += sum(_apply(db, hubspot, linear, row, tickets, now) for row in by_contact[contact_id])
    except AppError as exc:  # the cursor stays: the next pass asks again from the same moment
        summary.failed.append(str(exc))
        return summary
    set_state(db, TICKETS_CURSOR, iso(now))
    return summary


def _apply(db: Database, hubspot: HubSpotClient, linear: LinearClient, row: dict, tickets: list, now: datetime) -> bool:
    ctx = CustomerContext.from_json(row["ctx"])
    fresh = cx.other_tickets(tickets, ctx.portal_id or hubspot.portal_id(), exclude=str(row["hubspot_ticket_id"]))
    if fresh == ctx.other_tickets:
        return False
    updated = replace(ctx, other_tickets=fresh)
    if not (row["issue"] or {}).get("attached"):  # an attached escalation's block belongs to the issue's own
        issue = linear.get_issue(row["linear_issue_id"])
        description = cx.with_context(issue.description, cx.context_lines(row, updated))
        if description != issue.description:
            linear.update_issue(issue.id, description=description)
    links_store.finish_step(db, row["escalation_id"], "hubspot_context", updated.to_json(), now)
    return True
