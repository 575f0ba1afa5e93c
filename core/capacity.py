"""What the rotation costs and what it buys, pure.

One engineer of N on the support queue each week is 1/N of feature capacity. The series here feed the
capacity charts: cost per week over a horizon, escalations per week, and time to close (Linear done →
reply staged → reply sent) when staged replies exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any

from core import readiness
from core.errors import ValidationError
from core.escalations import parse_time

MIN_TEAM = 4
# Fewer escalations than this per week, on average, do not keep a rotating engineer busy.
LOW_VOLUME_PER_WEEK = 2.0


@dataclass(frozen=True)
class WeekCost:
    """The rotation's cost in one week."""

    week_start: date
    team_size: int
    cost: float
    engineer: str = ""


@dataclass(frozen=True)
class WeekCount:
    week_start: date
    count: int


@dataclass(frozen=True)
class CloseTime:
    """Hours one escalation spent between stages; ``None`` when it has not got there yet."""

    key: str
    done_at: datetime | None
    done_to_staged_h: float | None
    staged_to_sent_h: float | None


@dataclass(frozen=True)
class Advice:
    """One reason the rotation may not pay off, and what to change."""

    problem: str
    change: str


def rotation_cost(team_size: int) -> float:
    """Share of feature capacity one rotating engineer takes from a team of ``team_size``."""
    if team_size < 1:
        raise ValidationError("a rotation needs at least one engineer")
    return 1.0 / team_size


def cost_sentence(team_size: int) -> str:
    """``"20% of feature capacity for 5 engineers"``."""
    if team_size < 1:
        return "No active engineers yet: add the team on the Calendar page."
    pct = rotation_cost(team_size) * 100
    shown = f"{pct:.0f}" if abs(pct - round(pct)) < 0.05 else f"{pct:.1f}"
    noun = "engineer" if team_size == 1 else "engineers"
    return f"{shown}% of feature capacity for {team_size} {noun}"


def week_start_of(day: date, week_start_index: int = 0) -> date:
    """The first day of the rotation week ``day`` falls in (``week_start_index`` 0 = Monday)."""
    return day - timedelta(days=(day.weekday() - week_start_index) % 7)


def team_size_on(engineers: Iterable[dict[str, Any]], week: date) -> int:
    """Active engineers who have started by ``week``."""
    return sum(
        1 for e in engineers
        if int(e.get("active", 1) or 0) and (not e.get("start_date") or str(e["start_date"])[:10] <= week.isoformat())
    )


def cost_series(engineers: list[dict[str, Any]], rotation: Iterable[dict[str, Any]], now: datetime, *,
                weeks: int = 13, week_start_index: int = 0) -> list[WeekCost]:
    """Cost per week from the current week over ``weeks`` weeks, with who is on rotation when scheduled."""
    if weeks < 1:
        raise ValidationError("the horizon must be at least one week")
    on_call = {str(r["week_start"])[:10]: _on_call(r) for r in rotation}
    first = week_start_of(now.date(), week_start_index)
    out = []
    for i in range(weeks):
        week = first + timedelta(weeks=i)
        size = team_size_on(engineers, week)
        out.append(WeekCost(week, size, rotation_cost(size) if size else 0.0, on_call.get(week.isoformat(), "")))
    return out


def _on_call(row: dict[str, Any]) -> str:
    """Who the week's cost falls on: the engineer, and whoever covers some of its days."""
    email = row.get("engineer_email") or ""
    others = [e for e in (row.get("covered_by") or "").split(",") if e and e != email]
    return f"{email} (days covered by {', '.join(others)})" if email and others else email


def weekly_counts(moments: Iterable[str | datetime | None], now: datetime, *, weeks: int = 13,
                  week_start_index: int = 0) -> list[WeekCount]:
    """Escalations received per week over the last ``weeks`` weeks, oldest first, empty weeks as zero."""
    days = ((moment.date(), 1) for moment in map(parse_time, moments) if moment is not None)
    return weekly_counts_by_day(days, now, weeks=weeks, week_start_index=week_start_index)


def weekly_counts_by_day(days: Iterable[tuple[date | str, int]], now: datetime, *, weeks: int = 13,
                         week_start_index: int = 0) -> list[WeekCount]:
    """Like :func:`weekly_counts`, from (UTC day, escalations that day) pairs the store counted."""
    last = week_start_of(now.date(), week_start_index)
    starts = [last - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    counts = dict.fromkeys(starts, 0)
    for day, n in days:
        week = week_start_of(day if isinstance(day, date) else date.fromisoformat(day), week_start_index)
        if week in counts:
            counts[week] += n
    return [WeekCount(w, n) for w, n in counts.items()]


def average_per_week(counts: list[WeekCount], now: datetime, week_start_index: int = 0) -> float:
    """Mean weekly intake over complete weeks since the first escalation (the current, partial week is left out).

    Empty weeks before the first escalation are left out too: they predate Rotadesk, not a quiet queue.
    """
    current = week_start_of(now.date(), week_start_index)
    full = [c.count for c in counts if c.week_start < current]
    while full and full[0] == 0:
        full.pop(0)
    return sum(full) / len(full) if full else 0.0


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return round((end - start).total_seconds() / 3600, 2)


def close_times(staged_replies: Iterable[dict[str, Any]]) -> list[CloseTime]:
    """Time from Linear done to reply staged, and from staged to sent, for each reply not withdrawn."""
    out = []
    for r in staged_replies:
        if r.get("withdrawn_at") or r.get("status") == "withdrawn":
            continue
        done, staged, sent = (parse_time(r.get(k)) for k in ("done_at", "staged_at", "sent_at"))
        out.append(CloseTime(str(r["key"]), done, _hours(done, staged), _hours(staged, sent)))
    return out


def close_time_series(times: Iterable[CloseTime], week_start_index: int = 0) -> list[dict[str, Any]]:
    """Median hours per stage per week (by the week Linear said done), long form for a chart."""
    buckets: dict[tuple[date, str], list[float]] = {}
    for t in times:
        if t.done_at is None:
            continue
        week = week_start_of(t.done_at.date(), week_start_index)
        for stage, hours in (("done → staged", t.done_to_staged_h), ("staged → sent", t.staged_to_sent_h)):
            if hours is not None:
                buckets.setdefault((week, stage), []).append(hours)
    return [
        {"week_start": week.isoformat(), "stage": stage, "median_hours": round(median(values), 2),
         "replies": len(values)}
        for (week, stage), values in sorted(buckets.items())
    ]


def guidance(team_size: int, weekly_volume: float, *, everyone_on_deadline: bool = False,
             open_bugs: int | None = None) -> list[Advice]:
    """Reasons this team should not run the rotation right now, each with what to change.

    With ``open_bugs`` the seed rule applies too, worded as the readiness check words it (one source).
    """
    advice = []
    if team_size < 1:
        advice.append(Advice("No active engineers.",
                             f"Add the team on the Calendar page; run the rotation with at least {MIN_TEAM}."))
    elif team_size < MIN_TEAM:
        advice.append(Advice(
            f"{team_size} active engineer{'s' if team_size != 1 else ''}: the rotation would take "
            f"{rotation_cost(team_size) * 100:.0f}% of feature capacity.",
            f"Run it with at least {MIN_TEAM} engineers; until then, share escalations through the "
            "daily office hours without a dedicated rotation.",
        ))
    seed = None if open_bugs is None else readiness.cost_finding(team_size, open_bugs)
    if seed is not None:
        advice.append(Advice(seed.message, seed.fix))
    if weekly_volume < LOW_VOLUME_PER_WEEK:
        advice.append(Advice(
            f"Low bug volume: {weekly_volume:.1f} escalations per week on average.",
            "Pause the rotation and triage escalations in planning, or rotate every other week.",
        ))
    if everyone_on_deadline:
        advice.append(Advice(
            "Everyone is on a deadline.",
            "Pause the rotation until the deadline passes; keep office hours for tier-1 escalations only.",
        ))
    return advice


# What-if: the cost chart for a team size, cadence and leave the manager chooses.
CADENCES = (1, 2)  # the rotation runs every week, or every other week (triage in planning in between)
QUARTER_WEEKS = 13
WORKDAYS = 5


@dataclass(frozen=True)
class WhatIf:
    """The rotation's cost over the horizon for a chosen team, and the quarter's feature capacity it takes."""

    weeks: list[WeekCost]
    lost_engineer_weeks: float  # over the first quarter (13 weeks) of the horizon
    available_engineer_weeks: float

    @property
    def share(self) -> float:
        return self.lost_engineer_weeks / self.available_engineer_weeks if self.available_engineer_weeks else 0.0


def leave_per_week(leaves: Iterable[tuple[date, date]], first_week: date, weeks: int = QUARTER_WEEKS
                   ) -> dict[date, float]:
    """Engineer-weeks away in each week: each leave's workdays (Monday to Friday) in the week, over five."""
    out: dict[date, float] = {}
    for i in range(weeks):
        week = first_week + timedelta(weeks=i)
        days = [week + timedelta(days=d) for d in range(7)]
        away = sum(sum(1 for d in days if d.weekday() < WORKDAYS and start <= d <= end) for start, end in leaves)
        if away:
            out[week] = round(away / WORKDAYS, 2)
    return out


def what_if(team_size: int, cadence_weeks: int, leave: Mapping[date, float], first_week: date, *,
            weeks: int = QUARTER_WEEKS) -> WhatIf:
    """Cost per week when ``team_size`` engineers rotate every ``cadence_weeks`` weeks with ``leave`` away.

    A rotation week takes one engineer-week of feature work; its share is one over the engineers who are in
    (the one on support always is). Weeks the rotation does not run cost nothing.
    """
    if team_size < 1:
        raise ValidationError("a rotation needs at least one engineer")
    if cadence_weeks not in CADENCES:
        raise ValidationError("the rotation runs every week or every other week")
    if weeks < 1:
        raise ValidationError("the horizon must be at least one week")
    if any(v < 0 for v in leave.values()):
        raise ValidationError("leave cannot be negative")
    out, lost, available = [], 0.0, 0.0
    for i in range(weeks):
        week = first_week + timedelta(weeks=i)
        present = max(team_size - leave.get(week, 0.0), 1.0)
        runs = i % cadence_weeks == 0
        out.append(WeekCost(week, team_size, 1.0 / present if runs else 0.0, "" if runs else "no rotation"))
        if i < QUARTER_WEEKS:
            lost += 1.0 if runs else 0.0
            available += present
    return WhatIf(out, lost, round(available, 2))
