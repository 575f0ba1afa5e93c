"""Rotation planning, pure: a fair weekly schedule with a backup per week, swap candidates, conflicts.

Each week goes to whoever has waited longest among the engineers who can take it (``core.fairness``): among
those able to take every week of a stretch, that hands out weeks in one fixed cyclic order, so over any stretch
their counts differ by at most one, and someone back from time off takes the next turn without catching up on
the weeks they missed. A week may go to one of the next in line instead when that balances the days actually
served (holidays and a day of PTO make a week shorter: it goes to whoever has served most days) and keeps every
13-week window and every stretch from the plan's start within one week apart, or when it evens out a history that
left someone behind (an imported spreadsheet's). The backup is chosen from a tally
of backup weeks, fewest first, then by spacing, among those who work the days the primary is out. Engineers who
join (new hires after their ramp, people added to the roster) take the next turn and then follow the cycle.

The data types live in ``core.schedule``, availability in ``core.availability`` and day-by-day coverage in
``core.coverage``; the names are re-exported here for callers that think in "the rotation".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from core.availability import blocked_reason, days_off, holiday_dates, working_days
from core.coverage import apply_overrides, current_engineer
from core.fairness import Balance, follow_rotation, waiting_order
from core.roster import Engineer, Unavailability
from core.schedule import (
    FULL_WEEK_DAYS,
    WEEK,
    Override,
    Plan,
    RotationWeek,
    local_date,
    week_start_for,
)

NEXT_IN_LINE = 3  # how far down the rotation's order a week may go to balance days served

__all__ = ["FULL_WEEK_DAYS", "WEEK", "Candidate", "Conflict", "Override", "Plan", "RotationWeek", "Schedule",
           "apply_overrides", "blocked_reason", "conflicts", "current_engineer", "generate", "holiday_dates",
           "local_date", "swap_candidates", "week_start_for", "working_days"]


@dataclass
class Schedule:
    weeks: list[RotationWeek]
    warnings: list[str] = field(default_factory=list)
    without_backup: list[date] = field(default_factory=list)  # weeks nobody could back up, said once on the page


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
class Move:
    """A week that changes hands when the plan is made again."""

    week_start: date
    from_email: str | None
    to_email: str | None


def moves(before: Iterable[RotationWeek], after: Iterable[RotationWeek]) -> list[Move]:
    """Weeks planned in both whose engineer differs, in week order (weeks new to the plan are not moves)."""
    old = {w.week_start: w.engineer_email for w in before}
    return [Move(w.week_start, old[w.week_start], w.engineer_email)
            for w in sorted(after, key=lambda w: w.week_start)
            if w.week_start in old and old[w.week_start] != w.engineer_email]


@dataclass(frozen=True)
class Conflict:
    week_start: date
    email: str
    reason: str
    suggestions: list[str]


def generate(engineers: Sequence[Engineer], unavailability: Sequence[Unavailability], *, today: date,
             plan: Plan, existing: Sequence[RotationWeek] = (), overrides: Sequence[Override] = ()) -> Schedule:
    """Plan from the week holding ``today``; past, frozen, published and swapped weeks keep their primary and
    backup (a kept week without a valid backup, planned before backups existed or swapped to its backup, gets
    one)."""
    current = week_start_for(today, plan.week_start_index)
    freeze_end = current + plan.freeze_weeks * WEEK
    by_start = {w.week_start: w for w in existing}
    effective = {w.week_start: w.engineer_email for w in apply_overrides(existing, overrides)}
    pinned = {o.week_start for o in overrides if o.whole_week}
    away: dict[str, list[Unavailability]] = {}
    for item in unavailability:
        away.setdefault(item.email, []).append(item)
    ctx = _Context(engineers, away, plan)
    end = current + max(plan.weeks_ahead, 1) * WEEK
    if existing:
        end = max(end, max(by_start) + WEEK)
    history = sorted(s for s in by_start if s < current)
    starts = history + [current + i * WEEK for i in range((end - current) // WEEK)]
    # Published weeks stay even beyond the freeze window: weeks imported as already promised are published.
    kept = {i: effective[s] for i, s in enumerate(starts) if s in by_start
            and (s < freeze_end or s in pinned or by_start[s].published)}
    run = _Run(ctx, starts, kept)
    tally, backups = _Tally(engineers, starts[0], plan.ramp_weeks), _Tally(engineers, starts[0], plan.ramp_weeks)
    result: list[RotationWeek] = []
    warnings: list[str] = []
    gaps: list[date] = []
    for index, start in enumerate(starts):
        tally.arrive(start)
        backups.arrive(start)
        old = by_start.get(start)
        if start < current:
            primary, backup = effective[start], old.backup_email
            result.append(old)
        elif index in kept:
            primary, backup = kept[index], old.backup_email
            if primary is not None and (backup is None or backup == primary):
                backup = _choose_backup(ctx, start, primary, backups, gaps)
            result.append(replace(old, published=old.published or start < freeze_end, backup_email=backup))
        else:
            primary, note = _choose(run, index, tally, warnings)
            backup = _choose_backup(ctx, start, primary, backups, gaps) if primary else None
            # SEQUENCE follows the week's event, which names the primary; the backup has events of their own.
            sequence = old.sequence + (old.engineer_email != primary) if old else 0
            result.append(RotationWeek(start, primary, start < freeze_end, sequence, note, backup))
        run.give(index, primary)
        tally.add(primary, start, ctx.served(primary, start))
        backups.add(backup, start, 0)
    return Schedule(result, warnings, gaps)


class _Context:
    """The roster, time off and calendars one generation run asks about; each engineer's week is worked out once
    (the ranking and the balance checks ask for it many times)."""

    def __init__(self, engineers: Sequence[Engineer], away: dict[str, list[Unavailability]], plan: Plan) -> None:
        self.engineers, self.away, self.plan = engineers, away, plan
        self.people = {e.email: e for e in engineers}
        self._facts: dict[tuple[str, date], tuple[str | None, frozenset[date], int]] = {}
        self._working: dict[date, int] = {}

    def _fact(self, email: str, start: date) -> tuple[str | None, frozenset[date], int]:
        key = (email, start)
        if key not in self._facts:
            if start not in self._working:
                self._working[start] = working_days(start, self.plan.holidays)
            mine, own = self.away.get(email, []), self.plan.holidays_of(email)
            engineer = self.people.get(email)
            days = days_off(email, start, mine, team_holidays=self.plan.holidays, own_holidays=own)
            reason = (blocked_reason(engineer, start, mine, self.plan.ramp_weeks, team_holidays=self.plan.holidays,
                                     own_holidays=own, off=days) if engineer else "not on the roster")
            off = frozenset(days)
            self._facts[key] = (reason, off, self._working[start] - len(off))
        return self._facts[key]

    def blocked(self, engineer: Engineer, start: date) -> str | None:
        return self._fact(engineer.email, start)[0]

    def eligible(self, start: date) -> frozenset[str]:
        return frozenset(e.email for e in self.engineers if self.blocked(e, start) is None)

    def off(self, email: str, start: date) -> frozenset[date]:
        return self._fact(email, start)[1]

    def served(self, email: str | None, start: date) -> int:
        return 0 if email is None else self._fact(email, start)[2]


class _Run:
    """One generation run's weeks: who could take each, the weeks given out so far and the kept weeks ahead."""

    def __init__(self, ctx: _Context, starts: list[date], kept: dict[int, str | None]) -> None:
        self.ctx, self.starts, self.kept = ctx, starts, kept
        self.eligible = [ctx.eligible(s) for s in starts]
        self.balance = Balance(self.eligible)
        self.picks: list[str | None] = []
        self.last: dict[str, int] = {}

    def give(self, index: int, email: str | None) -> None:
        self.picks.append(email)
        if email is not None:
            self.last[email] = index

    def uneven(self, index: int, email: str) -> tuple[int, int]:
        """The uneven windows from week ``index`` on if ``email`` takes it and the plain rotation every later week
        (so a later departure is checked against this one)."""
        picks = follow_rotation([*self.picks, email], index + 1, self.eligible, self.kept, {**self.last, email: index})
        return self.balance.uneven(picks, index)

    def evener(self, index: int, turn: str, turn_uneven: tuple[int, int], others: Sequence[str]) -> str:
        """``turn`` (leaving ``turn_uneven``), unless one of ``others`` leaves fewer uneven windows (an imported
        history that left people behind: they catch up)."""
        best, fewest = turn, turn_uneven
        for email in others:
            if not any(fewest):
                break
            if (found := self.uneven(index, email)) < fewest:
                best, fewest = email, found
        return best


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


def _choose(run: _Run, index: int, tally: _Tally, warnings: list[str]) -> tuple[str | None, str]:
    ctx, start = run.ctx, run.starts[index]
    reasons = {e.email: ctx.blocked(e, start) for e in ctx.engineers}
    eligible = sorted(email for email, reason in reasons.items() if reason is None)
    if not eligible:
        blocked = sorted(f"{email} ({reason})" for email, reason in reasons.items() if reason != "inactive")
        warnings.append(f"Week of {start}: nobody can take it" + (f": {'; '.join(blocked)}." if blocked else
                        " because no active engineer is on the roster."))
        return None, "nobody available"
    previous = run.picks[-1] if run.picks else None
    pool = [e for e in eligible if e != previous] or eligible
    if pool == [previous]:
        warnings.append(f"Week of {start}: {pool[0]} is on support two weeks running because nobody else "
                        "is available; add engineers or move time off to avoid this.")
    # The plain rotation's turn, unless one of the next in line balances days served better and keeps every
    # window as even, or evens out windows the turn would leave uneven.
    order = waiting_order(pool, run.last)
    turn, next_in_line = order[0], order[1:NEXT_IN_LINE]
    rank = _days_ranking(ctx, start, tally)
    better = min(order[:NEXT_IN_LINE], key=lambda email: (rank(email), order.index(email)))
    turn_uneven = run.uneven(index, turn)
    if better != turn and run.uneven(index, better) <= turn_uneven:
        chosen = better
    else:
        chosen = run.evener(index, turn, turn_uneven, next_in_line)
    return chosen, "back-to-back: nobody else available" if chosen == previous else ""


def _choose_backup(ctx: _Context, start: date, primary: str, backups: _Tally, gaps: list[date]) -> str | None:
    """The week's backup: eligible, not the primary, and at work on the days the primary is out."""
    out = ctx.off(primary, start)
    eligible = sorted(e.email for e in ctx.engineers if e.email != primary and ctx.blocked(e, start) is None
                      and not out & ctx.off(e.email, start))
    if not eligible:
        gaps.append(start)
        return None
    pool = [e for e in eligible if e != backups.previous] or eligible
    n = len(eligible)

    def key(email: str) -> tuple[int, int, int, str]:
        gap = (start - backups.last[email]).days // 7 if email in backups.last else 10**6
        # Spacing bands: overdue, due within a week of the ideal n-week cadence, early, too soon.
        band = 0 if gap > n else 1 if gap >= n - 1 else 2 if gap >= max(2, n // 2) else 3
        return backups.load(email)[0], band, -gap, email

    return min(pool, key=key)


def _days_ranking(ctx: _Context, start: date, tally: _Tally):
    """A short week goes to whoever has served most days, a full week to whoever has served fewest."""
    def key(email: str) -> int:
        worked = tally.load(email)[1]
        return -worked if ctx.served(email, start) < FULL_WEEK_DAYS else worked

    return key


def swap_candidates(week_start: date, weeks: Sequence[RotationWeek], engineers: Sequence[Engineer],
                    unavailability: Sequence[Unavailability], ramp_weeks: int, *,
                    holidays: frozenset[date] = frozenset(),
                    engineer_holidays: dict[str, frozenset[date]] | None = None) -> list[Candidate]:
    """Who could cover ``week_start`` instead, best first: available, furthest from their own weeks, lightest load."""
    owner = {w.week_start: w.engineer_email for w in weeks}
    current = owner.get(week_start)
    candidates: list[Candidate] = []
    for engineer in engineers:
        if engineer.email == current or not engineer.active:
            continue
        mine = [s for s, email in owner.items() if email == engineer.email and s != week_start]
        away = min((abs((s - week_start).days) // 7 for s in mine), default=None)
        reason = blocked_reason(engineer, week_start, unavailability, ramp_weeks, team_holidays=holidays,
                                own_holidays=engineer_holidays.get(engineer.email) if engineer_holidays else None)
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
                  else blocked_reason(engineer, week.week_start, unavailability, 0, team_holidays=plan.holidays,
                                      own_holidays=plan.holidays_of(engineer.email)))
        if reason:
            ranked = swap_candidates(week.week_start, weeks, engineers, unavailability, plan.ramp_weeks,
                                     holidays=plan.holidays, engineer_holidays=dict(plan.engineer_holidays))
            found.append(Conflict(week.week_start, week.engineer_email, reason,
                                  [c.email for c in ranked if c.available][:suggestions]))
    return found
