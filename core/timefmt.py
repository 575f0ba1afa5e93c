"""Times as people read them: "Mon 23 Nov, 08:41" in the team's zone and "3 days ago", never raw ISO strings."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo


def _moment(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def when(value: str | datetime | None, tz: str | tzinfo, now: datetime | None = None) -> str:
    """``Mon 23 Nov, 08:41`` in ``tz``; the year is added when it is not the year of ``now``; "" for nothing."""
    moment = _moment(value)
    if moment is None:
        return ""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    local = moment.astimezone(zone)
    text = f"{local:%a} {local.day} {local:%b}"
    if now is None or now.astimezone(zone).year != local.year:
        text += f" {local.year}"
    return f"{text}, {local:%H:%M}"


def day(value: str | date | None, today: date | None = None) -> str:
    """``Mon 23 Nov`` for a date (``2026-11-23``), with the year when it is not this year."""
    if value is None or value == "":
        return ""
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    text = f"{d:%a} {d.day} {d:%b}"
    return text if today is not None and today.year == d.year else f"{text} {d.year}"


def ago(value: str | datetime | None, now: datetime) -> str:
    """``just now``, ``5 minutes ago``, ``3 hours ago``, ``yesterday``, ``3 days ago``, ``5 weeks ago``."""
    moment = _moment(value)
    if moment is None:
        return ""
    delta = now - moment
    if delta < timedelta(0):
        return "in the future"
    return span(delta) + " ago" if delta >= timedelta(minutes=1) else "just now"


def span(delta: timedelta) -> str:
    """A length of time in words, to the largest whole unit: ``45 minutes``, ``3 hours``, ``2 days``."""
    seconds = max(int(delta.total_seconds()), 0)
    for unit, size in (("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size * (2 if unit == "week" else 1):
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return "under a minute"


def age_until(received: str | datetime | None, closed: str | datetime | None, now: datetime) -> timedelta:
    """How long an escalation has waited: until it closed, or until now while it is open."""
    start = _moment(received)
    end = _moment(closed) or now
    return max(end - start, timedelta(0)) if start else timedelta(0)
