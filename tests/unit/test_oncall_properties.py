"""Properties of the on-call rotation (issue 15): backups, overrides for part of a week, partial PTO, own holidays."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from core.coverage import Absences, current_engineer
from core.roster import Engineer, Unavailability
from core.rotation import Override, Plan, generate, week_start_for
from tests.unit.test_rotation_properties import blocked

FIRST = date(2026, 3, 2)  # a Monday
WEEKS = 26


@st.composite
def teams(draw: st.DrawFn, min_size: int = 2):
    """Always-active engineers (so fairness is defined), short PTO (often a single day), some own holidays."""
    n = draw(st.integers(min_value=min_size, max_value=8))
    engineers = [Engineer(f"e{i}@ourco.com", f"E{i}") for i in range(n)]
    away = []
    for _ in range(draw(st.integers(min_value=0, max_value=10))):
        who = draw(st.integers(min_value=0, max_value=n - 1))
        begin = FIRST + timedelta(days=draw(st.integers(min_value=0, max_value=7 * WEEKS)))
        length = draw(st.sampled_from([0, 0, 0, 1, 4, 9]))
        kind = draw(st.sampled_from(["pto", "pto", "pto", "critical"]))
        away.append(Unavailability(f"e{who}@ourco.com", begin, begin + timedelta(days=length), kind, "r"))
    team_holidays = frozenset(FIRST + timedelta(days=d) for d in draw(st.sets(st.integers(0, 7 * WEEKS),
                                                                              max_size=6)))
    own = {}
    for i in draw(st.sets(st.integers(0, n - 1), max_size=2)):
        own[f"e{i}@ourco.com"] = frozenset(FIRST + timedelta(days=d)
                                           for d in draw(st.sets(st.integers(0, 7 * WEEKS), max_size=6)))
    return engineers, away, Plan(weeks_ahead=WEEKS, ramp_weeks=0, holidays=team_holidays, engineer_holidays=own)


def off(email: str, day: date, away: list[Unavailability], plan: Plan) -> bool:
    return day in plan.holidays_of(email) or any(u.email == email and u.start <= day <= u.end for u in away)


def working(week: date, plan: Plan) -> list[date]:
    return [week + timedelta(days=i) for i in range(5) if week + timedelta(days=i) not in plan.holidays]


def unavailable(email: str, week: date, away: list[Unavailability], plan: Plan) -> bool:
    own_off = [d for d in working(week, plan) if d in plan.holidays_of(email)]
    as_pto = [Unavailability(email, d, d) for d in own_off]
    return blocked(email, week, away + as_pto, plan.holidays)


@settings(max_examples=150, deadline=None)
@given(teams())
def test_every_week_has_a_different_available_primary_and_backup(case):
    engineers, away, plan = case
    schedule = generate(engineers, away, today=FIRST, plan=plan)
    for week in schedule.weeks:
        free = [e.email for e in engineers if not unavailable(e.email, week.week_start, away, plan)]
        if not free:
            assert week.engineer_email is None
            continue
        primary, backup = week.engineer_email, week.backup_email
        assert primary in free
        primary_out = [d for d in working(week.week_start, plan) if off(primary, d, away, plan)]
        can_back_up = [e for e in free if e != primary
                       and not any(off(e, d, away, plan) for d in primary_out)]
        if can_back_up:
            assert backup in can_back_up and backup != primary
        else:
            assert backup is None and week.week_start in schedule.without_backup


@settings(max_examples=150, deadline=None)
@given(teams())
def test_primary_counts_stay_within_one_over_every_prefix_of_the_plan(case):
    # Every prefix, so the first 13-week horizon too.
    engineers, away, plan = case
    schedule = generate(engineers, away, today=FIRST, plan=plan)
    always = [e.email for e in engineers
              if not any(unavailable(e.email, w.week_start, away, plan) for w in schedule.weeks)]
    counts = dict.fromkeys(always, 0)
    for week in schedule.weeks:
        if week.engineer_email in counts:
            counts[week.engineer_email] += 1
        if counts:
            assert max(counts.values()) - min(counts.values()) <= 1


@settings(max_examples=100, deadline=None)
@given(teams(), teams(), st.integers(min_value=0, max_value=20), st.integers(min_value=0, max_value=4),
       st.data())
def test_frozen_weeks_never_change_under_new_time_off_and_overrides(first_case, second_case, days_later, freeze,
                                                                     data):
    engineers, away, plan = first_case
    plan = Plan(weeks_ahead=13, freeze_weeks=freeze, ramp_weeks=0, holidays=plan.holidays,
                engineer_holidays=plan.engineer_holidays)
    before = generate(engineers, away, today=FIRST, plan=plan)
    later = FIRST + timedelta(days=days_later)
    _, changed_away, _ = second_case
    changed_away = [u for u in changed_away if u.email in {e.email for e in engineers}]
    moment = datetime(2026, 3, 3, tzinfo=timezone.utc)
    overrides = [Override(w.week_start, data.draw(st.sampled_from(engineers)).email, at=moment,
                          first_day=w.week_start + timedelta(days=data.draw(st.integers(0, 4))))
                 for w in data.draw(st.lists(st.sampled_from(before.weeks), max_size=3))]
    after = generate(engineers, changed_away, today=later, plan=plan, existing=before.weeks, overrides=overrides)
    limit = week_start_for(later, 0) + timedelta(weeks=freeze)
    planned = {w.week_start: w for w in after.weeks}
    for old in before.weeks:
        if old.week_start < limit:
            new = planned[old.week_start]
            assert new.engineer_email == old.engineer_email
            assert old.backup_email is None or new.backup_email == old.backup_email


@settings(max_examples=150, deadline=None)
@given(teams(), st.data())
def test_whoever_is_on_support_follows_day_overrides_then_the_backup(case, data):
    engineers, away, plan = case
    schedule = generate(engineers, away, today=FIRST, plan=plan)
    week = data.draw(st.sampled_from(schedule.weeks))
    covering = data.draw(st.sampled_from(engineers)).email
    first = week.week_start + timedelta(days=data.draw(st.integers(0, 4)))
    last = first + timedelta(days=data.draw(st.integers(0, 4 - first.weekday())))
    override = Override(week.week_start, covering, week.engineer_email, at=datetime(2026, 3, 1, tzinfo=timezone.utc),
                        first_day=first, last_day=last)
    absences = Absences(away, dict(plan.engineer_holidays), plan.holidays)
    for offset in range(5):
        day = week.week_start + timedelta(days=offset)
        noon = datetime.combine(day, time(12), tzinfo=timezone.utc)
        who = current_engineer(schedule.weeks, [override], noon, "UTC", 0, absences)
        if first <= day <= last:
            assert who == covering
        elif week.engineer_email and off(week.engineer_email, day, away, plan) and week.backup_email \
                and not off(week.backup_email, day, away, plan):
            assert who == week.backup_email
        else:
            assert who == week.engineer_email


@settings(max_examples=150, deadline=None)
@given(teams(), st.integers(min_value=0, max_value=13), st.data())
def test_primary_counts_stay_within_one_over_every_13_week_window(case, history_weeks, data):
    # Issue 15: any quarter of the plan, not only those counted from its start; with a past planned by the same
    # rules and partial PTO, the windows reaching back into the past hold too.
    engineers, away, plan = case
    earlier = FIRST - timedelta(weeks=history_weeks)
    past = generate(engineers, away, today=earlier, plan=Plan(weeks_ahead=max(history_weeks, 1), ramp_weeks=0,
                    holidays=plan.holidays, engineer_holidays=plan.engineer_holidays)).weeks[:history_weeks]
    schedule = generate(engineers, away, today=FIRST, plan=plan, existing=past)
    weeks = schedule.weeks
    assert [w.week_start for w in weeks] == [earlier + timedelta(weeks=i) for i in range(history_weeks + WEEKS)]
    for first in range(len(weeks) - 12):
        window = weeks[first:first + 13]
        steady = [e.email for e in engineers
                  if not any(unavailable(e.email, w.week_start, away, plan) for w in window)]
        counts = Counter({email: 0 for email in steady})
        counts.update(w.engineer_email for w in window if w.engineer_email in counts)
        if counts:
            assert max(counts.values()) - min(counts.values()) <= 1, (window[0].week_start, counts)
