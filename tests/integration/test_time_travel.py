"""The demo and the planning code on awkward days: the same story and the same shape of result on every one.

Each case builds the demo for its day with the process clock moved there (time-machine), then runs what the
pages run: rotation generation and its freeze window, capacity, the handoff week, the office-hours queue and the
calendar feeds. The team works in Europe/Berlin, so the daylight-saving days are real changes of offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from core import capacity, handoff, office_hours
from core import escalations as esc
from core.roster import Unavailability
from core.rotation import week_start_for
from core.settings import Settings
from core.store import intake, iso, open_db, ops
from core.store import rotation as rotation_store
from ingest.demo import SAMPLES_WRITTEN_FOR, build_demo, shift_dates
from tests.support.clock import clock_at

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
TEAM_TZ = "Europe/Berlin"
REFERENCE_DAY = date(2026, 12, 3)  # the day these cases were written; "400 days on" counts from it
DAYS = {
    "monday": date(2027, 1, 11),
    "sunday": date(2027, 1, 17),
    "before-dst-start": date(2027, 3, 27),  # Berlin moves to CEST in the night to Sunday 28 March 2027
    "after-dst-start": date(2027, 3, 29),
    "before-dst-end": date(2027, 10, 30),  # and back to CET in the night to Sunday 31 October 2027
    "after-dst-end": date(2027, 11, 1),
    "new-years-eve": date(2026, 12, 31),
    "leap-day": date(2028, 2, 29),
    "400-days-on": REFERENCE_DAY + timedelta(days=400),
    "as-written": SAMPLES_WRITTEN_FOR,
}
DEMO_ENGINEERS = 6


@dataclass(frozen=True)
class Shape:
    """What every page of the demo shows, counted."""

    open: int
    done: int
    staged_replies: int
    quarantined: int
    followups: int
    queue: tuple[str, ...]  # the office-hours queue's kinds, in order


EXPECTED = Shape(open=7, done=2, staged_replies=1, quarantined=1, followups=1,
                 queue=("followup", "topic", "escalation", "escalation", "escalation", "escalation", "escalation",
                        "escalation"))


def demo_settings(tmp_path: Path) -> Settings:
    return Settings(db=tmp_path / "demo.db", data_dir=tmp_path / "data", team_timezone=TEAM_TZ,
                    holiday_country="DE")


@pytest.fixture(params=list(DAYS.values()), ids=list(DAYS))
def day(request: pytest.FixtureRequest) -> date:
    return request.param


@pytest.fixture
def travelled(day: date, tmp_path: Path):
    """The demo built on ``day`` at 09:00 in the team's zone, with the clock there while the test runs."""
    moment = datetime.combine(day, time(9), tzinfo=ZoneInfo(TEAM_TZ))
    settings = demo_settings(tmp_path)
    with clock_at(moment):
        build_demo(settings.db, SAMPLES, today=day, settings=settings, data_dir=settings.data_dir,
                   feeds_dir=tmp_path / "static")
        db = open_db(settings.db)
        yield db, settings, moment
        db.close()


def test_the_demo_tells_the_same_story(travelled, day: date) -> None:
    db, _, moment = travelled
    rows = intake.escalations(db)
    by_status = {s: sum(1 for r in rows if r["status"] == s) for s in ("open", "done")}
    assert (by_status["open"], by_status["done"]) == (EXPECTED.open, EXPECTED.done)
    assert db["staged_replies"].count_where("status = 'staged'") == EXPECTED.staged_replies
    assert db["quarantine"].count_where("status = 'pending'") == EXPECTED.quarantined
    assert db["followups"].count == EXPECTED.followups
    # Every sample moved with the day: the newest came in the day before yesterday, the oldest a month ago.
    received = sorted(datetime.fromisoformat(r["received_at"]) for r in rows)
    assert timedelta(days=1) < moment - received[-1] < timedelta(days=2)
    assert timedelta(days=32) < moment - received[0] < timedelta(days=34)


def test_rotation_is_planned_a_quarter_ahead_and_frozen_weeks_hold(travelled, day: date) -> None:
    db, settings, moment = travelled
    current = week_start_for(day, settings.week_start_index)
    planned = [w for w in rotation_store.load_schedule(db) if w.week_start >= current]
    assert len(planned) >= 13
    assert [w.week_start for w in planned[:13]] == [current + timedelta(weeks=i) for i in range(13)]
    assert all(w.engineer_email for w in planned[:13])
    frozen = {w.week_start: w.engineer_email for w in planned if w.week_start < current + timedelta(weeks=2)}
    assert len(frozen) == settings.freeze_weeks and all(w.published for w in planned[:2])
    # The engineer of a frozen week falls ill: the frozen weeks stay, later weeks of theirs move to someone else.
    ill = planned[0].engineer_email
    rotation_store.add_unavailability(db, Unavailability(ill, current, current + timedelta(weeks=13), "sick", ""))
    after = {w.week_start: w.engineer_email for w in rotation_store.regenerate(db, settings, moment).weeks}
    assert {start: after[start] for start in frozen} == frozen
    assert ill not in [after[w.week_start] for w in planned[2:13]]


def test_capacity_counts_the_whole_team_and_every_sample(travelled, day: date) -> None:
    db, settings, moment = travelled
    engineers = ops.engineers(db)
    this_week = capacity.week_start_of(day, settings.week_start_index)
    assert capacity.team_size_on(engineers, this_week) == DEMO_ENGINEERS
    costs = capacity.cost_series(engineers, ops.rotation_weeks(db), moment, weeks=13,
                                 week_start_index=settings.week_start_index)
    assert len(costs) >= 13
    received = ops.received_times(db, iso(moment - timedelta(weeks=14)))
    counts = capacity.weekly_counts(received, moment, weeks=13, week_start_index=settings.week_start_index)
    assert sum(c.count for c in counts) == EXPECTED.open + EXPECTED.done
    assert capacity.average_per_week(counts, moment, settings.week_start_index) > 0


def test_handoff_week_holds_today_and_last_weeks_handoff_is_in(travelled, day: date) -> None:
    db, settings, moment = travelled
    tz = ZoneInfo(settings.team_timezone)
    week = handoff.current_week([r["week_start"] for r in ops.rotation_weeks(db)], day)
    assert week == capacity.week_start_of(day, settings.week_start_index)
    start, end = handoff.week_window(week, tz)
    assert start <= moment < end
    assert start.astimezone(tz).time() == time(0) and end.astimezone(tz).time() == time(0)
    last = ops.handoff(db, (week - timedelta(weeks=1)).isoformat())
    assert last is not None and last["submitted_at"]


def test_office_hours_queue_has_the_same_items(travelled, day: date) -> None:
    db, _, _ = travelled
    rows = intake.escalations(db)
    queue = office_hours.build_queue(esc.open_escalations(rows), ops.office_hours_for_day(db, day.isoformat()),
                                     latest_followups=ops.latest_followups(db),
                                     last_discussed=ops.last_discussed(db, day.isoformat()),
                                     closed_items=[e for e in map(esc.from_row, rows) if not e.is_open])
    assert tuple(item.kind for item in queue) == EXPECTED.queue


def test_calendar_feeds_are_valid_and_cover_the_plan(travelled, tmp_path: Path, day: date) -> None:
    db, settings, moment = travelled
    weeks = [w for w in rotation_store.effective_schedule(db) if w.engineer_email]
    paths = rotation_store.refresh_feeds(db, settings, moment, tmp_path / "feeds")
    assert len(paths) == 1 + DEMO_ENGINEERS
    team = Calendar.from_ical((tmp_path / "feeds" / "rotation-team.ics").read_bytes())
    events = team.walk("VEVENT")
    assert len(events) == len(weeks)
    current = week_start_for(day, settings.week_start_index)
    starts = {e.decoded("dtstart") for e in events}
    assert current in starts and current + timedelta(weeks=12) in starts
    for event in events:
        assert event.decoded("dtend") > event.decoded("dtstart")
    personal = sum(len(Calendar.from_ical(p.read_bytes()).walk("VEVENT")) for p in paths
                   if p.name != "rotation-team.ics")
    assert personal == len(events)


def test_rebuilding_on_a_later_day_adds_nothing(tmp_path: Path) -> None:
    """`make demo` run again a week later on the same database: the samples are recognised, nothing doubles."""
    settings = demo_settings(tmp_path)
    for day in (REFERENCE_DAY, REFERENCE_DAY + timedelta(days=7)):
        with clock_at(datetime.combine(day, time(9), tzinfo=ZoneInfo(TEAM_TZ))):
            build_demo(settings.db, SAMPLES, today=day, settings=settings, data_dir=settings.data_dir,
                       feeds_dir=tmp_path / "static")
    db = open_db(settings.db)
    assert db["escalations"].count == EXPECTED.open + EXPECTED.done
    assert db["staged_replies"].count == EXPECTED.staged_replies
    db.close()


@pytest.mark.parametrize(("written", "shift", "moved"), [
    ("Date: Thu, 26 Nov 2026 09:30:00 +0000", 5, "Date: Tue, 1 Dec 2026 09:30:00 +0000"),
    ("Date: Wed, 04 Nov 2026 14:40:00 +0000", 60, "Date: Sun, 03 Jan 2027 14:40:00 +0000"),
    ("Date: Mon, Nov 23, 2026 at 9:14 AM", 463, "Date: Tue, Feb 29, 2028 at 9:14 AM"),
    ("Sent: Tuesday, November 24, 2026 3:02 PM", 7, "Sent: Tuesday, December 1, 2026 3:02 PM"),
    ("Date: 25 November 2026 at 10:01:22 CET", -25, "Date: 31 October 2026 at 10:01:22 CET"),
    ("the \"Finance 2026\" workspace, on 31 Feb 2026", 3, "the \"Finance 2026\" workspace, on 31 Feb 2026"),
])
def test_sample_dates_move_in_the_style_they_were_written(written: str, shift: int, moved: str) -> None:
    assert shift_dates(written.encode(), timedelta(days=shift)).decode() == moved
