"""Who can serve which days, pure: working days, public holidays per country, PTO counted in days.

PTO and holidays count in working days: a week in which an engineer misses at most ``MAX_DAYS_OFF`` of the team's
working days is still theirs to take (the week's backup covers the missing day). Critical-path work blocks the
whole week, because it is about focus, not presence.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, timedelta

from core.roster import KINDS, Engineer, Unavailability
from core.schedule import WEEK

MAX_DAYS_OFF = 1


def team_days(week_start: date, holidays: Iterable[date] = ()) -> list[date]:
    """The week's working days (Monday to Friday, public holidays excepted)."""
    off = set(holidays)
    days = (week_start + timedelta(days=i) for i in range(7))
    return [d for d in days if d.weekday() < 5 and d not in off]


def working_days(week_start: date, holidays: Iterable[date] = ()) -> int:
    return len(team_days(week_start, holidays))


def holiday_dates(country: str, first: date, last: date) -> frozenset[date]:
    """Public holidays of ``country`` between two dates; empty when no country is configured."""
    if not country:
        return frozenset()
    import holidays

    calendar = holidays.country_holidays(country.upper(), years=range(first.year, last.year + 1))
    return frozenset(d for d in calendar if first <= d <= last)


def is_off(email: str, day: date, unavailability: Sequence[Unavailability],
           own_holidays: Collection[date] = frozenset()) -> bool:
    """Whether ``email`` does not work on ``day``: PTO or critical-path time, or one of their own holidays."""
    return day in own_holidays or any(u.email == email and u.start <= day <= u.end for u in unavailability)


def days_off(email: str, week_start: date, unavailability: Sequence[Unavailability], *,
             team_holidays: Iterable[date] = (), own_holidays: Iterable[date] | None = None) -> list[date]:
    """The team's working days of the week that ``email`` does not work (PTO, or a holiday of their own country)."""
    team = team_holidays if isinstance(team_holidays, (set, frozenset)) else frozenset(team_holidays)
    own = team if own_holidays is None or own_holidays is team_holidays else own_holidays
    own = own if isinstance(own, (set, frozenset)) else frozenset(own)
    mine = [u for u in unavailability if u.email == email and u.start <= week_start + WEEK and week_start <= u.end]
    if not mine and own is team:
        return []  # the common case: nothing of their own this week
    return [d for d in team_days(week_start, team) if is_off(email, d, mine, own)]


def served_days(email: str, week_start: date, unavailability: Sequence[Unavailability], *,
                team_holidays: Iterable[date] = (), own_holidays: Iterable[date] | None = None) -> int:
    team = set(team_holidays)
    return working_days(week_start, team) - len(days_off(email, week_start, unavailability, team_holidays=team,
                                                         own_holidays=own_holidays))


def blocked_reason(engineer: Engineer, week_start: date, unavailability: Sequence[Unavailability],
                   ramp_weeks: int, *, team_holidays: Iterable[date] = (),
                   own_holidays: Iterable[date] | None = None, off: Sequence[date] | None = None) -> str | None:
    """Why ``engineer`` cannot take the week starting ``week_start``, or None when they can (``off``: their
    days off that week, when the caller has them already)."""
    if not engineer.active:
        return "inactive"
    if engineer.start_date and week_start < engineer.start_date + ramp_weeks * WEEK:
        return f"new-hire ramp until {engineer.start_date + ramp_weeks * WEEK}"
    mine = [u for u in unavailability if u.email == engineer.email]
    for item in mine:
        if item.kind == "critical" and _touches_workday(item, week_start):
            return _label(item)
    team = team_holidays if isinstance(team_holidays, (set, frozenset)) else frozenset(team_holidays)
    if off is None:
        off = days_off(engineer.email, week_start, mine, team_holidays=team, own_holidays=own_holidays)
    if off and (len(off) > MAX_DAYS_OFF or len(off) >= working_days(week_start, team)):
        pto = next((u for u in mine if any(u.start <= d <= u.end for d in off)), None)
        return _label(pto) if pto else f"public holidays ({len(off)} working days)"
    return None


def _label(item: Unavailability) -> str:
    label = KINDS.get(item.kind, item.kind)
    return f"{label}: {item.reason}" if item.reason else label


def _touches_workday(item: Unavailability, week_start: date) -> bool:
    # Time off over a weekend alone does not keep anyone from a support week.
    first = max(item.start, week_start)
    last = min(item.end, week_start + timedelta(days=6))
    return any((first + timedelta(days=i)).weekday() < 5 for i in range((last - first).days + 1))
