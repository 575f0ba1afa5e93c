"""Issue 19: times as people read them, in the team's zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from core import timefmt

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(("value", "tz", "shown"), [
    ("2026-11-23T07:41:00+00:00", "Europe/Berlin", "Mon 23 Nov, 08:41"),
    ("2026-11-23T07:41:00Z", "UTC", "Mon 23 Nov, 07:41"),
    ("2026-11-23T07:41:00", "America/New_York", "Mon 23 Nov, 02:41"),  # naive values are UTC
    ("2025-12-31T20:00:00+00:00", "Europe/Berlin", "Wed 31 Dec 2025, 21:00"),  # another year says so
    ("2026-12-31T23:30:00+00:00", "Europe/Berlin", "Fri 1 Jan 2027, 00:30"),  # in the team's zone, next year
    (None, "UTC", ""),
])
def test_when(value, tz, shown) -> None:
    assert timefmt.when(value, tz, NOW) == shown


@pytest.mark.parametrize(("delta", "shown"), [
    (timedelta(seconds=20), "just now"),
    (timedelta(minutes=1), "1 minute ago"),
    (timedelta(minutes=45), "45 minutes ago"),
    (timedelta(hours=3, minutes=59), "3 hours ago"),
    (timedelta(days=1, hours=2), "1 day ago"),
    (timedelta(days=3), "3 days ago"),
    (timedelta(days=13), "13 days ago"),
    (timedelta(days=15), "2 weeks ago"),
    (timedelta(days=-1), "in the future"),
])
def test_ago(delta, shown) -> None:
    assert timefmt.ago(NOW - delta, NOW) == shown


def test_day_names_the_weekday_and_the_year_only_when_it_differs() -> None:
    assert timefmt.day("2026-11-23", date(2026, 11, 25)) == "Mon 23 Nov"
    assert timefmt.day(date(2027, 1, 4), date(2026, 11, 25)) == "Mon 4 Jan 2027"


def test_a_closed_escalations_age_stops_at_its_close() -> None:
    received, closed = "2026-11-20T10:30:00+00:00", "2026-11-22T10:30:00+00:00"
    assert timefmt.age_until(received, closed, NOW) == timedelta(days=2)
    assert timefmt.age_until(received, None, NOW) == timedelta(days=5)
