"""The Calendar page, run with AppTest against a temporary database."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.roster import Engineer, Unavailability
from core.rotation import Plan, RotationWeek, conflicts, generate
from core.settings import Settings
from core.store import open_db
from core.store import rotation as store
from tests.support.clock import APP_NOW
from ui.calendar_chart import calendar_cells, rotation_chart

PAGE = str(Path(__file__).resolve().parents[2] / "pages/calendar.py")
CONFIG_VARS = ("ROTADESK_HUBSPOT_TOKEN", "ROTADESK_LINEAR_API_KEY", "ROTADESK_TEAM_TIMEZONE", "ROTADESK_WEEK_START",
               "ROTADESK_HOLIDAY_COUNTRY", "ROTADESK_ROTATION_WEEKS_AHEAD", "ROTADESK_FREEZE_WEEKS")
CSV = "name,email\n" + "".join(f"Engineer {i},e{i}@ourco.com\n" for i in range(5))


@pytest.fixture
def calendar_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary DB, cleared caches, and a working directory whose static/ receives the feeds."""
    monkeypatch.setenv("ROTADESK_DB", str(tmp_path / "app.db"))
    monkeypatch.setenv("ROTADESK_DATA_DIR", str(tmp_path / "data"))
    for name in CONFIG_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # the page writes feeds to ./static/; keep them out of the project
    st.cache_data.clear()
    st.cache_resource.clear()
    yield tmp_path
    st.cache_data.clear()
    st.cache_resource.clear()


def seeded(path: Path) -> None:
    db = open_db(path / "app.db")
    store.import_roster_csv(db, CSV)
    store.regenerate(db, Settings(db=path / "app.db"), APP_NOW)
    db.close()


def frame(at: AppTest, column: str):
    """The first table on the page that has ``column``."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def test_empty_roster_explains_how_to_add_engineers(calendar_env):
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    assert "No engineers yet" in at.info[0].value
    assert "CSV" in at.info[0].value
    assert [w.value for w in at.warning][0].startswith("Only 0 active engineer(s)")


def test_pasting_csv_imports_the_roster_and_plans_the_quarter(calendar_env):
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    at.text_area(key="calendar.csv_text").input(CSV)
    at.button(key="calendar.import").click().run()
    assert not at.exception
    assert "Roster imported." in [s.value for s in at.success]
    assert at.metric[0].label == "On support now" and at.metric[0].value.startswith("Engineer ")
    schedule = frame(at, "published")
    assert len(schedule) == 13
    assert (calendar_env / "static" / "rotation-team.ics").exists()
    assert (calendar_env / "static" / "rotation-e0-ourco-com.ics").exists()


def test_bad_csv_shows_a_clear_error(calendar_env):
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    at.text_area(key="calendar.csv_text").input("name,email\nAda,not-an-address\n")
    at.button(key="calendar.import").click().run()
    assert not at.exception
    assert "email 'not-an-address' is not an address" in at.error[0].value


def pick_swap_target(at: AppTest) -> str:
    """Choose the first available engineer for the week picked (the box starts with nobody chosen)."""
    box = at.selectbox(key=f"calendar.swap_to.{at.selectbox(key='calendar.swap_week').value}")
    assert box.value is None
    box.select_index(0).run()
    return box.options[0]


def test_accepting_a_swap_changes_who_is_on_support(calendar_env):
    seeded(calendar_env)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    before = at.metric[0].value
    target = pick_swap_target(at)
    at.text_input(key="calendar.requested_by").input("Engineer 0")
    at.text_input(key="calendar.decided_by").input("Lead")
    at.text_input(key="calendar.reason").input("dentist")
    at.button(key="calendar.accept_swap").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("The week of")
    assert at.metric[0].value == target != before
    assert frame(at, "decided_by")["reason"].tolist() == ["dentist"]


def test_a_swap_without_a_reason_is_refused(calendar_env):
    seeded(calendar_env)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    pick_swap_target(at)
    at.button(key="calendar.accept_swap").click().run()
    assert not at.exception
    assert at.error[0].value.startswith("Say why")


def test_readiness_warnings_and_regenerate(calendar_env):
    seeded(calendar_env)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    assert any("20% of the team's capacity" in w.value and "What to change" in w.value for w in at.warning)
    at.button(key="calendar.extend").click().run()
    assert not at.exception
    assert len(frame(at, "published")) == 26


def test_local_only_offers_no_account_matching(calendar_env):
    seeded(calendar_env)
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "calendar.match_accounts"]


def test_matching_fills_linear_and_hubspot_ids_from_the_roster_emails(calendar_env, monkeypatch):
    from tests.doubles.hubspot import HubSpotDouble
    from tests.doubles.linear import API_KEY, LinearDouble

    seeded(calendar_env)
    hubspot, linear = HubSpotDouble(), LinearDouble()
    owner = hubspot.add_owner("e0@ourco.com", "Engineer", "Zero")
    user = linear.add_user("Engineer 0", "e0@ourco.com")
    hub_url, stop_hub = hubspot.serve()
    lin_url, stop_lin = linear.serve()
    try:
        for name, value in (("ROTADESK_HUBSPOT_TOKEN", hubspot.token), ("ROTADESK_HUBSPOT_BASE_URL", hub_url),
                            ("ROTADESK_LINEAR_API_KEY", API_KEY), ("ROTADESK_LINEAR_API_URL", lin_url),
                            ("ROTADESK_LINEAR_TEAM", "ENG")):
            monkeypatch.setenv(name, value)
        at = AppTest.from_file(PAGE, default_timeout=30).run()
        at.button(key="calendar.match_accounts").click().run()
        assert not at.exception
        assert at.success[0].value.startswith("Matched 2 accounts. No Linear user for e1@ourco.com")
        db = open_db(calendar_env / "app.db")
        e0 = next(e for e in store.list_engineers(db) if e.email == "e0@ourco.com")
        assert (e0.linear_user_id, e0.hubspot_owner_id) == (user["id"], owner)
        db.close()
    finally:
        stop_hub()
        stop_lin()


def test_the_quarter_chart_is_a_week_by_engineer_grid():
    today = date(2026, 3, 4)
    people = [Engineer(f"e{i}@ourco.com", f"Engineer {i}") for i in range(4)]
    away = [Unavailability("e1@ourco.com", date(2026, 3, 9), date(2026, 3, 13))]
    weeks = generate(people, away, today=today, plan=Plan(weeks_ahead=13, freeze_weeks=1)).weeks
    weeks[1] = RotationWeek(weeks[1].week_start, "e1@ourco.com", published=True)  # PTO added after publishing
    clashes = conflicts(weeks, people, away, today=today, plan=Plan())
    cells = calendar_cells(weeks, people, away, clashes, first=today, count=13)
    assert len(cells[cells["status"] != "PTO"]) == 13
    assert cells.loc[cells["status"] == "Conflict", "engineer"].tolist() == ["Engineer 1"]
    assert cells.loc[cells["status"] == "On support", "week"].tolist() == [date(2026, 3, 2)]
    grid = rotation_chart(cells, people, current_week=date(2026, 3, 2)).to_dict()
    assert grid["mark"]["type"] == "rect"
    assert (grid["encoding"]["x"]["field"], grid["encoding"]["y"]["field"]) == ("week", "engineer")
    assert grid["encoding"]["y"]["sort"] == [p.name for p in people]
    assert grid["encoding"]["stroke"]["condition"]["test"] == "datum.current"
    [rows] = grid["datasets"].values()
    assert {r["week"] for r in rows if r["current"]} == {"2026-03-02"}


def test_out_today_hands_the_day_to_the_backup_in_one_click(calendar_env):
    # Issue 15: "X is out today" is an override of today; the metric (and routing) follow.
    seeded(calendar_env)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    primary, backup = at.metric[0].value, at.metric[1].value
    assert at.metric[1].label == "Backup this week" and backup not in {primary, "Nobody"}
    at.button(key="calendar.out_today").click().run()
    assert not at.exception
    assert at.success[0].value == f"{backup} is on support for the rest of today."
    assert at.metric[0].value == backup
    assert frame(at, "decided_by")["reason"].tolist()[0].endswith("is out today")


def test_covering_days_shows_in_the_schedule(calendar_env):
    seeded(calendar_env)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    cover = at.selectbox(key="calendar.cover_to").options[-1]
    at.selectbox(key="calendar.cover_to").select(cover)
    at.date_input(key="calendar.cover_first").set_value(date(2026, 12, 3))
    at.date_input(key="calendar.cover_last").set_value(date(2026, 12, 4))
    at.text_input(key="calendar.cover_decided_by").input("Lead")
    at.text_input(key="calendar.cover_reason").input("conference")
    at.button[[b.label for b in at.button].index("Cover these days")].click().run()
    assert not at.exception
    assert at.success[0].value == f"{cover} covers 2026-12-03 to 2026-12-04."
    schedule = frame(at, "covered")
    week = schedule[schedule["week"] == date(2026, 11, 30)].iloc[0]
    assert week["covered"] == f"Thu–Fri {cover}"


def test_a_cover_across_weeks_is_refused_with_a_message(calendar_env):
    seeded(calendar_env)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    at.date_input(key="calendar.cover_first").set_value(date(2026, 12, 4))
    at.date_input(key="calendar.cover_last").set_value(date(2026, 12, 8))
    at.text_input(key="calendar.cover_reason").input("conference")
    at.button[[b.label for b in at.button].index("Cover these days")].click().run()
    assert not at.exception
    assert "one rotation week" in at.error[0].value


def test_a_swap_request_is_asked_then_accepted_and_the_candidates_stay(calendar_env):
    seeded(calendar_env)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    before = at.metric[0].value
    target = pick_swap_target(at)
    at.text_input(key="calendar.requested_by").input(before)
    at.text_input(key="calendar.reason").input("wedding")
    at.button(key="calendar.ask_swap").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(f"{target} has been asked")
    assert at.metric[0].value == before  # nothing changes until they accept
    assert len(frame(at, "why not")) == 4  # the ranked candidates stay on the tab
    accept = next(b for b in at.button if b.key.startswith("calendar.swap_accept."))
    accept.click().run()
    assert not at.exception
    assert at.success[0].value.startswith(f"{target} accepted")
    assert at.metric[0].value == target
    assert not [b for b in at.button if b.key.startswith("calendar.swap_accept.")]


def test_a_declined_swap_request_changes_nothing(calendar_env):
    seeded(calendar_env)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    before = at.metric[0].value
    pick_swap_target(at)
    at.text_input(key="calendar.reason").input("wedding")
    at.button(key="calendar.ask_swap").click().run()
    next(b for b in at.button if b.key.startswith("calendar.swap_decline.")).click().run()
    assert not at.exception
    assert "declined" in at.success[0].value
    assert at.metric[0].value == before


def test_private_feeds_show_secret_links_that_can_be_replaced(calendar_env, monkeypatch):
    # Issue 15: with ROTADESK_FEED_SECRET the page shows token addresses, not guessable static files.
    monkeypatch.setenv("ROTADESK_FEED_SECRET", "page-test-secret")
    monkeypatch.setenv("ROTADESK_FEED_URL", "https://feeds.ourco.com")
    seeded(calendar_env)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    links = [c.value for c in at.code if c.value.startswith("https://feeds.ourco.com/feeds/")]
    assert [link.split("/")[4] for link in links] == ["team", "e0-ourco-com"]
    assert not list((calendar_env / "static").glob("rotation-*.ics"))
    at.button(key="calendar.rotate_team").click().run()
    assert not at.exception
    after = [c.value for c in at.code if c.value.startswith("https://feeds.ourco.com/feeds/")]
    assert after[0] != links[0] and after[1] == links[1]


def test_boundary_breaches_show_per_week_under_the_engineers_name(calendar_env):
    # Issue 13: the Calendar lists each rotation week's non-escalation Linear work, issue by issue.
    from datetime import timedelta

    from core.boundary import Breach
    from core.capacity import week_start_of
    from core.store import boundary as boundary_store

    seeded(calendar_env)
    week = week_start_of(APP_NOW.date()) - timedelta(weeks=1)
    db = open_db(calendar_env / "app.db")
    boundary_store.save_week(db, [Breach(week, "e2@ourco.com", "id-4", "ENG-4", "https://linear.app/acme/issue/ENG-4",
                                         "Dark mode", "In Progress", ("commented",), None)], APP_NOW)
    db.close()
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    weeks = frame(at, "breaches")
    assert weeks.to_dict("records") == [{"week": week.isoformat(), "engineer": "Engineer 2", "breaches": 1,
                                         "issues": "ENG-4"}]
    assert at.expander[-1].label == f"Week of {week.isoformat()} · Engineer 2 · 1 issue"
    assert at.expander[-1].dataframe[0].value["why"].tolist() == ["commented"]


def test_a_schedule_file_is_imported_from_the_roster_tab(calendar_env):
    # Issue 15: a team moving from a spreadsheet keeps its history; a bad line is named, nothing imported.
    seeded(calendar_env)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    at.file_uploader(key="calendar.schedule_upload").set_value(
        ("rota.csv", b"email,week_start\ne1@ourco.com,2026-11-09\nzed@ourco.com,2026-11-16\n", "text/csv"))
    at.run()
    at.button(key="calendar.import_schedule").click().run()
    assert not at.exception
    assert "line 3: 'zed@ourco.com' is not on the roster" in at.error[0].value
    at.file_uploader(key="calendar.schedule_upload").set_value(
        ("rota.csv", b"email,week_start\ne1@ourco.com,2026-11-09\ne1@ourco.com,2026-11-16\n", "text/csv"))
    at.run()
    at.button(key="calendar.import_schedule").click().run()
    assert not at.exception
    assert "Imported 2 past weeks and 0 planned weeks; the rest of the plan now counts them." in [
        s.value for s in at.success]
    db = open_db(calendar_env / "app.db")
    imported = [w.engineer_email for w in store.load_schedule(db) if w.note == "imported"]
    db.close()
    assert imported == ["e1@ourco.com", "e1@ourco.com"]


def test_the_swap_picker_starts_empty_for_each_week_and_shows_the_new_owner(calendar_env):
    # Issue 19: no engineer preselected; after a swap the week reads with its new owner.
    seeded(calendar_env)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    first = at.selectbox(key="calendar.swap_week").value
    target = pick_swap_target(at)
    later = first + timedelta(weeks=3)
    at.selectbox(key="calendar.swap_week").set_value(later).run()
    assert at.selectbox(key=f"calendar.swap_to.{later}").value is None
    at.selectbox(key="calendar.swap_week").set_value(first).run()
    assert pick_swap_target(at) == target  # empty again, chosen again
    at.text_input(key="calendar.reason").input("dentist")
    at.button(key="calendar.accept_swap").click().run()
    assert not at.exception
    assert at.selectbox(key="calendar.swap_week").options[0].endswith(f"— {target}")


def test_a_regeneration_says_which_weeks_move_before_it_is_applied(calendar_env):
    # Issue 19: nothing changes until Apply; the preview names each moved week.
    seeded(calendar_env)
    db = open_db(calendar_env / "app.db")
    weeks = store.load_schedule(db)
    moved = weeks[6]
    store.add_unavailability(db, Unavailability(moved.engineer_email, moved.week_start,
                                                moved.week_start + timedelta(days=6), "pto", ""))
    db.close()
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    at.button(key="calendar.regenerate").click().run()
    assert not at.exception
    assert any(w.value.startswith("Regenerating moves") for w in at.warning)
    preview = at.table[0].value
    assert len(preview) >= 1 and "Engineer" in preview["from"].iloc[0]
    db = open_db(calendar_env / "app.db")
    assert store.load_schedule(db)[6].engineer_email == moved.engineer_email  # not applied yet
    db.close()
    at.button(key="calendar.regenerate_apply").click().run()
    assert not at.exception and at.success[0].value.startswith("Schedule regenerated")
    db = open_db(calendar_env / "app.db")
    assert store.load_schedule(db)[6].engineer_email != moved.engineer_email
    db.close()
