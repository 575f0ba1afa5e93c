"""The worker keeps the rotation planned and its feeds published on its own (issue 15)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from icalendar import Calendar

from core.store import open_db
from core.store import rotation as store
from ingest import worker
from tests.support.clock import clock_at

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)
CSV = "name,email\n" + "".join(f"E{i},e{i}@ourco.com\n" for i in range(5))


@pytest.fixture
def roster_db(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)  # feeds go to ./static/
    store.import_roster_csv(db, CSV)
    return db


def team_events(tmp_path: Path) -> list[str]:
    feed = Calendar.from_ical((tmp_path / "static" / "rotation-team.ics").read_bytes())
    return sorted(str(e["dtstart"].dt) for e in feed.walk("VEVENT"))


def test_a_cycle_plans_the_horizon_and_publishes_the_feeds(roster_db, settings, tmp_path: Path):
    assert store.load_schedule(roster_db) == []
    worker.rotation_cycle(roster_db, settings, now=NOW)
    weeks = store.load_schedule(roster_db)
    assert len(weeks) == 13 and weeks[0].week_start.isoformat() == "2026-11-23"
    assert team_events(tmp_path) == [w.week_start.isoformat() for w in weeks]
    assert len(list((tmp_path / "static").glob("rotation-*.ics"))) == 6


def test_weeks_later_the_cycle_rolls_forward_keeping_frozen_weeks(roster_db, settings, tmp_path: Path):
    worker.rotation_cycle(roster_db, settings, now=NOW)
    before = {w.week_start: w.engineer_email for w in store.load_schedule(roster_db)}
    later = NOW + timedelta(weeks=4)
    worker.rotation_cycle(roster_db, settings, now=later)
    after = store.load_schedule(roster_db)
    assert len(after) == 17
    # Every week published before the roll (this week and next at each point in time) is unchanged.
    for week in after[:6]:
        assert week.engineer_email == before[week.week_start]
    assert team_events(tmp_path)[-1] == after[-1].week_start.isoformat()


def test_a_swap_made_elsewhere_reaches_the_feeds_at_the_next_cycle(roster_db, settings, tmp_path: Path):
    worker.rotation_cycle(roster_db, settings, now=NOW)
    week = store.load_schedule(roster_db)[3]
    other = next(f"e{i}@ourco.com" for i in range(5) if f"e{i}@ourco.com" != week.engineer_email)
    store.accept_swap(roster_db, week.week_start, other, requested_by="a", decided_by="b", reason="trip", now=NOW)
    worker.rotation_cycle(roster_db, settings, now=NOW)
    personal = Calendar.from_ical((tmp_path / "static" / f"rotation-{other.replace('@', '-').replace('.', '-')}.ics")
                                  .read_bytes())
    assert week.week_start in {e["dtstart"].dt for e in personal.walk("VEVENT")}


def test_run_once_without_inbox_or_tokens_still_rolls_the_rotation(settings, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    db = open_db(settings.db)
    store.import_roster_csv(db, CSV)
    db.close()
    with clock_at(NOW):
        assert worker.run(settings, once=True) == 0
    db = open_db(settings.db)
    assert len(store.load_schedule(db)) == 13
    db.close()
    assert (tmp_path / "static" / "rotation-team.ics").exists()
