"""Roster, time off, schedule, swaps and feeds through the SQLite store."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from icalendar import Calendar

from core.errors import ValidationError
from core.roster import Engineer, Unavailability
from core.store import rotation as store

NOW = datetime(2026, 1, 7, 10, tzinfo=timezone.utc)  # a Wednesday
MONDAY = date(2026, 1, 5)
CSV = ("name,email,timezone,start_date\n" + "".join(f"E{i},e{i}@ourco.com,Europe/Berlin,2024-01-0{i + 1}\n"
                                                    for i in range(6)))


@pytest.fixture
def team_db(db, settings):
    assert store.import_roster_csv(db, CSV) == []
    store.regenerate(db, settings, NOW)
    return db


def test_import_and_regenerate_plan_thirteen_weeks_from_this_week(team_db, settings):
    weeks = store.load_schedule(team_db)
    assert len(weeks) == 13 and weeks[0].week_start == MONDAY
    assert [w.published for w in weeks[:3]] == [True, True, False]
    assert {w.engineer_email for w in weeks[:6]} == {f"e{i}@ourco.com" for i in range(6)}
    assert store.list_engineers(team_db)[0] == Engineer("e0@ourco.com", "E0", "Europe/Berlin", date(2024, 1, 1))


def test_regenerating_is_idempotent_and_keeps_frozen_weeks(team_db, settings):
    before = store.load_schedule(team_db)
    store.regenerate(team_db, settings, NOW)
    assert store.load_schedule(team_db) == before
    store.add_unavailability(team_db, Unavailability(before[0].engineer_email, MONDAY, MONDAY + timedelta(weeks=20)))
    store.regenerate(team_db, settings, NOW)
    after = store.load_schedule(team_db)
    assert after[:2] == before[:2]
    assert before[0].engineer_email not in {w.engineer_email for w in after[2:]}
    changed = [(b, a) for b, a in zip(before, after) if b.engineer_email != a.engineer_email]
    assert changed and all(a.sequence == b.sequence + 1 for b, a in changed)


def test_extend_adds_weeks_and_later_regeneration_keeps_the_extent(team_db, settings):
    store.regenerate(team_db, settings, NOW, extend_weeks=13)
    assert len(store.load_schedule(team_db)) == 26
    store.regenerate(team_db, settings, NOW)
    assert len(store.load_schedule(team_db)) == 26


def test_accepting_a_swap_records_the_audit_trail_and_routes_to_the_new_engineer(team_db, settings):
    week = store.load_schedule(team_db)[0]
    to_email = next(f"e{i}@ourco.com" for i in range(6) if f"e{i}@ourco.com" != week.engineer_email)
    store.accept_swap(team_db, MONDAY, to_email, requested_by="ada", decided_by="lead", reason="conference", now=NOW)
    override = store.list_overrides(team_db)[0]
    assert (override.from_email, override.requested_by, override.decided_by, override.reason, override.at) == \
        (week.engineer_email, "ada", "lead", "conference", NOW)
    assert store.current_engineer_email(team_db, settings, NOW) == to_email
    assert store.load_schedule(team_db)[0].sequence == week.sequence + 1
    store.regenerate(team_db, settings, NOW)
    assert store.current_engineer_email(team_db, settings, NOW) == to_email


def test_swaps_are_validated(team_db):
    week = store.load_schedule(team_db)[0]
    with pytest.raises(ValidationError, match="Say why"):
        store.accept_swap(team_db, MONDAY, "e1@ourco.com", requested_by="", decided_by="", reason=" ", now=NOW)
    with pytest.raises(ValidationError, match="already covers"):
        store.accept_swap(team_db, MONDAY, week.engineer_email, requested_by="", decided_by="", reason="x", now=NOW)
    with pytest.raises(ValidationError, match="no rotation week"):
        store.accept_swap(team_db, date(2030, 1, 7), "e1@ourco.com", requested_by="", decided_by="", reason="x",
                          now=NOW)


def test_pto_after_publishing_shows_as_a_conflict(team_db, settings):
    first = store.load_schedule(team_db)[0]
    store.add_unavailability(team_db, Unavailability(first.engineer_email, MONDAY, MONDAY + timedelta(days=4)))
    store.regenerate(team_db, settings, NOW)
    view = store.calendar_view(team_db, settings, NOW)
    assert [(c.week_start, c.email) for c in view.conflicts] == [(MONDAY, first.engineer_email)]
    assert len(view.conflicts[0].suggestions) == 3


def test_saving_the_roster_deactivates_people_left_out(team_db, settings):
    people = store.list_engineers(team_db)
    messages = store.save_roster(team_db, [replace(people[0], name="Eve Zero"), *people[1:5]])
    assert messages == ["E5 (e5@ourco.com) is no longer on the rotation."]
    assert {e.email: e.active for e in store.list_engineers(team_db)}["e5@ourco.com"] is False
    with pytest.raises(ValidationError, match="not on the roster"):
        store.add_unavailability(team_db, Unavailability("ghost@ourco.com", MONDAY, MONDAY))


def test_calendar_view_reports_now_next_and_readiness(team_db, settings):
    team_db["escalations"].insert_all([{"message_id": f"<m{i}>", "status": "open"} for i in range(3)])
    view = store.calendar_view(team_db, settings, NOW)
    weeks = store.load_schedule(team_db)
    assert (view.on_support, view.next_up) == (weeks[0].engineer_email, weeks[1].engineer_email)
    assert store.open_bug_count(team_db) == 3
    assert {f.code for f in view.findings} == {"cost"}


def test_feeds_are_written_from_the_effective_schedule(team_db, settings, tmp_path: Path):
    paths = store.refresh_feeds(team_db, settings, NOW, directory=tmp_path / "static")
    assert len(paths) == 7
    team = Calendar.from_ical((tmp_path / "static" / "rotation-team.ics").read_bytes())
    assert len(list(team.walk("VEVENT"))) == 13


def test_ensure_schedule_rolls_the_plan_forward_only_when_needed(team_db, settings):
    assert store.ensure_schedule(team_db, settings, NOW) is None
    later = NOW + timedelta(weeks=3)
    assert store.ensure_schedule(team_db, settings, later) is not None
    assert len(store.load_schedule(team_db)) == 16


def test_an_engineers_holiday_country_is_kept_and_planned_with(db, settings):
    # Issue 15: per-engineer holidays; the team setting (none here) is the default.
    csv = "name,email,timezone,holiday_country\nAda,ada@ourco.com,America/New_York,us\nBo,bo@ourco.com,,\n"
    store.import_roster_csv(db, csv)
    ada = store.list_engineers(db)[0]
    assert (ada.timezone, ada.holiday_country) == ("America/New_York", "US")
    plan = store.plan_for(settings, date(2026, 11, 23), engineers=store.list_engineers(db))
    assert plan.holidays == frozenset()
    assert date(2026, 11, 26) in plan.holidays_of("ada@ourco.com")  # Thanksgiving
    assert plan.holidays_of("bo@ourco.com") == frozenset()
    with pytest.raises(ValidationError, match="holiday country 'XX' is unknown"):
        store.import_roster_csv(db, "name,email,holiday_country\nCy,cy@ourco.com,xx\n")


def test_backups_are_saved_and_kept_on_regeneration(team_db, settings):
    weeks = store.load_schedule(team_db)
    assert all(w.backup_email and w.backup_email != w.engineer_email for w in weeks)
    store.regenerate(team_db, settings, NOW)
    assert store.load_schedule(team_db) == weeks


def test_a_regeneration_is_previewed_with_the_weeks_it_moves_and_nothing_saved(team_db, settings) -> None:
    # Issue 19: the Calendar says which unpublished weeks move, and to whom, before it is applied.
    before = {w.week_start: w.engineer_email for w in store.load_schedule(team_db)}
    assert store.preview_regenerate(team_db, settings, NOW) == []
    later = sorted(w for w in before if w >= MONDAY)[5]  # an unpublished week
    store.add_unavailability(team_db, Unavailability(before[later], later, later + timedelta(days=6), "pto", ""))
    moves = store.preview_regenerate(team_db, settings, NOW)
    assert later in {m.week_start for m in moves}
    assert all(m.from_email == before[m.week_start] and m.to_email != m.from_email for m in moves)
    assert all(m.week_start >= MONDAY + timedelta(weeks=settings.freeze_weeks) for m in moves)  # published stay
    assert {w.week_start: w.engineer_email for w in store.load_schedule(team_db)} == before  # nothing saved
