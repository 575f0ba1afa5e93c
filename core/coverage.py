"""Who covers support on a given day, pure: the plan, then swaps, then day overrides, then the backup.

The order, for a day of a week: the latest override covering that day (part of a week, or "X is out today"); else
the week's primary (after the latest whole-week swap) unless they are off that day; then the backup, when they
are not off too. Routing, "on support now", the feeds and the calendar all ask here, so they always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo

from core.availability import is_off
from core.roster import Unavailability
from core.schedule import Override, RotationWeek, local_date, week_start_for


@dataclass(frozen=True)
class Absences:
    """Time off and each engineer's own public holidays (``default`` for engineers not in ``holidays``)."""

    unavailability: Sequence[Unavailability] = ()
    holidays: Mapping[str, frozenset[date]] = field(default_factory=dict)
    default: frozenset[date] = frozenset()

    def off(self, email: str, day: date) -> bool:
        return is_off(email, day, self.unavailability, self.holidays.get(email, self.default))


NOBODY_AWAY = Absences()


@dataclass(frozen=True)
class Segment:
    """Consecutive days of one week covered by the same person."""

    week: RotationWeek
    first: date
    last: date
    email: str | None

    @property
    def covering(self) -> bool:
        return self.email != self.week.engineer_email


def ordered(overrides: Iterable[Override]) -> list[Override]:
    """Oldest first, so that later decisions win."""
    return sorted(overrides, key=lambda o: o.at.timestamp() if o.at else float("-inf"))


def apply_overrides(weeks: Iterable[RotationWeek], overrides: Iterable[Override]) -> list[RotationWeek]:
    """The effective plan: the latest whole-week override (a swap) of a week wins; day overrides leave it alone."""
    latest = {o.week_start: o for o in ordered(overrides) if o.whole_week}
    return [replace(w, engineer_email=latest[w.week_start].to_email) if w.week_start in latest else w
            for w in sorted(weeks, key=lambda w: w.week_start)]


def on_duty(week: RotationWeek, day: date, overrides: Sequence[Override],
            absences: Absences = NOBODY_AWAY) -> str | None:
    """Who covers ``day`` of ``week`` (a week with whole-week swaps already applied)."""
    for override in reversed(ordered(overrides)):
        if not override.whole_week and override.covers(day):
            return override.to_email
    primary, backup = week.engineer_email, week.backup_email
    if primary and backup and absences.off(primary, day) and not absences.off(backup, day):
        return backup
    return primary


def current_engineer(weeks: Iterable[RotationWeek], overrides: Iterable[Override], at: datetime,
                     tz: str | tzinfo, week_start_index: int, absences: Absences = NOBODY_AWAY) -> str | None:
    """Email of whoever is on support at ``at`` (days start at local midnight in ``tz``), overrides honoured."""
    overrides = list(overrides)
    day = local_date(at, tz)
    start = week_start_for(day, week_start_index)
    for week in apply_overrides(weeks, overrides):
        if week.week_start == start:
            return on_duty(week, day, overrides, absences)
    return None


def segments(week: RotationWeek, overrides: Sequence[Override], absences: Absences = NOBODY_AWAY,
             days: int = 5) -> list[Segment]:
    """The week's first ``days`` days cut where the person covering changes."""
    found: list[Segment] = []
    for offset in range(days):
        day = week.week_start + timedelta(days=offset)
        email = on_duty(week, day, overrides, absences)
        if found and found[-1].email == email:
            found[-1] = replace(found[-1], last=day)
        else:
            found.append(Segment(week, day, day, email))
    return found


def days_covered(weeks: Iterable[RotationWeek], overrides: Sequence[Override], absences: Absences = NOBODY_AWAY,
                 days: int = 5) -> dict[date, dict[str, int]]:
    """Per week, the days each person actually covered: what capacity and fairness count."""
    result: dict[date, dict[str, int]] = {}
    for week in apply_overrides(weeks, overrides):
        counts: dict[str, int] = {}
        for segment in segments(week, overrides, absences, days):
            if segment.email:
                counts[segment.email] = counts.get(segment.email, 0) + (segment.last - segment.first).days + 1
        result[week.week_start] = counts
    return result
