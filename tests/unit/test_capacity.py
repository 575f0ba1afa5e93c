from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import capacity as cap
from core import readiness
from core.errors import ValidationError

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)  # a Wednesday
MONDAY = date(2026, 3, 2)


def eng(email: str, start: str | None = None, active: int = 1) -> dict:
    return {"email": email, "name": email, "start_date": start, "active": active}


@given(st.integers(min_value=1, max_value=500))
def test_one_engineer_of_n_costs_one_nth(n):
    cost = cap.rotation_cost(n)
    assert 0 < cost <= 1
    assert cost * n == pytest.approx(1.0)
    if n > 1:
        assert cap.rotation_cost(n - 1) > cost  # a smaller team always pays more


@given(st.integers(min_value=1, max_value=60), st.integers(min_value=1, max_value=30))
def test_cost_series_spends_one_engineer_week_per_week(team, weeks):
    engineers = [eng(f"e{i}@x") for i in range(team)]
    series = cap.cost_series(engineers, [], NOW, weeks=weeks)
    assert len(series) == weeks
    # Over the horizon the rotation takes exactly ``weeks`` engineer-weeks out of team * weeks.
    assert sum(w.cost * w.team_size for w in series) == pytest.approx(weeks)
    assert all(b.week_start - a.week_start == timedelta(weeks=1) for a, b in zip(series, series[1:]))


@pytest.mark.parametrize("bad", [0, -3])
def test_rotation_cost_needs_an_engineer(bad):
    with pytest.raises(ValidationError):
        cap.rotation_cost(bad)


@pytest.mark.parametrize("n,text", [(5, "20% of feature capacity for 5 engineers"),
                                    (3, "33.3% of feature capacity for 3 engineers"),
                                    (1, "100% of feature capacity for 1 engineer")])
def test_cost_sentence(n, text):
    assert cap.cost_sentence(n) == text


def test_cost_sentence_without_a_team():
    assert "Calendar" in cap.cost_sentence(0)


@pytest.mark.parametrize("day,index,start", [(date(2026, 3, 4), 0, MONDAY), (date(2026, 3, 2), 0, MONDAY),
                                             (date(2026, 3, 8), 0, MONDAY), (date(2026, 3, 4), 6, date(2026, 3, 1))])
def test_week_start_of(day, index, start):
    assert cap.week_start_of(day, index) == start


def test_team_size_counts_active_engineers_who_have_started():
    team = [eng("a@x"), eng("b@x", "2026-03-09"), eng("c@x", "2026-01-01"), eng("d@x", active=0)]
    assert cap.team_size_on(team, MONDAY) == 2
    assert cap.team_size_on(team, date(2026, 3, 9)) == 3


def test_cost_series_follows_hires_and_schedule():
    team = [eng("a@x"), eng("b@x"), eng("c@x"), eng("d@x", "2026-03-09")]
    series = cap.cost_series(team, [{"week_start": "2026-03-09", "engineer_email": "b@x"}], NOW, weeks=3)
    assert [w.week_start for w in series] == [MONDAY, date(2026, 3, 9), date(2026, 3, 16)]
    assert [w.team_size for w in series] == [3, 4, 4]
    assert series[0].cost == pytest.approx(1 / 3) and series[1].cost == pytest.approx(0.25)
    assert [w.engineer for w in series] == ["", "b@x", ""]


def test_cost_series_with_nobody_is_zero_and_horizon_is_checked():
    assert [w.cost for w in cap.cost_series([], [], NOW, weeks=2)] == [0.0, 0.0]
    with pytest.raises(ValidationError):
        cap.cost_series([], [], NOW, weeks=0)


def test_weekly_counts_buckets_and_skips_old_or_missing():
    moments = ["2026-03-02T08:00:00+00:00", "2026-03-04T10:00:00+00:00", "2026-02-24T10:00:00+00:00",
               "2025-01-01T00:00:00+00:00", None]
    counts = cap.weekly_counts(moments, NOW, weeks=3)
    assert [(c.week_start, c.count) for c in counts] == [
        (date(2026, 2, 16), 0), (date(2026, 2, 23), 1), (MONDAY, 2)]


def test_average_leaves_out_the_current_week():
    counts = [cap.WeekCount(date(2026, 2, 16), 4), cap.WeekCount(date(2026, 2, 23), 2), cap.WeekCount(MONDAY, 30)]
    assert cap.average_per_week(counts, NOW) == pytest.approx(3.0)
    assert cap.average_per_week([cap.WeekCount(MONDAY, 5)], NOW) == 0.0


def test_average_starts_at_the_first_escalation():
    weeks = [date(2026, 2, 2), date(2026, 2, 9), date(2026, 2, 16), date(2026, 2, 23), MONDAY]
    counts = [cap.WeekCount(w, n) for w, n in zip(weeks, [0, 3, 0, 3, 1])]
    assert cap.average_per_week(counts, NOW) == pytest.approx(2.0)  # a quiet week after the first still counts


def test_close_times_and_series():
    replies = [
        {"key": "a", "done_at": "2026-03-02T10:00:00+00:00", "staged_at": "2026-03-02T12:00:00+00:00",
         "sent_at": "2026-03-03T12:00:00+00:00", "status": "sent"},
        {"key": "b", "done_at": "2026-03-03T10:00:00+00:00", "staged_at": "2026-03-03T14:00:00+00:00",
         "sent_at": None, "status": "staged"},
        {"key": "c", "done_at": "2026-03-03T10:00:00+00:00", "staged_at": "2026-03-03T11:00:00+00:00",
         "withdrawn_at": "2026-03-03T12:00:00+00:00", "status": "withdrawn"},
        {"key": "d", "done_at": None, "staged_at": "2026-03-03T11:00:00+00:00", "sent_at": None},
    ]
    times = cap.close_times(replies)
    assert [(t.key, t.done_to_staged_h, t.staged_to_sent_h) for t in times] == [
        ("a", 2.0, 24.0), ("b", 4.0, None), ("d", None, None)]
    series = cap.close_time_series(times)
    assert series == [
        {"week_start": "2026-03-02", "stage": "done → staged", "median_hours": 3.0, "replies": 2},
        {"week_start": "2026-03-02", "stage": "staged → sent", "median_hours": 24.0, "replies": 1},
    ]


def test_close_times_ignore_clock_skew():
    (t,) = cap.close_times([{"key": "x", "done_at": "2026-03-03T10:00:00+00:00",
                             "staged_at": "2026-03-03T09:00:00+00:00", "sent_at": None}])
    assert t.done_to_staged_h is None


@pytest.mark.parametrize("team,volume,deadline,problems", [
    (5, 6.0, False, []),
    (3, 6.0, False, ["3 active engineers"]),
    (5, 0.5, False, ["Low bug volume"]),
    (5, 6.0, True, ["Everyone is on a deadline"]),
    (0, 0.0, False, ["No active engineers", "Low bug volume"]),
])
def test_guidance(team, volume, deadline, problems):
    advice = cap.guidance(team, volume, everyone_on_deadline=deadline)
    assert len(advice) == len(problems)
    for item, expected in zip(advice, problems):
        assert item.problem.startswith(expected)
        assert item.change  # every problem says what to change


def test_guidance_names_the_cost_for_small_teams():
    (advice,) = cap.guidance(2, 10.0)
    assert "50%" in advice.problem and str(cap.MIN_TEAM) in advice.change


# Issue 13: the what-if and the seed rule.
WHAT_IF_START = date(2026, 11, 23)  # a Monday


def test_what_if_every_week_costs_one_over_the_engineers_in_and_13_engineer_weeks_a_quarter():
    plan = cap.what_if(5, 1, {}, WHAT_IF_START)
    assert [w.cost for w in plan.weeks] == [0.2] * 13
    assert (plan.lost_engineer_weeks, plan.available_engineer_weeks, plan.share) == (13, 65, 0.2)


def test_what_if_every_other_week_halves_the_quarters_loss():
    plan = cap.what_if(4, 2, {}, WHAT_IF_START)
    assert [w.cost for w in plan.weeks[:4]] == [0.25, 0.0, 0.25, 0.0]
    assert plan.weeks[1].engineer == "no rotation"
    assert plan.lost_engineer_weeks == 7 and plan.share == pytest.approx(7 / 52)


def test_leave_raises_that_weeks_share_and_someone_is_always_in():
    second = WHAT_IF_START + timedelta(weeks=1)
    plan = cap.what_if(5, 1, {second: 1.0, WHAT_IF_START + timedelta(weeks=2): 9.0}, WHAT_IF_START)
    assert [w.cost for w in plan.weeks[:3]] == [0.2, 0.25, 1.0]
    assert plan.available_engineer_weeks == 65 - 1 - 4


def test_leave_counts_workdays_over_five():
    leaves = [(date(2026, 11, 26), date(2026, 12, 2)),  # Thu-Fri, then Mon-Wed
              (date(2026, 11, 28), date(2026, 11, 29))]  # a weekend only
    assert cap.leave_per_week(leaves, WHAT_IF_START, 3) == {WHAT_IF_START: 0.4,
                                                                 WHAT_IF_START + timedelta(weeks=1): 0.6}


@pytest.mark.parametrize(("args", "message"), [((0, 1, {}), "at least one engineer"), ((4, 3, {}), "every other"),
                                               ((4, 1, {WHAT_IF_START: -1}), "negative")])
def test_what_if_refuses_impossible_inputs(args, message):
    with pytest.raises(ValidationError, match=message):
        cap.what_if(*args, WHAT_IF_START)


@pytest.mark.parametrize(("team", "open_bugs", "shown"), [(5, 3, True), (5, 10, False), (10, 0, False),
                                                          (11, 0, False), (9, 9, True)])
def test_the_seed_rule_shows_on_capacity_with_its_numbers_as_readiness_words_it(team, open_bugs, shown):
    advice = cap.guidance(team, 5.0, open_bugs=open_bugs)
    seed = readiness.cost_finding(team, open_bugs)
    assert (seed is not None) == shown
    assert [(a.problem, a.change) for a in advice] == ([(seed.message, seed.fix)] if shown else [])
    if shown:
        assert f"costs {100 / team:.0f}% of the team's capacity while only {open_bugs} " in seed.message
    assert cap.guidance(team, 5.0) == []  # without the queue's size the rule is not applied
