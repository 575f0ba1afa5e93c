"""The rotation per Linear cycle, pure: what it cost and what came of the escalations, cycle by cycle.

A cycle is a window [starts_at, ends_at) like a rotation week, so its outcomes are the retro's
(``core.retro.week`` over the cycle's window). Its cost is the engineer-weeks spent on support in it (the days
rotation weeks with an engineer overlap the cycle, over seven) and their share of the team's capacity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from core import retro
from core.capacity import team_size_on
from core.escalations import parse_time
from core.handoff import week_window


@dataclass(frozen=True)
class CycleRetro:
    number: int
    name: str
    starts_at: datetime
    ends_at: datetime
    team_size: int
    support_weeks: float
    outcome: retro.Retro

    @property
    def cost(self) -> float | None:
        """Share of the team's capacity in the cycle that went to support."""
        weeks = (self.ends_at - self.starts_at).total_seconds() / (7 * 86400)
        return self.support_weeks / (self.team_size * weeks) if self.team_size and weeks > 0 else None

    def row(self) -> dict[str, Any]:
        r = self.outcome
        return {"cycle": self.name or f"Cycle {self.number}", "starts": self.starts_at.date().isoformat(),
                "ends": self.ends_at.date().isoformat(), "support_weeks": round(self.support_weeks, 1),
                "cost": None if self.cost is None else round(self.cost, 3), "received": r.received,
                "fixed": r.fixed, "triaged": r.triaged, "carried_over": r.carried_over, "customers": r.customers,
                "revenue": r.revenue, "reopen_rate": r.reopen_rate}


def support_weeks(rotation: Iterable[dict[str, Any]], start: datetime, end: datetime, tz: ZoneInfo) -> float:
    """Engineer-weeks on support within [start, end): each staffed rotation week's overlap, in weeks."""
    total = 0.0
    for row in rotation:
        if not row.get("engineer_email"):
            continue
        w_start, w_end = week_window(date.fromisoformat(str(row["week_start"])[:10]), tz)
        overlap = (min(end, w_end) - max(start, w_start)).total_seconds()
        if overlap > 0:
            total += overlap / (7 * 86400)
    return total


def per_cycle(cycles: Sequence[dict[str, Any]], rows: Iterable[dict[str, Any]], rotation: Iterable[dict[str, Any]],
              engineers: Iterable[dict[str, Any]], tz: ZoneInfo, now: datetime) -> list[CycleRetro]:
    """One retro per cycle that has started by ``now``, oldest first."""
    rows, rotation, engineers = list(rows), list(rotation), list(engineers)
    out = []
    for c in sorted(cycles, key=lambda c: str(c["starts_at"])):
        start, end = parse_time(c["starts_at"]), parse_time(c["ends_at"])
        if start is None or end is None or start > now:
            continue
        window = retro.Week(start.astimezone(tz).date(), start, end, c.get("name") or "")
        # In the team's zone, so the cycle's dates read as the team's days.
        out.append(CycleRetro(int(c["number"]), c.get("name") or "", start.astimezone(tz), end.astimezone(tz),
                              team_size_on(engineers, start.astimezone(tz).date()),
                              support_weeks(rotation, start, end, tz), retro.week(rows, window)))
    return out
