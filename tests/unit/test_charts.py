from __future__ import annotations

from datetime import date, datetime, timezone

import altair as alt

from core import capacity as cap
from ui import charts

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)


def dataset(spec: dict) -> list[dict]:
    (values,) = spec["datasets"].values()
    return values


def test_capacity_cost_chart_encodes_share_per_week():
    team = [{"email": f"e{i}@x", "active": 1} for i in range(5)]
    weeks = cap.cost_series(team, [{"week_start": "2026-03-09", "engineer_email": "e1@x"}], NOW, weeks=3)
    chart = charts.capacity_cost_chart(weeks)
    spec = chart.to_dict()
    assert isinstance(chart, alt.Chart) and spec["mark"]["type"] == "bar"
    assert spec["encoding"]["x"]["field"] == "week_start" and spec["encoding"]["x"]["type"] == "ordinal"
    assert spec["encoding"]["y"]["field"] == "cost" and spec["encoding"]["y"]["axis"]["format"] == "%"
    values = dataset(spec)
    assert [v["week_start"] for v in values] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert {v["cost"] for v in values} == {1 / 5}
    assert [v["engineer"] for v in values] == ["not scheduled", "e1@x", "not scheduled"]


def test_intake_chart_counts():
    counts = cap.weekly_counts(["2026-03-03T10:00:00+00:00", "2026-03-04T10:00:00+00:00"], NOW, weeks=2)
    spec = charts.intake_chart(counts).to_dict()
    assert spec["encoding"]["y"]["field"] == "escalations"
    assert dataset(spec) == [{"week_start": "2026-02-23", "escalations": 0},
                             {"week_start": "2026-03-02", "escalations": 2}]


def test_close_time_chart_colours_by_stage():
    series = [{"week_start": "2026-03-02", "stage": "done → staged", "median_hours": 3.0, "replies": 2},
              {"week_start": "2026-03-02", "stage": "staged → sent", "median_hours": 24.0, "replies": 1}]
    spec = charts.close_time_chart(series).to_dict()
    assert spec["mark"]["type"] == "line" and spec["mark"]["point"] is True
    assert spec["encoding"]["color"]["field"] == "stage"
    assert [v["median_hours"] for v in dataset(spec)] == [3.0, 24.0]


def test_charts_accept_no_data():
    for chart in (charts.capacity_cost_chart([]), charts.intake_chart([]), charts.close_time_chart([])):
        spec = chart.to_dict()
        assert dataset(spec) == []


def test_week_labels_are_iso_dates():
    spec = charts.capacity_cost_chart([cap.WeekCost(date(2026, 1, 5), 4, 0.25)]).to_dict()
    assert dataset(spec)[0]["week_start"] == "2026-01-05" and dataset(spec)[0]["team_size"] == 4


def test_retro_charts_stack_tiers_and_outcomes_per_week():
    from core import retro

    start = datetime(2026, 3, 2, tzinfo=timezone.utc)
    week = retro.Week(date(2026, 3, 2), start, start.replace(day=9))
    rows = [{"id": 1, "received_at": "2026-03-03T09:00:00+00:00", "support_tier": 1, "status": "done",
             "closed_at": "2026-03-04T09:00:00+00:00"}, {"id": 2, "received_at": "2026-03-03T10:00:00+00:00"}]
    r = retro.retro(rows, [week])
    tiers = charts.retro_tier_chart(retro.tier_series(r)).to_dict()
    assert tiers["encoding"]["color"]["field"] == "support_tier"
    assert [(v["support_tier"], v["escalations"]) for v in dataset(tiers)] == [("tier 1", 1), ("tier 2", 0),
                                                                                ("tier 3", 1)]
    outcomes = charts.retro_outcome_chart(retro.outcome_series(r)).to_dict()
    assert {v["outcome"]: v["escalations"] for v in dataset(outcomes)} == {
        "fixed within the week": 1, "triaged to the backlog": 0, "carried over": 1}


def test_pulse_chart_layers_ratings_and_playbook_changes():
    chart = charts.pulse_chart([{"week_start": "2026-03-02", "role": "engineer", "rating": 2}],
                               [{"week_start": "2026-03-02", "change": "added “A”"}])
    spec = chart.to_dict()
    rules, lines = spec["layer"]
    assert rules["mark"]["type"] == "rule" and lines["mark"]["type"] == "line"
    assert lines["encoding"]["y"]["scale"]["domain"] == [1, 5]
    values = {k: v for k, v in spec["datasets"].items()}
    assert [{"week_start": "2026-03-02", "change": "added “A”"}] in values.values()
    assert spec["title"] == "Pulse, with playbook changes dashed"
