"""The iCal feeds: all-day events, stable UIDs, rising SEQUENCE, DST-proof dates, re-import with icalendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from icalendar import Calendar

from core.calendar_feed import build_feed, event_uid, feed_filename, subscribe_url, write_feeds
from core.roster import Engineer
from core.rotation import Plan, RotationWeek, current_engineer, generate, week_start_for

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
TEAM = [Engineer("ada@ourco.com", "Ada Lovelace"), Engineer("bo@ourco.com", "Bo Li")]


def events(feed: bytes) -> list:
    return list(Calendar.from_ical(feed).walk("VEVENT"))


def test_team_feed_has_one_all_day_working_week_event_per_week():
    weeks = [RotationWeek(date(2026, 3, 2), "ada@ourco.com", published=True, sequence=2),
             RotationWeek(date(2026, 3, 9), "bo@ourco.com"), RotationWeek(date(2026, 3, 16), None)]
    parsed = Calendar.from_ical(build_feed(weeks, TEAM, now=NOW, tz="Europe/Berlin"))
    assert str(parsed["X-WR-TIMEZONE"]) == "Europe/Berlin"
    found = list(parsed.walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in found] == ["On support: Ada Lovelace", "On support: Bo Li"]
    first = found[0]
    assert first.decoded("DTSTART") == date(2026, 3, 2) and first.decoded("DTEND") == date(2026, 3, 7)
    assert type(first.decoded("DTSTART")) is date  # all-day, so no time zone can shift it
    assert str(first["UID"]) == "rotation-2026-03-02@rotadesk"
    assert int(first["SEQUENCE"]) == 2
    assert str(first["STATUS"]) == "CONFIRMED" and str(found[1]["STATUS"]) == "TENTATIVE"


def test_personal_feed_holds_only_that_engineers_weeks_with_their_own_uids():
    weeks = [RotationWeek(date(2026, 3, 2), "ada@ourco.com"), RotationWeek(date(2026, 3, 9), "bo@ourco.com")]
    found = events(build_feed(weeks, TEAM, now=NOW, tz="UTC", email="bo@ourco.com"))
    assert [e.decoded("DTSTART") for e in found] == [date(2026, 3, 9)]
    assert str(found[0]["UID"]) == event_uid(weeks[1], "bo@ourco.com") == "rotation-2026-03-09-bo-ourco-com@rotadesk"


def test_a_changed_week_keeps_its_uid_and_raises_sequence():
    before = RotationWeek(date(2026, 3, 2), "ada@ourco.com", sequence=0)
    after = RotationWeek(date(2026, 3, 2), "bo@ourco.com", sequence=1)
    old, new = events(build_feed([before], TEAM, now=NOW, tz="UTC"))[0], events(build_feed([after], TEAM, now=NOW,
                                                                                            tz="UTC"))[0]
    assert old["UID"] == new["UID"]
    assert int(new["SEQUENCE"]) > int(old["SEQUENCE"])
    assert "Bo Li" in str(new["SUMMARY"])


@pytest.mark.parametrize("tz,dst_day", [("America/New_York", date(2026, 3, 8)), ("America/New_York", date(2026, 11, 1)),
                                        ("Europe/Berlin", date(2026, 3, 29)), ("Europe/Berlin", date(2026, 10, 25))])
def test_weeks_around_dst_changes_stay_whole_calendar_weeks(tz, dst_day):
    people = [Engineer(f"e{i}@ourco.com", f"E{i}") for i in range(4)]
    schedule = generate(people, [], today=dst_day - timedelta(days=10), plan=Plan(weeks_ahead=4))
    found = events(build_feed(schedule.weeks, people, now=NOW, tz=tz))
    starts = [e.decoded("DTSTART") for e in found]
    assert all(s.weekday() == 0 for s in starts)
    assert all(b - a == timedelta(weeks=1) for a, b in zip(starts, starts[1:]))
    assert all(e.decoded("DTEND") - e.decoded("DTSTART") == timedelta(days=5) for e in found)
    # The Monday after the change begins at local midnight: one minute before, last week's engineer is on.
    monday = week_start_for(dst_day + timedelta(days=1), 0)
    local_midnight = datetime.combine(monday, datetime.min.time()).replace(tzinfo=_zone(tz))
    by_start = {w.week_start: w.engineer_email for w in schedule.weeks}
    assert current_engineer(schedule.weeks, [], local_midnight, tz, 0) == by_start[monday]
    assert current_engineer(schedule.weeks, [], local_midnight - timedelta(minutes=1), tz, 0) == \
        by_start[monday - timedelta(weeks=1)]
    # Given in UTC, the instant is still placed in the team's week (Berlin's Monday starts on a UTC Sunday,
    # New York's Sunday evening is already a UTC Monday).
    for minutes, start in ((30, monday), (-30, monday - timedelta(weeks=1))):
        utc = (local_midnight + timedelta(minutes=minutes)).astimezone(timezone.utc)
        assert current_engineer(schedule.weeks, [], utc, tz, 0) == by_start[start]


def test_write_feeds_creates_team_and_personal_files_and_skips_unchanged(tmp_path: Path):
    weeks = [RotationWeek(date(2026, 3, 2), "ada@ourco.com")]
    paths = write_feeds(tmp_path, weeks, TEAM, now=NOW, tz="UTC")
    assert sorted(p.name for p in paths) == ["rotation-ada-ourco-com.ics", "rotation-bo-ourco-com.ics",
                                             "rotation-team.ics"]
    stamp = (tmp_path / "rotation-team.ics").stat().st_mtime_ns
    write_feeds(tmp_path, weeks, TEAM, now=NOW + timedelta(hours=1), tz="UTC")
    assert (tmp_path / "rotation-team.ics").stat().st_mtime_ns == stamp
    write_feeds(tmp_path, [RotationWeek(date(2026, 3, 2), "bo@ourco.com", sequence=1)], TEAM, now=NOW, tz="UTC")
    assert "Bo Li" in str(events((tmp_path / "rotation-team.ics").read_bytes())[0]["SUMMARY"])
    assert events((tmp_path / "rotation-ada-ourco-com.ics").read_bytes()) == []


def test_subscribe_url_points_at_streamlit_static_serving():
    assert subscribe_url("https://desk.ourco.com/", feed_filename()) == \
        "https://desk.ourco.com/app/static/rotation-team.ics"
    assert feed_filename("Ada.L@ourco.com") == "rotation-ada-l-ourco-com.ics"


def _zone(tz: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


@pytest.mark.parametrize("tz,dst_day", [("America/New_York", date(2026, 3, 8)), ("Europe/Berlin", date(2026, 10, 25))])
def test_covered_days_turn_over_at_the_teams_midnight_across_dst_for_engineers_in_other_zones(tz, dst_day):
    # Issue 15: the engineers live in other zones; the team's zone decides when a covered day begins and ends,
    # and each personal feed carries its engineer's zone while its all-day dates stay the team's dates.
    from core.coverage import Absences
    from core.roster import Unavailability
    from core.rotation import Override

    zones = ["Asia/Tokyo", "America/Los_Angeles", "Europe/London", "Australia/Sydney"]
    people = [Engineer(f"e{i}@ourco.com", f"E{i}", timezone=zones[i]) for i in range(4)]
    monday = week_start_for(dst_day + timedelta(days=1), 0)
    schedule = generate(people, [], today=monday, plan=Plan(weeks_ahead=2))
    week = schedule.weeks[0]
    tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
    cover = next(p.email for p in people if p.email not in {week.engineer_email, week.backup_email})
    overrides = [Override(monday, cover, at=NOW, first_day=tuesday, last_day=tuesday)]
    away = Absences([Unavailability(week.engineer_email, wednesday, wednesday)])
    local = _zone(tz)
    at = {d: datetime.combine(d, datetime.min.time()).replace(tzinfo=local) for d in (tuesday, wednesday)}
    for when, expected in ((at[tuesday] - timedelta(minutes=1), week.engineer_email), (at[tuesday], cover),
                           (at[wednesday] - timedelta(minutes=1), cover), (at[wednesday], week.backup_email)):
        assert current_engineer(schedule.weeks, overrides, when.astimezone(timezone.utc), tz, 0, away) == expected
    feeds = {p.email: Calendar.from_ical(build_feed(schedule.weeks, people, now=NOW, tz=p.timezone, email=p.email,
                                                    overrides=overrides, absences=away)) for p in people}
    covered = [e for e in feeds[cover].walk("VEVENT") if e.decoded("DTSTART") < monday + timedelta(weeks=1)]
    assert [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in covered] == [(tuesday, wednesday)]
    assert str(feeds[cover]["X-WR-TIMEZONE"]) == next(p.timezone for p in people if p.email == cover)
    backup_days = [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in feeds[week.backup_email].walk("VEVENT")
                   if e.decoded("DTSTART") < monday + timedelta(weeks=1)]
    assert backup_days == [(wednesday, wednesday + timedelta(days=1))]
