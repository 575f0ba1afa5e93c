"""Open escalations with their customer context, pure: age, grouping by customer, what's due.

Rows come from ``core.store.intake.escalations`` (an escalation joined with its HubSpot/Linear link);
every function here takes ``now`` so the same rows always give the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

TIER_ORDER = ("enterprise", "business", "starter", "free")
DONE_STATUS, WONT_FIX_STATUS = "done", "wont_fix"  # set when the Linear issue is completed / canceled
CLOSED_STATUSES = frozenset({DONE_STATUS, WONT_FIX_STATUS, "closed", "resolved", "sent"})
# Hours an escalation may wait before it is due, by tier; unknown tiers get the slowest.
DEFAULT_DUE_HOURS = {"enterprise": 24, "business": 72, "starter": 120, "free": 168}
UNKNOWN_TIER_HOURS = 168


@dataclass(frozen=True)
class Escalation:
    """One escalation as the dashboard shows it."""

    id: int
    subject: str
    status: str
    received_at: datetime
    customer_name: str = ""
    customer_address: str = ""
    customer_domain: str = ""
    company: str = ""
    tier: str = ""
    forwarded_by: str = ""
    followups: int = 0
    linear_identifier: str = ""
    linear_url: str = ""
    hubspot_ticket_url: str = ""
    closed_at: datetime | None = None
    revenue: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def customer_label(self) -> str:
        who = self.customer_name or self.customer_address or "unknown customer"
        return f"{who} ({self.company})" if self.company else who

    def age(self, now: datetime) -> timedelta:
        """How long it has waited: until it closed, or until ``now`` while it is open."""
        end = self.closed_at if self.closed_at is not None and not self.is_open else now
        return max(end - self.received_at, timedelta(0))


@dataclass(frozen=True)
class CustomerGroup:
    """A customer's open escalations, oldest first."""

    key: str
    company: str
    tier: str
    escalations: list[Escalation] = field(default_factory=list)


@dataclass(frozen=True)
class Summary:
    open: int
    top_tier_open: int
    oldest_age: timedelta | None


def parse_time(value: str | datetime | None) -> datetime | None:
    """An aware UTC datetime from the store's ISO strings; naive values are taken as UTC."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def from_row(row: dict[str, Any]) -> Escalation:
    forwarder = row.get("forwarded_by_name") or row.get("forwarded_by_address") or ""
    return Escalation(
        id=int(row["id"]),
        subject=row.get("subject") or "(no subject)",
        status=(row.get("status") or "open").lower(),
        received_at=parse_time(row.get("received_at")) or datetime.min.replace(tzinfo=timezone.utc),
        customer_name=row.get("customer_name") or "",
        customer_address=row.get("customer_address") or "",
        customer_domain=row.get("customer_domain") or "",
        company=row.get("company") or "",
        tier=(row.get("tier") or "").lower(),
        forwarded_by=forwarder,
        followups=int(row.get("followups") or 0),
        linear_identifier=row.get("linear_identifier") or "",
        linear_url=row.get("linear_url") or "",
        hubspot_ticket_url=row.get("hubspot_ticket_url") or "",
        closed_at=parse_time(row.get("closed_at")),
        revenue=int(row["revenue"]) if row.get("revenue") not in (None, "") else None,
    )


def tier_rank(tier: str | None) -> int:
    """Sort key for tiers: enterprise first, unknown last."""
    return TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER)


def open_escalations(rows: Iterable[dict[str, Any]]) -> list[Escalation]:
    """Open escalations, most urgent first: higher tier, then oldest."""
    items = [from_row(r) for r in rows]
    return sorted((e for e in items if e.is_open), key=lambda e: (tier_rank(e.tier), e.received_at, e.id))


def filter_escalations(items: Iterable[Escalation], *, statuses: Iterable[str] = (), tiers: Iterable[str] = (),
                       customer: str = "") -> list[Escalation]:
    """Items matching every given filter; an empty filter matches everything.

    ``customer`` matches name, address, domain or company, case-insensitively.
    """
    wanted_status, wanted_tier = set(statuses), set(tiers)
    needle = customer.strip().lower()

    def keep(e: Escalation) -> bool:
        if wanted_status and e.status not in wanted_status:
            return False
        if wanted_tier and (e.tier or "unknown") not in wanted_tier:
            return False
        haystack = " ".join((e.customer_name, e.customer_address, e.customer_domain, e.company)).lower()
        return not needle or needle in haystack

    return [e for e in items if keep(e)]


def by_customer(items: Iterable[Escalation]) -> list[CustomerGroup]:
    """Group escalations by customer domain (or address); groups ordered by tier, then by size."""
    groups: dict[str, list[Escalation]] = {}
    for e in items:
        groups.setdefault(e.customer_domain or e.customer_address or "unknown", []).append(e)
    out = [
        CustomerGroup(key, members[0].company or key, members[0].tier,
                      sorted(members, key=lambda e: (e.received_at, e.id)))
        for key, members in groups.items()
    ]
    return sorted(out, key=lambda g: (tier_rank(g.tier), -len(g.escalations), g.key))


def due(items: Iterable[Escalation], now: datetime, hours: dict[str, int] | None = None) -> list[Escalation]:
    """Open escalations older than their tier allows, most overdue first."""
    limits = DEFAULT_DUE_HOURS if hours is None else hours

    def overdue_by(e: Escalation) -> timedelta:
        return e.age(now) - timedelta(hours=limits.get(e.tier, UNKNOWN_TIER_HOURS))

    late = [e for e in items if e.is_open and overdue_by(e) > timedelta(0)]
    return sorted(late, key=lambda e: (-overdue_by(e), e.id))


def due_cutoffs(now: datetime, hours: dict[str, int] | None = None) -> tuple[dict[str, datetime], datetime]:
    """For each tier, the moment before which an open escalation of that tier is due; and the same for any other
    tier. The store counts :func:`due` in SQL with these."""
    limits = DEFAULT_DUE_HOURS if hours is None else hours
    return ({tier: now - timedelta(hours=h) for tier, h in limits.items()},
            now - timedelta(hours=UNKNOWN_TIER_HOURS))


def summary_from(open_count: int, top_tier_open: int, oldest_open_at: str | datetime | None,
                 now: datetime) -> Summary:
    """Header numbers from totals the store counted over every row."""
    oldest = parse_time(oldest_open_at)
    return Summary(open_count, top_tier_open, max(now - oldest, timedelta(0)) if oldest else None)


def summarize(items: Iterable[Escalation], now: datetime) -> Summary:
    """Header numbers: open count, open at the top tier, age of the oldest open one."""
    open_items = [e for e in items if e.is_open]
    oldest = max((e.age(now) for e in open_items), default=None)
    return Summary(len(open_items), sum(1 for e in open_items if e.tier == TIER_ORDER[0]), oldest)


def format_age(age: timedelta | None) -> str:
    """A short age: ``45m``, ``5h``, ``3d 4h``."""
    if age is None:
        return "–"
    minutes = int(age.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h"
    days, rest = divmod(hours, 24)
    return f"{days}d {rest}h" if rest else f"{days}d"


def format_revenue(revenue: int | None) -> str:
    """Annual revenue with thousands separators (``4,200,000``); a dash when unknown."""
    return f"{revenue:,}" if revenue is not None else "–"


def table_rows(items: Iterable[Escalation], now: datetime) -> list[dict[str, Any]]:
    """Rows for the table, under readable headers; the rest waits in the detail view. Text stays text (the
    table does not render Markdown or HTML)."""
    return [
        {
            "#": e.id, "Subject": e.subject, "Customer": e.customer_name or e.customer_address,
            "Company": e.company or e.customer_domain, "Tier": e.tier or "unknown",
            "Revenue": format_revenue(e.revenue), "Age": format_age(e.age(now)), "Follow-ups": e.followups,
            "Status": e.status, "Linear issue": e.linear_url or None, "HubSpot": e.hubspot_ticket_url or None,
        }
        for e in items
    ]
