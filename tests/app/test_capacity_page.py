from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
from streamlit.testing.v1 import AppTest

from core.capacity import week_start_of
from core.store import iso
from tests.support.clock import APP_NOW

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "capacity.py")


def run(at: AppTest | None = None) -> AppTest:
    at = (at or AppTest.from_file(PAGE, default_timeout=20)).run()
    assert not at.exception
    return at


def charts(at: AppTest) -> list:
    return at.get("vega_lite_chart")


def seed_team(app_env, size: int) -> None:
    app_env.db["engineers"].insert_all(
        [{"email": f"e{i}@ourco.com", "name": f"Eng {i}", "active": 1} for i in range(size)], pk="email")


def seed_intake(app_env, per_week: int, weeks: int = 4) -> None:
    n = 0
    for week in range(1, weeks + 1):
        for _ in range(per_week):
            n += 1
            app_env.escalation(n, age=timedelta(weeks=week))


def test_empty_page_explains_what_to_do(app_env):
    at = run()
    # The what-if (issue 13) starts from one engineer when the roster is empty.
    assert [m.value for m in at.metric] == ["0", "–", "0.0", "13 engineer-weeks", "100.0%"]
    assert at.info[0].value.startswith("No active engineers yet. Add the team on the Calendar page")
    warnings = [w.value for w in at.warning]
    assert warnings[0].startswith("No active engineers.") and warnings[1].startswith("Low bug volume")
    assert len(charts(at)) == 2  # intake and the what-if; no cost chart without a team
    assert any("Time to close appears once" in c.value for c in at.caption)


def test_five_engineers_cost_twenty_percent_and_the_rotation_fits(app_env):
    seed_team(app_env, 5)
    seed_intake(app_env, per_week=3)
    at = run()
    assert [m.value for m in at.metric] == ["5", "20%", "3.0", "13 engineer-weeks", "20.0%"]
    assert any(m.value.startswith("20% of feature capacity for 5 engineers") for m in at.markdown)
    assert not at.warning
    assert at.success[0].value.startswith("Yes")
    assert len(charts(at)) == 3
    # Issue 13: every chart exports as PNG and SVG.
    assert sorted(b.proto.id.rsplit("-", 1)[-1] for b in at.get("download_button")) == [
        "capacity.cost_chart.png", "capacity.cost_chart.svg", "capacity.intake_chart.png",
        "capacity.intake_chart.svg", "capacity.what_if_chart.png", "capacity.what_if_chart.svg"]


def test_small_team_low_volume_and_deadline_warn_with_what_to_change(app_env):
    seed_team(app_env, 3)
    seed_intake(app_env, per_week=1)
    at = run()
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 3
    assert warnings[0].startswith("3 active engineers: the rotation would take 33% of feature capacity.")
    assert "at least 4 engineers" in warnings[0]
    # Issue 13: the seed rule, worded as the Calendar's readiness check words it, with its numbers.
    assert warnings[1].startswith("The rotation costs 33% of the team's capacity while only 4 escalations are open "
                                  "(under 10). Handle bugs in office hours")
    assert warnings[2].startswith("Low bug volume: 1.0 escalations per week")
    at = run(at.checkbox(key="capacity.deadline").check())
    assert at.warning[-1].value.startswith("Everyone is on a deadline.")


def test_time_to_close_chart_appears_with_staged_replies(app_env):
    seed_team(app_env, 4)
    done = APP_NOW - timedelta(days=3)
    app_env.db["staged_replies"].insert_all([
        {"key": "r1", "escalation_id": 1, "done_at": iso(done), "staged_at": iso(done + timedelta(hours=2)),
         "sent_at": iso(done + timedelta(hours=5)), "status": "sent"},
    ], pk="key")
    this_week = week_start_of(APP_NOW.date()).isoformat()
    app_env.db["rotation_weeks"].insert({"week_start": this_week, "engineer_email": "e1@ourco.com"}, pk="week_start")
    at = run()
    assert at.metric[1].value == "25%"
    assert len(charts(at)) == 4  # cost, intake, time to close, what-if
    assert not any("Time to close appears once" in c.value for c in at.caption)


def seed_breaches(db, week: str, engineer: str, *numbers: int) -> None:
    from datetime import date

    from core.boundary import Breach
    from core.store import boundary as boundary_store

    boundary_store.save_week(db, [Breach(date.fromisoformat(week), engineer, f"id-{n}", f"ENG-{n}",
                                         f"https://linear.app/acme/issue/ENG-{n}", f"<b>Feature {n}</b>",
                                         "In Progress", ("in progress", "moved"), None) for n in numbers], APP_NOW)


def test_boundary_breaches_are_listed_per_week_with_their_issues(app_env):
    # Issue 13: the engineer on support's non-escalation Linear work, per rotation week.
    seed_team(app_env, 5)
    this_week = week_start_of(APP_NOW.date())
    last_week = (this_week - timedelta(weeks=1)).isoformat()
    seed_breaches(app_env.db, this_week.isoformat(), "e1@ourco.com", 7, 3)
    seed_breaches(app_env.db, last_week, "e2@ourco.com", 9)
    seed_breaches(app_env.db, (this_week - timedelta(weeks=20)).isoformat(), "e3@ourco.com", 1)  # too old to show
    at = run()
    assert "Boundary guard" in [h.value for h in at.subheader]
    weeks = next(df.value for df in at.dataframe if "breaches" in df.value.columns)
    assert weeks.to_dict("records") == [
        {"week": this_week.isoformat(), "engineer": "Eng 1", "breaches": 2, "issues": "ENG-3, ENG-7"},
        {"week": last_week, "engineer": "Eng 2", "breaches": 1, "issues": "ENG-9"}]
    issues = at.expander[-1].dataframe[0].value
    assert issues.to_dict("records") == [{"issue": "https://linear.app/acme/issue/ENG-9", "identifier": "ENG-9",
                                          "title": "<b>Feature 9</b>", "state": "In Progress",
                                          "why": "in progress, moved"}]
    assert [e.label for e in at.expander][-2:] == [f"Week of {this_week.isoformat()} · Eng 1 · 2 issues",
                                                   f"Week of {last_week} · Eng 2 · 1 issue"]


def test_without_breaches_the_section_says_what_it_watches(app_env):
    at = run()
    assert any(c.value.startswith("During their rotation week the queue is the engineer's only deliverable")
               for c in at.caption)
    assert not any("breaches" in df.value.columns for df in at.dataframe)


def what_if(at: AppTest) -> tuple[str, str, dict]:
    lost, share = (m.value for m in at.metric if m.label in ("Feature capacity lost this quarter",
                                                              "Share of the engineer-weeks available"))
    (chart,) = [c for c in charts(at) if "What if: rotation cost per week" in c.proto.spec]
    return lost, share, chart


def chart_rows(chart) -> list[dict]:
    (data,) = [pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets]
    return data.to_dict("records")


def test_what_if_team_size_cadence_and_leave_change_the_cost_live(app_env):
    # Issue 13: the manager tries another team size and cadence; the calendar's time off is the leave.
    seed_team(app_env, 5)
    at = run()
    assert what_if(at)[:2] == ("13 engineer-weeks", "20.0%")
    at = run(at.number_input(key="capacity.what_if_team").set_value(8))
    assert what_if(at)[:2] == ("13 engineer-weeks", "12.5%")
    at = run(at.radio(key="capacity.what_if_cadence").set_value(2))
    lost, share, chart = what_if(at)
    assert (lost, share) == ("7 engineer-weeks", f"{7 / 104 * 100:.1f}%")
    assert [w["cost"] for w in chart_rows(chart)[:2]] == [0.125, 0.0]


def test_what_if_leave_starts_from_the_time_off_on_the_calendar(app_env):
    seed_team(app_env, 5)
    this_week = week_start_of(APP_NOW.date())
    app_env.db["unavailability"].insert_all([
        {"engineer_email": "e1@ourco.com", "kind": "pto", "start": this_week.isoformat(),
         "end": (this_week + timedelta(days=4)).isoformat()},
        {"engineer_email": "e2@ourco.com", "kind": "critical", "start": this_week.isoformat(),
         "end": (this_week + timedelta(days=30)).isoformat(), "reason": "launch"}])  # at work: not leave
    # One engineer-week away this week: 64 engineer-weeks available in the quarter, and this week costs 1/4.
    at = run()
    lost, share, chart = what_if(at)
    assert (lost, share) == ("13 engineer-weeks", f"{13 / 64 * 100:.1f}%")
    assert [w["cost"] for w in chart_rows(chart)[:2]] == [0.25, 0.2]
