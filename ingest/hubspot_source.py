"""HubSpot as a source: a ticket moved to ``ROTADESK_HUBSPOT_ESCALATE_STAGE`` becomes an escalation.

Found by polling the search API (tickets in that stage, changed since the cursor, not linked yet: no
``rotadesk_message_id``), oldest change first. Each ticket is filed as a report from its contact (subject, the
ticket's description, the ticket's link), down the same road as mail: raw message on disk first, then one
escalation, which the linking step ties to this very ticket (:func:`core.store.follow.source_ticket`) instead of
creating one. The ticket -> escalation mapping is written before the report, so a crash in between files it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlite_utils import Database

from core.errors import AppError, ValidationError
from core.hubspot import HubSpotClient, modified_ms, ticket_url
from core.link_steps import UNIQUE_PROPERTY
from core.report import Report, validate
from core.settings import Settings
from core.store import follow as follow_store
from core.store import get_state, iso, set_state
from ingest.pipeline import ingest_report

log = logging.getLogger("rotadesk.hubspot_source")
CURSOR = "hubspot_source.since"
LAG = timedelta(minutes=2)  # search shows a moved ticket seconds late: re-read this much before the cursor
FIRST_LOOKBACK = timedelta(days=1)


@dataclass
class SourceSummary:
    """What one pass filed."""

    filed: int = 0
    skipped: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.filed or self.skipped)

    def __str__(self) -> str:
        return f"{self.filed} filed" + (f"; skipped: {'; '.join(self.skipped)}" if self.skipped else "")


def poll_escalated(db: Database, settings: Settings, hubspot: HubSpotClient | None, *, now: datetime) -> SourceSummary:
    """File every ticket moved to the escalate stage since the last pass."""
    summary = SourceSummary()
    if not settings.hubspot_escalate_stage or hubspot is None or settings.local_only:
        return summary
    raw = get_state(db, CURSOR)
    since = (datetime.fromisoformat(raw) if raw else now - FIRST_LOOKBACK) - LAG
    filters = [{"propertyName": "hs_pipeline_stage", "operator": "EQ", "value": settings.hubspot_escalate_stage},
               {"propertyName": UNIQUE_PROPERTY, "operator": "NOT_HAS_PROPERTY"}]
    for record in hubspot.modified_since("tickets", since, ("subject", "content"), filters):
        try:
            if file_ticket(db, settings, hubspot, str(record["id"]), now=now):
                summary.filed += 1
        except ValidationError as exc:  # this ticket can never be filed as it is: say so and go on
            summary.skipped.append(f"ticket {record['id']}: {exc}")
        except AppError as exc:  # stop here; the next pass starts again at this ticket
            summary.skipped.append(f"ticket {record['id']}: {exc}")
            set_state(db, CURSOR, iso(datetime.fromtimestamp(modified_ms(record) / 1000, timezone.utc) + LAG))
            return summary
    set_state(db, CURSOR, iso(now))
    return summary


def file_ticket(db: Database, settings: Settings, hubspot: HubSpotClient, ticket_id: str, *, now: datetime) -> bool:
    """File one ticket as an escalation; False when it has no contact to be the customer or was filed before."""
    ticket = hubspot.get_ticket(ticket_id, ("content", "subject", UNIQUE_PROPERTY))
    if ticket is None or ticket.properties.get(UNIQUE_PROPERTY):
        return False  # gone, or linked already
    contact = hubspot.get_contact(ticket.contact_ids[0]) if ticket.contact_ids else None
    if contact is None or not contact.email:
        log.warning("HubSpot ticket %s has no contact with an email; it cannot be an escalation", ticket_id)
        return False
    owner = hubspot.owner(ticket.owner_id) if ticket.owner_id else None
    report = Report(customer_email=contact.email, customer_name=" ".join(p for p in (contact.firstname,
                    contact.lastname) if p), subject=(ticket.subject or "HubSpot ticket")[:200],
                    body=(ticket.content or ticket.subject or "(no description)")[:50_000], source="hubspot",
                    reported_by=owner.display_name if owner else "HubSpot",
                    link=ticket_url(hubspot.portal_id(), ticket_id))
    report = validate(report)  # tidied as filing tidies it, so the Message-ID is the one the escalation gets
    message_id = report.message_id
    follow_store.remember_source(db, ticket_id, message_id, now)  # first, so linking uses this ticket
    outcome = ingest_report(db, settings, report, now=now)
    return outcome.status != "duplicate"
