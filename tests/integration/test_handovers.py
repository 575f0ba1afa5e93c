"""Overrides for part of a week and "X is out today": the calendar, feeds, routing and capacity follow (issue 15)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from icalendar import Calendar

from core import capacity
from core.errors import ValidationError
from core.roster import Unavailability, slug
from core.store import handovers, ops
from core.store import rotation as store

MONDAY = date(2026, 1, 5)
NOW = datetime(2026, 1, 5, 8, tzinfo=timezone.utc)
THURSDAY = datetime(2026, 1, 8, 12, tzinfo=timezone.utc)
CSV = "name,email\n" + "".join(f"E{i},e{i}@ourco.com\n" for i in range(5))


@pytest.fixture
def team_db(db, settings):
    store.import_roster_csv(db, CSV)
    store.regenerate(db, settings, NOW)
    return db


def first_week(db):
    return store.effective_schedule(db)[0]


def someone_else(week) -> str:
    return next(f"e{i}@ourco.com" for i in range(5)
                if f"e{i}@ourco.com" not in {week.engineer_email, week.backup_email})


def events(path: Path) -> list[tuple[date, date, str]]:
    feed = Calendar.from_ical(path.read_bytes())
    return sorted((e.decoded("DTSTART"), e.decoded("DTEND"), str(e["UID"])) for e in feed.walk("VEVENT"))


def test_covering_two_days_changes_who_is_on_support_those_days_only(team_db, settings):
    week = first_week(team_db)
    cover = someone_else(week)
    override = handovers.cover_days(team_db, settings, MONDAY + timedelta(days=3), MONDAY + timedelta(days=4), cover,
                                    requested_by=week.engineer_email, decided_by="lead", reason="dentist", now=NOW)
    assert (override.from_email, override.first_day, override.last_day) == \
        (week.engineer_email, date(2026, 1, 8), date(2026, 1, 9))
    assert store.current_engineer_email(team_db, settings, THURSDAY) == cover
    assert store.current_engineer_email(team_db, settings, THURSDAY - timedelta(days=1)) == week.engineer_email
    # The plan is unchanged; the week's events change, so SEQUENCE rises.
    assert store.load_schedule(team_db)[0].engineer_email == week.engineer_email
    assert store.load_schedule(team_db)[0].sequence == week.sequence + 1
    view = store.calendar_view(team_db, settings, THURSDAY)
    assert view.on_support == cover
    assert [(p.first, p.last, p.email) for p in view.covers[MONDAY]] == [
        (MONDAY, date(2026, 1, 7), week.engineer_email), (date(2026, 1, 8), date(2026, 1, 9), cover)]


def test_feeds_cut_the_week_where_the_cover_starts(team_db, settings, tmp_path: Path):
    week = first_week(team_db)
    cover = someone_else(week)
    handovers.cover_days(team_db, settings, date(2026, 1, 8), date(2026, 1, 9), cover, requested_by="",
                         decided_by="lead", reason="dentist", now=NOW)
    static = tmp_path / "static"
    store.refresh_feeds(team_db, settings, NOW, directory=static)
    team = [e for e in events(static / "rotation-team.ics") if e[0] < MONDAY + timedelta(weeks=1)]
    assert team == [(MONDAY, date(2026, 1, 8), "rotation-2026-01-05@rotadesk"),
                    (date(2026, 1, 8), date(2026, 1, 10), "rotation-2026-01-05-d3@rotadesk")]
    mine = events(static / f"rotation-{slug(cover)}.ics")
    assert (date(2026, 1, 8), date(2026, 1, 10), f"rotation-2026-01-05-d3-{slug(cover)}@rotadesk") in mine
    primary = events(static / f"rotation-{slug(week.engineer_email)}.ics")
    assert primary[0] == (MONDAY, date(2026, 1, 8), f"rotation-2026-01-05-{slug(week.engineer_email)}@rotadesk")
    # Personal feeds split the team feed between the engineers: nothing more, nothing less.
    personal = sum(len(events(p)) for p in static.glob("rotation-*.ics") if p.name != "rotation-team.ics")
    assert personal == len(events(static / "rotation-team.ics"))


def test_a_day_of_pto_in_a_published_week_goes_to_the_backup(team_db, settings):
    week = first_week(team_db)
    store.add_unavailability(team_db, Unavailability(week.engineer_email, date(2026, 1, 8), date(2026, 1, 8)))
    assert store.current_engineer_email(team_db, settings, THURSDAY) == week.backup_email
    assert store.current_engineer_email(team_db, settings, THURSDAY + timedelta(days=1)) == week.engineer_email
    assert store.calendar_view(team_db, settings, NOW).conflicts == []  # one day off is not a conflict


def test_out_today_hands_the_rest_of_today_to_the_backup(team_db, settings):
    week = first_week(team_db)
    override = handovers.out_today(team_db, settings, week.engineer_email, decided_by="lead", now=THURSDAY)
    assert (override.to_email, override.first_day, override.last_day) == (week.backup_email, THURSDAY.date(),
                                                                           THURSDAY.date())
    assert override.reason == f"{week.engineer_email} is out today"
    assert store.current_engineer_email(team_db, settings, THURSDAY) == week.backup_email
    assert store.current_engineer_email(team_db, settings, THURSDAY + timedelta(days=1)) == week.engineer_email
    with pytest.raises(ValidationError, match="neither the primary nor the backup"):
        handovers.out_today(team_db, settings, someone_else(week), decided_by="lead", now=THURSDAY)


def test_handovers_are_validated(team_db, settings):
    week = first_week(team_db)
    cover = someone_else(week)
    with pytest.raises(ValidationError, match="one rotation week"):
        handovers.cover_days(team_db, settings, date(2026, 1, 9), date(2026, 1, 12), cover, requested_by="",
                             decided_by="", reason="x", now=NOW)
    with pytest.raises(ValidationError, match="before the first day"):
        handovers.cover_days(team_db, settings, date(2026, 1, 9), date(2026, 1, 8), cover, requested_by="",
                             decided_by="", reason="x", now=NOW)
    with pytest.raises(ValidationError, match="Say why"):
        handovers.cover_days(team_db, settings, date(2026, 1, 8), date(2026, 1, 8), cover, requested_by="",
                             decided_by="", reason=" ", now=NOW)
    with pytest.raises(ValidationError, match="already covers"):
        handovers.cover_days(team_db, settings, date(2026, 1, 8), date(2026, 1, 8), week.engineer_email,
                             requested_by="", decided_by="", reason="x", now=NOW)
    with pytest.raises(ValidationError, match="no rotation week"):
        handovers.cover_days(team_db, settings, date(2030, 1, 8), date(2030, 1, 8), cover, requested_by="",
                             decided_by="", reason="x", now=NOW)


def test_capacity_names_the_swapped_engineer_and_who_covers_days(team_db, settings):
    weeks = store.effective_schedule(team_db)
    swap_to = someone_else(weeks[1])
    store.accept_swap(team_db, weeks[1].week_start, swap_to, requested_by="", decided_by="lead", reason="trip",
                      now=NOW)
    cover = someone_else(weeks[0])
    handovers.cover_days(team_db, settings, date(2026, 1, 8), date(2026, 1, 8), cover, requested_by="",
                         decided_by="lead", reason="dentist", now=NOW)
    rows = ops.rotation_weeks(team_db)
    assert rows[1]["engineer_email"] == swap_to and rows[0]["covered_by"] == cover
    costs = capacity.cost_series(ops.engineers(team_db), rows, NOW, weeks=2)
    assert [c.engineer for c in costs] == [f"{weeks[0].engineer_email} (days covered by {cover})", swap_to]
