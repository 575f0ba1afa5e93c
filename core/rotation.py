"""Rotation planning, pure: a fair weekly schedule, who is on support at a moment, swap candidates, conflicts.

The generator walks the weeks in order and gives each to the eligible engineer with the lowest load, so over any
prefix of the schedule the rotation counts of continuously eligible engineers differ by at most one. Ties go to
whoever keeps spacing near the ideal cadence (one week per eligible engineer), then to the one whose working-day
total a holiday-shortened week balances best, then to the least recent. Engineers who join (new hires after their
ramp, people added to the roster) start level with the team instead of catching up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from core.roster import KINDS, Engineer, Unavailability

WEEK = timedelta(days=7)
FULL_WEEK_DAYS = 5


@dataclass(frozen=True)
class RotationWeek:
    week_start: date
    engineer_email: str | None
    published: bool = False
    sequence: int = 0
    note: str = ""


@dataclass(frozen=True)
class Override:
    """A decided swap: ``to_email`` covers ``week_start`` instead of ``from_email``."""

    week_start: date
    to_email: str
    from_email: str | None = None
    requested_by: str = ""
    decided_by: str = ""
    reason: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class Plan:
    """Generation parameters; ``holidays`` are the team's public holidays."""

    weeks_ahead: int = 13
    freeze_weeks: int = 2
    ramp_weeks: int = 6
    week_start_index: int = 0
    holidays: frozenset[date] = frozenset()


@dataclass
class Schedule:
    weeks: list[RotationWeek]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Candidate:
    email: str
    name: str
    available: bool
    back_to_back: bool
    weeks_away: int | None  # distance to their nearest own rotation week; None when they have none
    load: int
    reason: str = ""


@dataclass(frozen=True)
class Conflict:
    week_start: date
    email: str
    reason: str
    suggestions: list[str]


def week_start_for(day: date, week_start_index: int) -> date:
    return day - timedelta(days=(day.weekday() - week_start_index) % 7)


def local_date(moment: datetime, tz: str | tzinfo) -> date:
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return moment.astimezone(zone).date()


def working_days(week_start: date, holidays: Iterable[date] = ()) -> int:
    days = (week_start + timedelta(days=i) for i in range(7))
    off = set(holidays)
    return sum(1 for d in days if d.weekday() < 5 and d not in off)


def holiday_dates(country: str, first: date, last: date) -> frozenset[date]:
    """Public holidays of ``country`` between two dates; empty when no country is configured."""
    if not country:
        return frozenset()
    import holidays

    calendar = holidays.country_holidays(country.upper(), years=range(first.year, last.year + 1))
    return frozenset(d for d in calendar if first <= d <= last)


def blocked_reason(engineer: Engineer, week_start: date, unavailability: Sequence[Unavailability],
                   ramp_weeks: int) -> str | None:
    """Why ``engineer`` cannot take the week starting ``week_start``, or None when they can."""
    if not engineer.active:
        return "inactive"
    if engineer.start_date and week_start < engineer.start_date + ramp_weeks * WEEK:
        return f"new-hire ramp until {engineer.start_date + ramp_weeks * WEEK}"
    for item in unavailability:
        if item.email == engineer.email and _touches_workday(item, week_start):
            label = KINDS.get(item.kind, item.kind)
            return f"{label}: {item.reason}" if item.reason else label
    return None


def apply_overrides(weeks: Iterable[RotationWeek], overrides: Iterable[Override]) -> list[RotationWeek]:
    """The effective schedule: the latest decided override of a week wins."""
    latest: dict[date, Override] = {}
    for o in sorted(overrides, key=lambda o: o.at.timestamp() if o.at else float("-inf")):
        latest[o.week_start] = o
    return [replace(w, engineer_email=latest[w.week_start].to_email) if w.week_start in latest else w
            for w in sorted(weeks, key=lambda w: w.week_start)]


def current_engineer(weeks: Iterable[RotationWeek], overrides: Iterable[Override], at: datetime,
                     tz: str | tzinfo, week_start_index: int) -> str | None:
    """Email of whoever is on support at ``at`` (weeks start at local midnight in ``tz``), overrides honoured."""
    start = week_start_for(local_date(at, tz), week_start_index)
    for week in apply_overrides(weeks, overrides):
        if week.week_start == start:
            return week.engineer_email
    return None


def generate(engineers: Sequence[Engineer], unavailability: Sequence[Unavailability], *, today: date,
             plan: Plan, existing: Sequence[RotationWeek] = (), overrides: Sequence[Override] = ()) -> Schedule:
    """Plan from the week holding ``today``; past, frozen and swapped weeks are kept as they are."""
    current = week_start_for(today, plan.week_start_index)
    freeze_end = current + plan.freeze_weeks * WEEK
    by_start = {w.week_start: w for w in existing}
    effective = {w.week_start: w.engineer_email for w in apply_overrides(existing, overrides)}
    pinned = {o.week_start for o in overrides}
    away: dict[str, list[Unavailability]] = {}
    for item in unavailability:
        away.setdefault(item.email, []).append(item)
    end = current + max(plan.weeks_ahead, 1) * WEEK
    if existing:
        end = max(end, max(by_start) + WEEK)
    history = sorted(s for s in by_start if s < current)
    tally = _Tally(engineers, history[0] if history else current, plan.ramp_weeks)
    result: list[RotationWeek] = []
    for start in history:
        result.append(by_start[start])
        tally.arrive(start)
        tally.add(effective[start], start, working_days(start, plan.holidays))
    warnings: list[str] = []
    start = current
    while start < end:
        days = working_days(start, plan.holidays)
        tally.arrive(start)
        old = by_start.get(start)
        if old is not None and (start < freeze_end or start in pinned):
            result.append(replace(old, published=old.published or start < freeze_end))
            tally.add(effective[start], start, days)
        else:
            email, note = _choose(engineers, away, start, days, plan, tally, warnings)
            sequence = old.sequence + (old.engineer_email != email) if old else 0
            result.append(RotationWeek(start, email, start < freeze_end, sequence, note))
            tally.add(email, start, days)
        start += WEEK
    return Schedule(result, warnings)


class _Tally:
    """Running counts per engineer. Engineers whose ramp ends inside the plan join level with the team
    (``offset``) rather than catching up on weeks they could never have taken."""

    def __init__(self, engineers: Sequence[Engineer], origin: date, ramp_weeks: int) -> None:
        self.count: dict[str, int] = {}
        self.days: dict[str, int] = {}
        self.last: dict[str, date] = {}
        self.offset: dict[str, tuple[int, int]] = {}
        self.previous: str | None = None
        self.active = [e.email for e in engineers if e.active]
        self.ready = {e.email: e.start_date + ramp_weeks * WEEK for e in engineers if e.start_date}
        for email in self.active:
            if self.ready.get(email, origin) <= origin:
                self.offset[email] = (0, 0)

    def arrive(self, start: date) -> None:
        newcomers = [e for e in self.active if e not in self.offset and self.ready[e] <= start]
        if not newcomers:
            return
        joined = [self.load(e) for e in self.active if e in self.offset]
        base = (min((c for c, _ in joined), default=0), min((d for _, d in joined), default=0))
        for email in newcomers:
            self.offset[email] = (self.count.get(email, 0) - base[0], self.days.get(email, 0) - base[1])

    def add(self, email: str | None, start: date, days: int) -> None:
        self.previous = email
        if email is None:
            return
        self.offset.setdefault(email, (0, 0))
        self.count[email] = self.count.get(email, 0) + 1
        self.days[email] = self.days.get(email, 0) + days
        self.last[email] = start

    def load(self, email: str) -> tuple[int, int]:
        count_off, days_off = self.offset.get(email, (0, 0))
        return self.count.get(email, 0) - count_off, self.days.get(email, 0) - days_off


def _choose(engineers: Sequence[Engineer], away: dict[str, list[Unavailability]], start: date, days: int,
            plan: Plan, tally: _Tally, warnings: list[str]) -> tuple[str | None, str]:
    reasons = {e.email: blocked_reason(e, start, away.get(e.email, []), plan.ramp_weeks) for e in engineers}
    eligible = sorted(email for email, reason in reasons.items() if reason is None)
    if not eligible:
        blocked = sorted(f"{email} ({reason})" for email, reason in reasons.items() if reason != "inactive")
        warnings.append(f"Week of {start}: nobody can take it" + (f": {'; '.join(blocked)}." if blocked else
                        " because no active engineer is on the roster."))
        return None, "nobody available"
    pool = [e for e in eligible if e != tally.previous] or eligible
    if pool == [tally.previous]:
        warnings.append(f"Week of {start}: {pool[0]} is on support two weeks running because nobody else "
                        "is available; add engineers or move time off to avoid this.")
    n = len(eligible)

    def key(email: str) -> tuple[int, int, int, int, str]:
        count, worked = tally.load(email)
        gap = (start - tally.last[email]).days // 7 if email in tally.last else 10**6
        # Spacing bands: overdue, due within a week of the ideal n-week cadence, early, too soon.
        band = 0 if gap > n else 1 if gap >= n - 1 else 2 if gap >= max(2, n // 2) else 3
        # Inside a band a short week goes to whoever has worked most days, a full week to whoever worked fewest.
        balance = -worked if days < FULL_WEEK_DAYS else worked
        return count, band, balance, -gap, email

    chosen = min(pool, key=key)
    return chosen, "back-to-back: nobody else available" if chosen == tally.previous else ""


def swap_candidates(week_start: date, weeks: Sequence[RotationWeek], engineers: Sequence[Engineer],
                    unavailability: Sequence[Unavailability], ramp_weeks: int) -> list[Candidate]:
    """Who could cover ``week_start`` instead, best first: available, furthest from their own weeks, lightest load."""
    owner = {w.week_start: w.engineer_email for w in weeks}
    current = owner.get(week_start)
    candidates: list[Candidate] = []
    for engineer in engineers:
        if engineer.email == current or not engineer.active:
            continue
        mine = [s for s, email in owner.items() if email == engineer.email and s != week_start]
        away = min((abs((s - week_start).days) // 7 for s in mine), default=None)
        reason = blocked_reason(engineer, week_start, unavailability, ramp_weeks)
        candidates.append(Candidate(engineer.email, engineer.name, reason is None, away == 1, away, len(mine),
                                    reason or ""))
    return sorted(candidates, key=lambda c: (not c.available, c.back_to_back,
                                             -(c.weeks_away if c.weeks_away is not None else 10**6),
                                             c.load, c.email))


def conflicts(weeks: Sequence[RotationWeek], engineers: Sequence[Engineer], unavailability: Sequence[Unavailability],
              *, today: date, plan: Plan, suggestions: int = 3) -> list[Conflict]:
    """Current and future weeks whose engineer cannot take them any more, with suggested swaps."""
    current = week_start_for(today, plan.week_start_index)
    people = {e.email: e for e in engineers}
    found: list[Conflict] = []
    for week in weeks:
        if week.week_start < current or week.engineer_email is None:
            continue
        engineer = people.get(week.engineer_email)
        reason = ("not on the roster" if engineer is None
                  else blocked_reason(engineer, week.week_start, unavailability, 0))
        if reason:
            ranked = swap_candidates(week.week_start, weeks, engineers, unavailability, plan.ramp_weeks)
            found.append(Conflict(week.week_start, week.engineer_email, reason,
                                  [c.email for c in ranked if c.available][:suggestions]))
    return found


def _touches_workday(item: Unavailability, week_start: date) -> bool:
    # Time off over a weekend alone does not keep anyone from a support week.
    first = max(item.start, week_start)
    last = min(item.end, week_start + timedelta(days=6))
    return any((first + timedelta(days=i)).weekday() < 5 for i in range((last - first).days + 1))
