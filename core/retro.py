"""The retro of each rotation week, pure: what came in, how fast it was triaged, what became of it, who it touched.

Rows are escalations as ``core.store.planning.retro_rows`` reads them: received and closed times, status, the
playbook's support tier, the customer's domain and revenue, the Linear issue and when it was triaged (its issue
was created or linked), and the latest follow-up. For each week:

- *fixed* were received in the week and closed as fixed before it ended; *triaged* got a Linear issue by the
  end of the week and were still open when it ended (into the backlog); *carried over* were still open without one.
- *reopened* counts escalations closed in the week whose customer wrote again after the close: the customer's
  answer that it is not fixed.
- *boundary breaches* are the non-escalation Linear issues the engineer worked on in their week
  (``core.boundary``); a week with any is marked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import ValidationError
from core.escalations import WONT_FIX_STATUS, parse_time
from core.handoff import week_window

TIERS = (1, 2, 3)
PULSE_ROLES = ("engineer", "support")  # who rates the week: the engineer on rotation, and support
MAX_COMMENT = 1000


@dataclass(frozen=True)
class Week:
    """One rotation week as UTC instants [start, end) and who was on support."""

    week_start: date
    start: datetime
    end: datetime
    engineer: str = ""


@dataclass(frozen=True)
class Retro:
    """The numbers of one rotation week."""

    week_start: date
    engineer: str
    received: int
    by_tier: dict[int, int]
    triage_hours: float | None  # median, received -> Linear issue
    fixed: int
    triaged: int
    carried_over: int
    customers: int
    revenue: int
    closed: int
    reopened: int
    handed_back: int
    pulse: dict[str, int] = field(default_factory=dict)  # role -> rating 1-5, for the roles that rated the week
    breaches: int = 0  # boundary breaches: non-escalation issues the engineer worked on in the week

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.closed if self.closed else None

    def row(self) -> dict[str, Any]:
        """The week as one table row."""
        return {"week": self.week_start.isoformat(), "engineer": self.engineer, "received": self.received,
                **{f"tier_{t}": self.by_tier.get(t, 0) for t in TIERS},
                "triage_hours": None if self.triage_hours is None else round(self.triage_hours, 1),
                "fixed": self.fixed, "triaged": self.triaged, "carried_over": self.carried_over,
                "customers": self.customers, "revenue": self.revenue, "handed_back": self.handed_back,
                "reopen_rate": self.reopen_rate, "boundary_breaches": self.breaches,
                **{f"pulse_{role}": self.pulse.get(role) for role in PULSE_ROLES}}


def _fixed_at(row: dict[str, Any]) -> datetime | None:
    """When the escalation was closed as fixed (a canceled one was closed, not fixed)."""
    if (row.get("status") or "open") in ("open", WONT_FIX_STATUS):
        return None
    return parse_time(row.get("closed_at"))


def week(rows: Iterable[dict[str, Any]], w: Week, pulses: Iterable[dict[str, Any]] = (),
         breaches: Mapping[str, int] | None = None) -> Retro:
    rows = list(rows)
    received = [r for r in rows if w.start <= parse_time(r["received_at"]) < w.end]
    by_tier = {t: sum(1 for r in received if (r.get("support_tier") or 3) == t) for t in TIERS}
    waits = [(triaged - parse_time(r["received_at"])).total_seconds() / 3600 for r in received
             if (triaged := parse_time(r.get("triaged_at"))) is not None]
    fixed = triaged = carried = 0
    for r in received:
        closed = parse_time(r.get("closed_at"))
        fixed_at = _fixed_at(r)
        if fixed_at is not None and fixed_at < w.end:
            fixed += 1
        elif closed is None or closed >= w.end:  # still open when the week ended
            made = parse_time(r.get("triaged_at"))
            # Its issue made by the end of the week (one linked at an unknown time counts): an issue made later
            # means the escalation was carried over into the next week.
            if (made is not None and made < w.end) or (made is None and r.get("linear_identifier")):
                triaged += 1
            else:
                carried += 1
    closed_in_week = [r for r in rows if (c := parse_time(r.get("closed_at"))) is not None and w.start <= c < w.end]
    reopened = sum(1 for r in closed_in_week
                   if (f := parse_time(r.get("last_followup_at"))) is not None and f > parse_time(r["closed_at"]))
    revenue_by_domain = {r.get("customer_domain"): int(r.get("revenue") or 0) for r in received
                         if r.get("customer_domain")}
    return Retro(w.week_start, w.engineer, len(received), by_tier, median(waits) if waits else None, fixed, triaged,
                 carried, len(revenue_by_domain), sum(revenue_by_domain.values()), len(closed_in_week), reopened,
                 sum(1 for r in received if r.get("handed_back")),
                 {p["role"]: int(p["rating"]) for p in pulses
                  if str(p["week_start"])[:10] == w.week_start.isoformat() and p.get("rating")},
                 (breaches or {}).get(w.week_start.isoformat(), 0))


def retro(rows: Iterable[dict[str, Any]], weeks: Sequence[Week], pulses: Iterable[dict[str, Any]] = (),
          breaches: Mapping[str, int] | None = None) -> list[Retro]:
    """One retro per week, in the order given, with the week's pulse ratings and boundary breaches (by week start)."""
    rows, pulses = list(rows), list(pulses)
    return [week(rows, w, pulses, breaches) for w in weeks]


def tier_series(retros: Iterable[Retro]) -> list[dict[str, Any]]:
    """Long-form rows (week, support tier, escalations) for the retro chart."""
    return [{"week_start": r.week_start.isoformat(), "support_tier": f"tier {t}", "escalations": r.by_tier.get(t, 0)}
            for r in retros for t in TIERS]


def outcome_series(retros: Iterable[Retro]) -> list[dict[str, Any]]:
    """Long-form rows (week, outcome, escalations): fixed within the week, triaged, carried over."""
    return [{"week_start": r.week_start.isoformat(), "outcome": label, "escalations": value}
            for r in retros for label, value in (("fixed within the week", r.fixed), ("triaged to the backlog",
                                                                                       r.triaged),
                                                 ("carried over", r.carried_over))]


def past_weeks(rotation: Iterable[dict[str, Any]], today: date, tz: ZoneInfo, count: int = 13) -> list[Week]:
    """The last ``count`` scheduled rotation weeks that have started by ``today``, oldest first."""
    started = sorted((r for r in rotation if date.fromisoformat(str(r["week_start"])[:10]) <= today),
                     key=lambda r: str(r["week_start"]))[-count:]
    out = []
    for r in started:
        start_day = date.fromisoformat(str(r["week_start"])[:10])
        start, end = week_window(start_day, tz)
        out.append(Week(start_day, start, end, r.get("engineer_name") or r.get("engineer_email") or ""))
    return out


def unreviewed(handoffs: Iterable[dict[str, Any]], last_review_at: str | None) -> list[dict[str, Any]]:
    """Handoffs submitted since the last planning meeting marked its set reviewed, oldest week first."""
    since = parse_time(last_review_at)
    fresh = [h for h in handoffs if h.get("submitted_at")
             and (since is None or parse_time(h["submitted_at"]) > since)]
    return sorted(fresh, key=lambda h: str(h["week_start"]))


def validate_pulse(role: str, rating: int | None, comment: str) -> tuple[int | None, str]:
    """A pulse answer tidied: a rating of 1 to 5 (None: not rated) and a comment of bounded length."""
    if role not in PULSE_ROLES:
        raise ValidationError(f"A pulse is from one of {', '.join(PULSE_ROLES)}.")
    if rating is not None and rating not in range(1, 6):
        raise ValidationError("Rate the week from 1 (rough) to 5 (great).")
    tidy = (comment or "").strip()
    if len(tidy) > MAX_COMMENT:
        raise ValidationError(f"Keep the pulse comment under {MAX_COMMENT} characters.")
    if rating is None and tidy:
        raise ValidationError(f"Give the {role} comment a rating from 1 to 5 too.")
    return rating, tidy


def pulse_series(retros: Iterable[Retro]) -> list[dict[str, Any]]:
    """Long-form rows (week, role, rating) of the weeks that were rated, for the trend chart."""
    return [{"week_start": r.week_start.isoformat(), "role": role, "rating": r.pulse[role]}
            for r in retros for role in PULSE_ROLES if role in r.pulse]


def change_marks(changes: Iterable[dict[str, Any]], weeks: Sequence[Week]) -> list[dict[str, Any]]:
    """Playbook changes (``at``, ``summary``) as the rotation week they were made in; changes outside are left out."""
    marks: dict[str, list[str]] = {}
    for change in changes:
        at = parse_time(change.get("at"))
        w = next((w for w in weeks if at is not None and w.start <= at < w.end), None)
        if w is not None:
            marks.setdefault(w.week_start.isoformat(), []).append(change.get("summary") or "playbook changed")
    return [{"week_start": k, "change": "; ".join(v)} for k, v in sorted(marks.items())]
