"""When not to run a weekly support rotation: the guide's warning signs, each with what to change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from core.roster import Engineer, Unavailability
from core.rotation import RotationWeek, week_start_for

MIN_ENGINEERS = 4
MIN_CADENCE_WEEKS = 4
MAX_CAPACITY_SHARE = 0.10
SMALL_QUEUE = 10


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    fix: str


def check(engineers: Sequence[Engineer], unavailability: Sequence[Unavailability], weeks: Sequence[RotationWeek],
          *, today: date, week_start_index: int, window_weeks: int, open_bugs: int,
          small_queue: int = SMALL_QUEUE) -> list[Finding]:
    """Warning signs for the planning window starting this week; an empty list means the rotation looks sound."""
    active = [e for e in engineers if e.active]
    first = week_start_for(today, week_start_index)
    last = first + timedelta(weeks=window_weeks) - timedelta(days=1)
    findings: list[Finding] = []
    if len(active) < MIN_ENGINEERS:
        findings.append(Finding(
            "too_few", f"Only {len(active)} active engineer(s) share the rotation; at least {MIN_ENGINEERS} are "
            "needed for it to be sustainable.",
            f"Add {MIN_ENGINEERS - len(active)} more engineer(s) to the roster, or run office hours instead of a "
            "weekly rotation."))
    cadence = _tightest_cadence(weeks, first, last)
    if cadence is not None and cadence[1] < MIN_CADENCE_WEEKS:
        email, gap = cadence
        findings.append(Finding(
            "cadence", f"{email} is on support again after {gap} week{'s' if gap != 1 else ''}; more often than every "
            f"{MIN_CADENCE_WEEKS} weeks wears people out.",
            "Add engineers, move time off that squeezes the schedule, or switch to a lighter cadence."))
    cost = cost_finding(len(active), open_bugs, small_queue)
    if cost is not None:
        findings.append(cost)
    blocked = _everyone_critical(active, unavailability, first, last)
    if blocked:
        findings.append(Finding(
            "critical_path", "Every active engineer has critical-path work in the next "
            f"{window_weeks} weeks{blocked}.",
            "Move a critical-path deadline, take someone off critical-path work for their week, or pause the "
            "rotation for the window."))
    return findings


def cost_finding(team_size: int, open_bugs: int, small_queue: int = SMALL_QUEUE) -> Finding | None:
    """The seed rule, the one source of this advice (Calendar and Capacity both show it): one engineer-week is more
    than 10% of the team's capacity while the bug queue is too small to be costing customers' trust."""
    if not team_size or 1 / team_size <= MAX_CAPACITY_SHARE or open_bugs >= small_queue:
        return None
    return Finding(
        "cost", f"The rotation costs {100 / team_size:.0f}% of the team's capacity while only "
        f"{open_bugs} {'escalation is' if open_bugs == 1 else 'escalations are'} open (under {small_queue}).",
        "Handle bugs in office hours or normal sprint triage until the queue grows, or share the rotation with "
        "another team so it costs 10% or less.")


def _tightest_cadence(weeks: Sequence[RotationWeek], first: date, last: date) -> tuple[str, int] | None:
    seen: dict[str, date] = {}
    tightest: tuple[str, int] | None = None
    for week in sorted(weeks, key=lambda w: w.week_start):
        email = week.engineer_email
        if email is None or week.week_start > last:
            continue
        if email in seen and week.week_start >= first:
            gap = (week.week_start - seen[email]).days // 7
            if tightest is None or gap < tightest[1]:
                tightest = (email, gap)
        seen[email] = week.week_start
    return tightest


def _everyone_critical(active: Sequence[Engineer], unavailability: Sequence[Unavailability], first: date,
                       last: date) -> str:
    """'' when someone is free of critical-path work in the window, else a note of fully blocked weeks."""
    critical = [u for u in unavailability if u.kind == "critical" and u.overlaps(first, last)]
    if not active or any(not any(u.email == e.email for u in critical) for e in active):
        return ""
    full = []
    start = first
    while start <= last:
        end = start + timedelta(days=4)
        if all(any(u.email == e.email and u.overlaps(start, end) for u in critical) for e in active):
            full.append(start.isoformat())
        start += timedelta(weeks=1)
    return f" (all at once in the weeks of {', '.join(full)})" if full else " (at different times)"
