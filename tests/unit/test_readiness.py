"""The "when not to run" check."""

from __future__ import annotations

from datetime import date, timedelta

from core.readiness import check
from core.roster import Engineer, Unavailability
from core.rotation import Plan, generate

MONDAY = date(2026, 1, 5)


def team(n: int) -> list[Engineer]:
    return [Engineer(f"e{i}@ourco.com", f"E{i}") for i in range(n)]


def run(engineers, away=(), *, open_bugs=50, weeks=None):
    weeks = weeks if weeks is not None else generate(engineers, list(away), today=MONDAY,
                                                     plan=Plan(weeks_ahead=13)).weeks
    return {f.code: f for f in check(engineers, list(away), weeks, today=MONDAY, week_start_index=0,
                                     window_weeks=13, open_bugs=open_bugs)}


def test_a_large_team_with_a_busy_queue_is_ready():
    assert run(team(12)) == {}


def test_too_few_engineers_and_a_tight_cadence_say_what_to_change():
    found = run(team(3), open_bugs=0)
    assert set(found) == {"too_few", "cadence", "cost"}
    assert "Add 1 more engineer(s)" in found["too_few"].fix
    assert "after 3 weeks;" in found["cadence"].message


def test_cadence_is_read_from_the_schedule_not_only_the_head_count():
    people = team(5)
    away = [Unavailability(f"e{i}@ourco.com", MONDAY, MONDAY + timedelta(weeks=6), "pto") for i in range(2)]
    found = run(people, away)
    assert "cadence" in found and "too_few" not in found


def test_cost_only_matters_while_the_queue_is_small():
    assert "cost" in run(team(6), open_bugs=2)
    assert "cost" not in run(team(6), open_bugs=30)
    assert "cost" not in run(team(10), open_bugs=0)  # exactly 10% is acceptable
    assert "14%" in run(team(7), open_bugs=0)["cost"].message


def test_everyone_on_critical_path_is_flagged_with_the_blocked_weeks():
    people = team(4)
    away = [Unavailability(e.email, MONDAY + timedelta(weeks=2), MONDAY + timedelta(weeks=2, days=4), "critical", "GA")
            for e in people]
    found = run(people, away, weeks=[])
    assert "2026-01-19" in found["critical_path"].message
    assert "Move a critical-path deadline" in found["critical_path"].fix
    assert "critical_path" not in run(people, away[:3], weeks=[])


def test_no_engineers_only_reports_the_head_count():
    assert set(run([], weeks=[])) == {"too_few"}
