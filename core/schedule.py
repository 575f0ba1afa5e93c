"""The rotation's data, pure: weeks with a primary and a backup, overrides, generation parameters, week arithmetic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)
FULL_WEEK_DAYS = 5


@dataclass(frozen=True)
class RotationWeek:
    week_start: date
    engineer_email: str | None  # the primary
    published: bool = False
    sequence: int = 0
    note: str = ""
    backup_email: str | None = None  # takes the days the primary is out


@dataclass(frozen=True)
class Override:
    """``to_email`` covers instead of ``from_email``: the whole week (a swap) when ``first_day`` is None, otherwise
    the days ``first_day`` to ``last_day`` (inclusive) of that week, without changing the plan."""

    week_start: date
    to_email: str
    from_email: str | None = None
    requested_by: str = ""
    decided_by: str = ""
    reason: str = ""
    at: datetime | None = None
    first_day: date | None = None
    last_day: date | None = None

    @property
    def whole_week(self) -> bool:
        return self.first_day is None

    def covers(self, day: date) -> bool:
        if self.first_day is None:
            return self.week_start <= day < self.week_start + WEEK
        return self.first_day <= day <= (self.last_day or self.first_day)


@dataclass(frozen=True)
class Plan:
    """Generation parameters. ``holidays`` are the team's public holidays, ``engineer_holidays`` those of engineers
    whose own holiday country differs from the team's (everyone else has the team's)."""

    weeks_ahead: int = 13
    freeze_weeks: int = 2
    ramp_weeks: int = 6
    week_start_index: int = 0
    holidays: frozenset[date] = frozenset()
    engineer_holidays: Mapping[str, frozenset[date]] = field(default_factory=dict)

    def holidays_of(self, email: str) -> frozenset[date]:
        return self.engineer_holidays.get(email, self.holidays)


def week_start_for(day: date, week_start_index: int) -> date:
    return day - timedelta(days=(day.weekday() - week_start_index) % 7)


def local_date(moment: datetime, tz: str | tzinfo) -> date:
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return moment.astimezone(zone).date()
