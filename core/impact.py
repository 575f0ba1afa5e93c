"""What one Linear issue costs customers: how many customers and tickets, the highest tier, the revenue at stake.

Pure: :func:`impact_of` takes the issue's reports (``core.store.links.issue_reports`` rows) and counts each
company once, so two tickets from one customer do not double its revenue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core.context import money, tier_label
from core.escalations import tier_rank


@dataclass(frozen=True)
class Impact:
    """The customers behind one issue."""

    customers: int
    tickets: int
    top_tier: str | None
    revenue: float | None

    @property
    def sort_key(self) -> tuple[int, float, int]:
        """Hurts most first: highest tier, then revenue, then number of customers."""
        return (tier_rank(self.top_tier), -(self.revenue or 0.0), -self.customers)

    def line(self) -> str:
        parts = [f"{self.customers} {'customer' if self.customers == 1 else 'customers'}",
                 f"{self.tickets} {'ticket' if self.tickets == 1 else 'tickets'}"]
        if self.top_tier:
            parts.append(f"highest tier {tier_label(self.top_tier)}")
        if self.revenue:
            parts.append(f"{money(self.revenue)} revenue at stake")
        return " · ".join(parts)


def impact_of(reports: Iterable[Mapping[str, Any]]) -> Impact:
    companies: dict[str, tuple[str | None, float | None]] = {}
    tickets: set[str] = set()
    for r in reports:
        ctx = r.get("context") or {}
        key = (ctx.get("company_id") or r.get("hubspot_company_id") or r.get("customer_domain")
               or (r.get("customer_address") or "").lower() or f"escalation-{r.get('escalation_id')}")
        tier = (ctx.get("tier") or r.get("tier") or "").strip().lower() or None
        revenue = _number(ctx.get("revenue")) or _number(r.get("local_revenue"))
        seen_tier, seen_revenue = companies.get(key, (None, None))
        best_tier = min((t for t in (tier, seen_tier) if t), key=tier_rank, default=None)
        companies[key] = (best_tier, max(revenue or 0.0, seen_revenue or 0.0) or None)
        tickets.add(r.get("hubspot_ticket_id") or f"escalation-{r.get('escalation_id')}")
    tiers = [t for t, _ in companies.values() if t]
    revenues = [v for _, v in companies.values() if v]
    return Impact(len(companies), len(tickets), min(tiers, key=tier_rank) if tiers else None,
                  sum(revenues) if revenues else None)


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
