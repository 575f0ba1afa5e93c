"""Importing a schedule kept elsewhere: history counts in fairness, planned weeks stay (issue 15)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest

from core.errors import ValidationError
from core.roster import Unavailability
from core.store import open_db
from core.store import rotation as store
from core.store.schedule_import import import_schedule
from tests.integration.test_cli import cli

NOW = datetime(2026, 3, 4, 9, tzinfo=timezone.utc)  # a Wednesday
THIS_WEEK = date(2026, 3, 2)
ROSTER = "name,email\nAda,ada@ourco.com\nBo,bo@ourco.com\nCy,cy@ourco.com\nDee,dee@ourco.com\nEx,ex@ourco.com,\n"


@pytest.fixture
def team_db(db, settings):
    store.import_roster_csv(db, ROSTER)
    store.save_roster(db, [e for e in store.list_engineers(db) if e.email != "ex@ourco.com"])  # Ex has left
    store.regenerate(db, settings, NOW)  # what the Calendar page does as soon as the roster exists
    return db


def past_weeks(*people: str) -> str:
    """A spreadsheet's history: one row per week, the last one the week before this."""
    first = THIS_WEEK - timedelta(weeks=len(people))
    return "".join(f"{p}@ourco.com,{first + timedelta(weeks=i)}\n" for i, p in enumerate(people))


def test_imported_history_counts_in_fairness(team_db, settings):
    # Ada and Bo carried the rotation for ten weeks, Ex (who has left) took two; Cy and Dee none.
    text = "email,week_start\n" + past_weeks("ada", "bo", "ex", "ada", "bo", "ada", "bo", "ex", "ada", "bo")
    result = import_schedule(team_db, settings, "rota.csv", text.encode(), now=NOW)
    assert (result.past, result.planned) == (10, 0)
    weeks = store.load_schedule(team_db)
    history = [w for w in weeks if w.week_start < THIS_WEEK]
    assert [w.engineer_email for w in history][:3] == ["ada@ourco.com", "bo@ourco.com", "ex@ourco.com"]
    assert all(w.published and w.note == "imported" for w in history)
    # The weeks after the frozen two (planned before the import) now go to Cy and Dee until they catch up.
    thawed = [w.engineer_email for w in weeks if w.week_start >= THIS_WEEK + timedelta(weeks=2)]
    assert set(thawed[:4]) == {"cy@ourco.com", "dee@ourco.com"}
    counts = Counter(w.engineer_email for w in weeks if w.week_start < THIS_WEEK + timedelta(weeks=14))
    assert max(counts[e] for e in ("ada@ourco.com", "bo@ourco.com", "cy@ourco.com", "dee@ourco.com")) - min(
        counts[e] for e in ("ada@ourco.com", "bo@ourco.com", "cy@ourco.com", "dee@ourco.com")) <= 1


def test_imported_planned_weeks_are_kept_as_published_through_regeneration(team_db, settings):
    later = THIS_WEEK + timedelta(weeks=6)
    text = f"name,week,backup\nDee,{later},Cy\nAda,{THIS_WEEK},Bo\n"
    result = import_schedule(team_db, settings, "rota.csv", text.encode(), now=NOW)
    assert (result.past, result.planned) == (0, 2)
    # Time off added afterwards for someone else, then replanning: the promised weeks stay as imported.
    store.add_unavailability(team_db, Unavailability("bo@ourco.com", later - timedelta(weeks=2), later))
    store.regenerate(team_db, settings, NOW + timedelta(days=1))
    kept = {w.week_start: w for w in store.load_schedule(team_db)}
    assert (kept[later].engineer_email, kept[later].backup_email, kept[later].published) == (
        "dee@ourco.com", "cy@ourco.com", True)
    assert (kept[THIS_WEEK].engineer_email, kept[THIS_WEEK].backup_email) == ("ada@ourco.com", "bo@ourco.com")
    [row] = team_db["schedule_imports"].rows
    assert (row["filename"], row["content"], row["weeks"]) == ("rota.csv", text.encode(), 2)


def test_a_changed_week_gets_a_higher_sequence_and_a_refused_import_changes_nothing(team_db, settings):
    before = {w.week_start: w for w in store.load_schedule(team_db)}
    week = THIS_WEEK + timedelta(weeks=1)
    other = next(e for e in ("ada", "bo", "cy", "dee") if f"{e}@ourco.com" != before[week].engineer_email)
    import_schedule(team_db, settings, "r.csv", f"email,week\n{other}@ourco.com,{week}\n".encode(), now=NOW)
    after = {w.week_start: w for w in store.load_schedule(team_db)}
    assert after[week].sequence == before[week].sequence + 1
    with pytest.raises(ValidationError, match="line 2: ex@ourco.com is no longer active and cannot take the week"):
        import_schedule(team_db, settings, "r.csv", f"email,week\nex@ourco.com,{week}\n".encode(), now=NOW)
    assert store.load_schedule(team_db) == list(after.values())
    assert team_db["schedule_imports"].count == 1


def test_the_command_imports_an_ical_file_and_reports_bad_lines(tmp_path):
    db_path = tmp_path / "cli.db"
    db = open_db(db_path)
    store.import_roster_csv(db, ROSTER)
    db.close()
    ics = tmp_path / "oncall.ics"
    ics.write_bytes(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n"
                    b"BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:On call Ada\r\nDTSTART;VALUE=DATE:20200106\r\n"
                    b"DTEND;VALUE=DATE:20200120\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    env = {"ROTADESK_DB": str(db_path), "ROTADESK_DATA_DIR": str(tmp_path / "data")}
    done = cli("import-schedule", str(ics), env=env)
    assert done.returncode == 0, done.stderr
    assert "Imported 2 past weeks and 0 planned weeks" in done.stdout
    db = open_db(db_path)
    assert [w.engineer_email for w in store.load_schedule(db) if w.week_start.year == 2020] == ["ada@ourco.com"] * 2
    db.close()
    bad = tmp_path / "bad.csv"
    bad.write_text("email,week\nnobody@ourco.com,2020-01-06\n")
    done = cli("import-schedule", str(bad), env=env)
    assert done.returncode == 1
    assert "line 2: 'nobody@ourco.com' is not on the roster" in done.stderr
