"""The demo and the planning code on awkward days: the same story and the same shape of result on every one.

Each case builds the demo for its day with the process clock moved there (time-machine), then runs what the
pages run: rotation generation and its freeze window, capacity, the handoff week, the office-hours queue and the
calendar feeds. The team works in Europe/Berlin, so the daylight-saving days are real changes of offset.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from core import boundary, capacity, cycles, handoff, office_hours, retro
from core import escalations as esc
from core.roster import Unavailability
from core.rotation import week_start_for
from core.settings import Settings
from core.store import boundary as boundary_store
from core.store import cycles as cycles_store
from core.store import intake, iso, open_db, ops, planning
from core.store import playbook as playbook_store
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
    wont_fix: int
    staged_replies: int
    sent_replies: int
    quarantined: int
    followups: int
    charted: int  # escalations on the Capacity page's intake chart: this week and the twelve before it
    queue: tuple[str, ...]  # the office-hours queue's kinds, in order


HISTORY = 37  # the past quarter's escalations (ingest/demo_history.py), all closed before this week began
# The samples are 7 open escalations, 2 fixed by earlier rotations (one reply staged), a quarantined message and a
# follow-up. The past quarter adds 36 escalations fixed or answered and 1 won't fix, each with its reply sent, and
# 2 customers who wrote again after a close (discussed at office hours then, so today's queue is the samples').
# The intake chart leaves out the quarter's first week (13 weeks ago): its 3 escalations.
EXPECTED = Shape(open=7, done=2 + 36, wont_fix=1, staged_replies=1, sent_replies=HISTORY, quarantined=1,
                 followups=1 + 2, charted=7 + 2 + HISTORY - 3,
                 queue=("followup", "topic", "escalation", "escalation", "escalation", "escalation", "escalation",
                        "escalation"))
# The retro of the weeks before any sample (6 to 12 weeks ago), oldest first: received, fixed within the week,
# triaged to the backlog, carried over. Each week's escalations are dated from the week, so on every day alike.
HISTORY_RETRO = ((4, 3, 0, 1), (3, 2, 1, 0), (4, 3, 0, 0), (3, 0, 2, 1), (4, 4, 0, 0), (3, 3, 0, 0), (3, 2, 1, 0))


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
    db, settings, moment = travelled
    rows = intake.escalations(db)
    by_status = {s: sum(1 for r in rows if r["status"] == s) for s in ("open", "done", "wont_fix")}
    assert (by_status["open"], by_status["done"], by_status["wont_fix"]) == (EXPECTED.open, EXPECTED.done,
                                                                            EXPECTED.wont_fix)
    assert db["staged_replies"].count_where("status = 'staged'") == EXPECTED.staged_replies
    assert db["staged_replies"].count_where("status = 'sent'") == EXPECTED.sent_replies
    assert db["quarantine"].count_where("status = 'pending'") == EXPECTED.quarantined
    assert db["followups"].count == EXPECTED.followups
    # Every sample moved with the day: the newest came in the day before yesterday, the oldest a month ago.
    history = [r for r in rows if r["message_id"].startswith("history-")]
    received = sorted(datetime.fromisoformat(r["received_at"]) for r in rows if r not in history)
    assert timedelta(days=1) < moment - received[-1] < timedelta(days=2)
    assert timedelta(days=32) < moment - received[0] < timedelta(days=34)
    # The past quarter came in over the 13 weeks before this one, and was closed before this week began.
    this_week, _ = handoff.week_window(capacity.week_start_of(day, settings.week_start_index), ZoneInfo(TEAM_TZ))
    assert len(history) == HISTORY
    assert this_week - timedelta(weeks=13) < min(datetime.fromisoformat(r["received_at"]) for r in history)
    assert all(datetime.fromisoformat(r["closed_at"]) < this_week for r in history)


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
    assert sum(c.count for c in counts) == EXPECTED.charted
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


def test_the_planning_view_has_a_quarter_of_history(travelled, day: date) -> None:
    db, settings, moment = travelled
    tz = ZoneInfo(settings.team_timezone)
    weeks = retro.past_weeks(ops.rotation_weeks(db), day, tz, 13)
    current = capacity.week_start_of(day, settings.week_start_index)
    assert [w.week_start for w in weeks] == [current - timedelta(weeks=12 - i) for i in range(13)]
    assert all(w.engineer for w in weeks)
    retros = retro.retro(planning.retro_rows(db, iso(weeks[0].start)), weeks, planning.pulses(db),
                         boundary.counts(boundary_store.breach_rows(db)))
    assert tuple((r.received, r.fixed, r.triaged, r.carried_over) for r in retros[:7]) == HISTORY_RETRO
    assert [r.week_start for r in retros if r.reopened] == [current - timedelta(weeks=12), current - timedelta(weeks=8)]
    # Every past rotation was rated by its engineer and by support; this week's is not yet.
    assert all(set(r.pulse) == {"engineer", "support"} for r in retros[:-1]) and not retros[-1].pulse
    # The boundary guard found non-escalation work in two weeks, and the playbook changed in two others.
    assert {r.week_start: r.breaches for r in retros if r.breaches} == {current - timedelta(weeks=9): 2,
                                                                        current - timedelta(weeks=4): 1}
    marks = retro.change_marks(playbook_store.changes(db), weeks)
    assert [m["week_start"] for m in marks] == [(current - timedelta(weeks=n)).isoformat() for n in (8, 5)]
    # Two-week Linear cycles over the quarter, the last one running now; each cycle costs its engineer-weeks.
    per_cycle = cycles.per_cycle(cycles_store.cycles(db), planning.retro_rows(db, "2000-01-01"),
                                 ops.rotation_weeks(db), ops.engineers(db, active_only=False), tz, moment)
    assert [c.starts_at.date() for c in per_cycle] == [current - timedelta(weeks=13 - 2 * i) for i in range(7)]
    assert per_cycle[-1].starts_at <= moment < per_cycle[-1].ends_at
    assert all(c.row()["support_weeks"] == 2.0 for c in per_cycle)
    assert sum(c.outcome.received for c in per_cycle) == EXPECTED.open + EXPECTED.done + EXPECTED.wont_fix


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
    # One event per staffed week, or two when its engineer is away part of it and someone covers those days.
    per_week = Counter(week_start_for(e.decoded("dtstart"), settings.week_start_index) for e in events)
    assert set(per_week) == {w.week_start for w in weeks}
    away = rotation_store.list_unavailability(db)
    split = {w.week_start for w in weeks if any(a.email == w.engineer_email and a.start < w.week_start + timedelta(
        days=7) and a.end >= w.week_start for a in away)}
    assert {start for start, n in per_week.items() if n > 1} <= split and max(per_week.values()) <= 2
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
    assert db["escalations"].count == EXPECTED.open + EXPECTED.done + EXPECTED.wont_fix
    assert db["staged_replies"].count == EXPECTED.staged_replies + EXPECTED.sent_replies
    assert db["followups"].count == EXPECTED.followups
    assert (db["pulses"].count, db["boundary_breaches"].count, db["linear_cycles"].count) == (2 * 13, 3, 7)
    assert db["playbook_changes"].count == 2
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
