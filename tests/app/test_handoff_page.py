from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import timefmt
from core.capacity import week_start_of
from core.store import iso, ops, planning
from tests.support.clock import APP_NOW

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "handoff.py")
THIS_WEEK = week_start_of(APP_NOW.date())
WEEKS = [(THIS_WEEK + timedelta(weeks=i)).isoformat() for i in (-1, 0, 1)]


def run(at: AppTest | None = None) -> AppTest:
    at = (at or AppTest.from_file(PAGE, default_timeout=20)).run()
    assert not at.exception
    return at


def seed_schedule(app_env) -> None:
    app_env.db["engineers"].insert_all([{"email": "ada@ourco.com", "name": "Ada", "active": 1},
                                        {"email": "bo@ourco.com", "name": "Bo", "active": 1}], pk="email")
    app_env.db["rotation_weeks"].insert_all([
        {"week_start": WEEKS[0], "engineer_email": "bo@ourco.com"},
        {"week_start": WEEKS[1], "engineer_email": "ada@ourco.com"},
        {"week_start": WEEKS[2], "engineer_email": "bo@ourco.com"},
    ], pk="week_start")


def since_week_start(hours: float) -> timedelta:
    """An age that puts an escalation ``hours`` after the start of this week (never in the future)."""
    start = datetime.combine(THIS_WEEK, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=hours)
    return max(APP_NOW - start, timedelta(0))


def preview(at: AppTest) -> str:
    """The Markdown the preview renders (the download holds the same text)."""
    return next(m.value for m in at.markdown if m.value.startswith("# Support rotation handoff"))


def test_without_a_schedule_the_page_offers_this_week(app_env):
    at = run()
    assert at.info[0].value.startswith("No rotation weeks are scheduled yet")
    assert at.selectbox(key="handoff.week").value == THIS_WEEK.isoformat()
    assert at.text_area(key="handoff.fixed").value == ""
    assert any(i.value.startswith("No handoffs yet.") for i in at.info)
    assert "## What to prioritise\n- Nothing\\." in preview(at)
    at = run(at.button(key="handoff.submit").click())
    assert at.error[0].value.startswith("Say what to prioritise")
    assert app_env.db["handoffs"].count == 0


def test_draft_edit_submit_and_list(app_env):
    seed_schedule(app_env)
    fixed = app_env.escalation(1, age=since_week_start(0.5), status="closed",
                               closed_at=iso(APP_NOW))
    triaged = app_env.escalation(2, age=since_week_start(0.2))
    app_env.link(triaged, "ENG-2")
    still = app_env.escalation(3, age=since_week_start(0.1), tier="business")
    at = run()
    assert at.selectbox(key="handoff.week").value == WEEKS[1]
    assert at.text_area(key="handoff.fixed").value.startswith(f"#{fixed} Bug number 1")
    assert "[ENG-2]" in at.text_area(key="handoff.triaged").value
    assert at.text_area(key="handoff.still_open").value.startswith(f"#{still} ")
    drafted = at.text_area(key="handoff.priorities").value.splitlines()
    assert drafted[0].startswith(f"#{triaged} ") and drafted[1].startswith(f"#{still} ")  # enterprise first

    at.text_area(key="handoff.priorities").input("Ship ENG-2 first\nCall Acme about #3")
    at.text_area(key="handoff.notes").input("Quiet Friday")
    at = run(at.button(key="handoff.submit").click())
    assert at.success[0].value == f"Handoff for the week of {WEEKS[1]} saved."
    saved = ops.handoff(app_env.db, WEEKS[1])
    assert saved["engineer_email"] == "ada@ourco.com" and saved["priorities"] == "Ship ENG-2 first\nCall Acme about #3"
    assert saved["submitted_at"] and saved["still_open"].startswith(f"#{still} ")
    past = at.dataframe[0].value
    assert past["Week"].tolist() == [timefmt.day(WEEKS[1], APP_NOW.date())] and past["Priorities"].tolist() == [2]
    assert past["Engineer"].tolist() == ["Ada"]  # issue 19: people by name, times as people read them
    assert "Support rotation handoff: week of" in preview(at) and "— Ada\n" in preview(at)
    assert "## What to prioritise\n- Ship ENG\\-2 first\n- Call Acme about \\#3" in preview(at)
    assert at.get("download_button")


def test_switching_weeks_loads_each_weeks_text(app_env):
    seed_schedule(app_env)
    ops.save_handoff(app_env.db, {"week_start": WEEKS[0], "engineer_email": "bo@ourco.com", "fixed": "#9 Old bug",
                                  "triaged": "", "still_open": "", "priorities": "Finish ENG-9", "notes": "",
                                  "submitted_at": "2026-01-01T10:00:00+00:00"})
    at = run()
    assert at.text_area(key="handoff.priorities").value == ""
    at = run(at.selectbox(key="handoff.week").select(WEEKS[0]))
    assert at.text_area(key="handoff.fixed").value == "#9 Old bug"
    assert at.text_area(key="handoff.priorities").value == "Finish ENG-9"
    assert any("submitting again replaces it" in c.value for c in at.caption)


def test_redraft_replaces_edits(app_env):
    seed_schedule(app_env)
    app_env.escalation(1, age=since_week_start(0.1))
    at = run()
    at.text_area(key="handoff.still_open").input("my own words")
    at = run(at.button(key="handoff.redraft").click())
    assert at.text_area(key="handoff.still_open").value.startswith("#1 Bug number 1")


def test_customer_text_stays_inert_in_the_preview(app_env):
    seed_schedule(app_env)
    app_env.escalation(1, age=since_week_start(0.1), subject="<script>alert(1)</script> [x](javascript:alert(1))")
    at = run()
    assert "\\<script\\>" in preview(at)
    for shown in [m.value for m in at.markdown] + [c.value for c in at.caption]:
        assert re.search(r"(?<!\\)<", shown) is None and "javascript:" not in shown  # escaped: shown as typed


def test_the_pulse_is_rated_from_the_handoff_form(app_env):  # issue 13
    seed_schedule(app_env)
    at = run()
    at.text_area(key="handoff.priorities").input("Nothing pressing")
    at.text_input(key="handoff.pulse.support_comment").input("Too many how-to questions")
    at = run(at.button(key="handoff.submit").click())
    assert at.error[0].value == "Give the support comment a rating from 1 to 5 too."
    assert app_env.db["handoffs"].count == 0 and app_env.db["pulses"].count == 0
    at.radio(key="handoff.pulse.support").set_value(2)
    at.radio(key="handoff.pulse.engineer").set_value(4)
    at = run(at.button(key="handoff.submit").click())
    assert at.success[0].value == f"Handoff for the week of {WEEKS[1]} saved."
    assert [(p["role"], p["rating"], p["comment"]) for p in planning.pulses(app_env.db)] == [
        ("engineer", 4, None), ("support", 2, "Too many how-to questions")]
