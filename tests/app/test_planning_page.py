from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
from streamlit.testing.v1 import AppTest

from core import timefmt
from core.capacity import week_start_of
from core.store import iso, ops
from core.store import planning as store
from core.store import playbook as playbook_store
from tests.support.clock import APP_NOW

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "planning.py")
THIS_WEEK = week_start_of(APP_NOW.date())
WEEKS = [(THIS_WEEK + timedelta(weeks=i)).isoformat() for i in (-2, -1, 0, 1)]


def run(at: AppTest | None = None) -> AppTest:
    at = (at or AppTest.from_file(PAGE, default_timeout=20)).run()
    assert not at.exception
    return at


def seed(app_env) -> None:
    app_env.db["engineers"].insert_all([{"email": "ada@ourco.com", "name": "Ada", "active": 1},
                                        {"email": "bo@ourco.com", "name": "Bo", "active": 1}], pk="email")
    app_env.db["rotation_weeks"].insert_all([{"week_start": w, "engineer_email": e} for w, e in
                                             zip(WEEKS, ("ada@ourco.com", "bo@ourco.com") * 2)], pk="week_start")


def handoff(week: str, submitted: datetime, priorities: str = "Ship ENG-1") -> dict:
    return {"week_start": week, "engineer_email": "bo@ourco.com", "fixed": "#1 Export fixed", "triaged": "",
            "still_open": "", "priorities": priorities, "notes": "", "submitted_at": iso(submitted)}


def since_week_start(week: str, hours: float) -> timedelta:
    start = datetime.fromisoformat(week).replace(tzinfo=timezone.utc) + timedelta(hours=hours)
    return APP_NOW - start


def test_without_a_rotation_the_page_says_what_to_do(app_env):
    at = run()
    assert any(i.value.startswith("No handoffs submitted since the last planning meeting") for i in at.info)
    assert any(i.value.startswith("No rotation week has started yet") for i in at.info)
    assert not at.dataframe


def test_the_retro_counts_each_started_week(app_env):
    seed(app_env)
    app_env.escalation(1, age=since_week_start(WEEKS[1], 2), status="done",
                       closed_at=iso(datetime.fromisoformat(WEEKS[1]).replace(tzinfo=timezone.utc) + timedelta(days=1)))
    triaged = app_env.escalation(2, age=since_week_start(WEEKS[1], 3), support_tier=3)
    app_env.link(triaged, "ENG-2")
    app_env.escalation(3, age=since_week_start(WEEKS[1], 4), support_tier=1)
    app_env.escalation(4, age=since_week_start(WEEKS[2], 1))
    at = run()
    table = at.dataframe[0].value.set_index("week")
    assert table.index.tolist() == WEEKS[2::-1]  # newest first; next week has not started
    last = table.loc[WEEKS[1]]
    assert (last["engineer"], last["received"], last["tier_1"], last["tier_3"]) == ("Bo", 3, 1, 2)
    assert (last["fixed"], last["triaged"], last["carried_over"]) == (1, 1, 1)
    assert table.loc[WEEKS[2], "received"] == 1 and table.loc[WEEKS[0], "received"] == 0
    assert len(at.get("vega_lite_chart")) == 2
    downloads = {b.proto.id.rsplit("-", 1)[-1]: b.proto.label for b in at.get("download_button")}
    assert downloads == {"planning.tier_chart.png": "PNG", "planning.tier_chart.svg": "SVG",
                         "planning.outcome_chart.png": "PNG", "planning.outcome_chart.svg": "SVG",
                         "planning.export": "Download the planning view (Markdown with the charts)"}


def test_handoffs_since_the_last_meeting_and_marking_them_reviewed(app_env):
    seed(app_env)
    ops.save_handoff(app_env.db, handoff(WEEKS[0], APP_NOW - timedelta(days=10)))
    store.mark_reviewed(app_env.db, [WEEKS[0]], "Eve", iso(APP_NOW - timedelta(days=9)))
    ops.save_handoff(app_env.db, handoff(WEEKS[1], APP_NOW - timedelta(days=2),
                                         priorities="Call <b>Acme</b> [x](javascript:alert(1))"))
    at = run()
    # Issue 19: the engineer by name, the week as people read it.
    assert [e.label for e in at.expander] == [f"Week of {timefmt.day(WEEKS[1], APP_NOW.date())} · Bo"]
    shown = next(m.value for m in at.markdown if m.value.startswith("#### Support rotation handoff"))
    assert re.search(r"(?<!\\)<", shown) is None and "javascript:" not in shown  # customer text stays inert
    at.text_input(key="planning.by").input("Eve")
    at = run(at.button(key="planning.review").click())
    assert at.success[0].value.startswith("1 handoff marked as reviewed")
    review = store.last_review(app_env.db)
    assert (review["handoff_weeks"], review["by"]) == ([WEEKS[1]], "Eve")
    assert not at.expander
    assert any(i.value.startswith("No handoffs submitted since the last planning meeting") for i in at.info)


def test_the_pulse_trend_marks_playbook_changes(app_env):
    seed(app_env)
    store.save_pulses(app_env.db, WEEKS[0], {"engineer": (2, "Pager all week"), "support": (3, "")}, iso(APP_NOW))
    store.save_pulses(app_env.db, WEEKS[1], {"engineer": (4, "")}, iso(APP_NOW))
    rule = playbook_store.rules(app_env.db)[0]
    playbook_store.save_rule(app_env.db, rule, iso(APP_NOW - timedelta(days=8)))  # during last week
    at = run()
    table = at.dataframe[0].value.set_index("week")
    assert table.loc[WEEKS[0], ["pulse_engineer", "pulse_support"]].tolist() == [2, 3]
    assert table.loc[WEEKS[1], "pulse_engineer"] == 4
    (pulse,) = [c for c in at.get("vega_lite_chart") if "Pulse" in c.proto.spec]
    assert [layer["mark"]["type"] for layer in json.loads(pulse.proto.spec)["layer"]] == ["rule", "line"]
    data = [pa.ipc.open_stream(d.data.data).read_pandas() for d in pulse.proto.datasets]
    changes = next(frame for frame in data if "change" in frame.columns)
    assert changes.values.tolist() == [[WEEKS[1], f"changed “{rule.name}”"]]


def test_without_pulses_the_page_says_where_they_come_from(app_env):
    seed(app_env)
    at = run()
    assert any(c.value.startswith("The pulse chart appears once") for c in at.caption)
    assert len(at.get("vega_lite_chart")) == 2


def test_rotations_with_boundary_breaches_are_marked_in_the_retro(app_env):
    # Issue 13: the retro marks the weeks whose engineer worked on non-escalation issues.
    from datetime import date

    from core.boundary import Breach
    from core.store import boundary as boundary_store

    seed(app_env)
    boundary_store.save_week(app_env.db, [
        Breach(date.fromisoformat(WEEKS[1]), "bo@ourco.com", f"id-{n}", f"ENG-{n}", "https://linear.app/x", "Work",
               "In Progress", ("moved",), None) for n in (1, 2)], APP_NOW)
    at = run()
    table = at.dataframe[0].value.set_index("week")
    assert table["boundary_breaches"].to_dict() == {WEEKS[2]: 0, WEEKS[1]: 2, WEEKS[0]: 0}


def test_a_team_with_linear_cycles_sees_cost_and_outcomes_per_cycle(app_env):
    # Issue 13: per Linear cycle as well as per week.
    seed(app_env)
    start = datetime.fromisoformat(WEEKS[0]).replace(tzinfo=timezone.utc)
    app_env.db["linear_cycles"].insert_all([
        {"id": "c1", "team_key": "ENG", "number": 41, "name": "", "starts_at": iso(start),
         "ends_at": iso(start + timedelta(weeks=2))},
        {"id": "c2", "team_key": "ENG", "number": 42, "name": "Winter push",
         "starts_at": iso(start + timedelta(weeks=2)), "ends_at": iso(start + timedelta(weeks=4))}], pk="id")
    app_env.escalation(1, age=since_week_start(WEEKS[1], 2))
    at = run()
    assert "Per Linear cycle" in [h.value for h in at.subheader]
    table = next(df.value for df in at.dataframe if "support_weeks" in df.value.columns)
    assert table[["cycle", "support_weeks", "cost", "received", "carried_over"]].to_dict("records") == [
        {"cycle": "Winter push", "support_weeks": 2.0, "cost": 0.5, "received": 0, "carried_over": 0},
        {"cycle": "Cycle 41", "support_weeks": 2.0, "cost": 0.5, "received": 1, "carried_over": 1}]


def test_without_cycles_the_planning_view_stays_per_week(app_env):
    seed(app_env)
    at = run()
    assert "Per Linear cycle" not in [h.value for h in at.subheader]
