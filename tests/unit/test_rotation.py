"""Rotation generation, current engineer, swaps, conflicts and roster validation (pure)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest

from core.errors import ValidationError
from core.roster import (
    Engineer,
    Unavailability,
    match_external_ids,
    parse_roster_csv,
    validate_roster,
    validate_unavailability,
)
from core.rotation import (
    Override,
    Plan,
    RotationWeek,
    apply_overrides,
    conflicts,
    current_engineer,
    generate,
    holiday_dates,
    swap_candidates,
    week_start_for,
    working_days,
)

MONDAY = date(2026, 1, 5)


def team(n: int, **kwargs) -> list[Engineer]:
    return [Engineer(f"e{i}@ourco.com", f"Engineer {i}", **kwargs) for i in range(n)]


def gaps(weeks: list[RotationWeek]) -> list[int]:
    last: dict[str, int] = {}
    found = []
    for i, week in enumerate(weeks):
        if week.engineer_email in last:
            found.append(i - last[week.engineer_email])
        last[week.engineer_email] = i
    return found


@pytest.mark.parametrize("index,expected", [(0, date(2026, 1, 5)), (6, date(2026, 1, 4)), (2, date(2025, 12, 31))])
def test_week_start_follows_the_configured_weekday(index, expected):
    assert week_start_for(date(2026, 1, 6), index) == expected


def test_plan_covers_at_least_the_horizon_starting_this_week():
    schedule = generate(team(5), [], today=date(2026, 1, 8), plan=Plan(weeks_ahead=13))
    assert [w.week_start for w in schedule.weeks] == [MONDAY + timedelta(weeks=i) for i in range(13)]
    assert all(w.week_start.weekday() == 0 for w in schedule.weeks)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 7])
def test_without_constraints_the_plan_is_an_even_round_robin(n):
    schedule = generate(team(n), [], today=MONDAY, plan=Plan(weeks_ahead=4 * n))
    assert set(gaps(schedule.weeks)) == {n}
    assert not schedule.warnings


def test_generation_is_deterministic():
    people = team(6, start_date=date(2025, 1, 1))
    away = [Unavailability("e2@ourco.com", date(2026, 2, 2), date(2026, 2, 13))]
    plan = Plan(weeks_ahead=26, holidays=holiday_dates("DE", MONDAY, date(2026, 12, 31)))
    first = generate(people, away, today=MONDAY, plan=plan)
    again = generate(list(reversed(people)), list(away), today=MONDAY, plan=plan)
    assert first == again


def test_pto_is_respected_and_the_missed_turn_is_made_up():
    away = [Unavailability("e1@ourco.com", date(2026, 1, 12), date(2026, 1, 23))]
    schedule = generate(team(4), away, today=MONDAY, plan=Plan(weeks_ahead=16))
    by_week = {w.week_start: w.engineer_email for w in schedule.weeks}
    assert "e1@ourco.com" not in {by_week[date(2026, 1, 12)], by_week[date(2026, 1, 19)]}
    assert set(Counter(by_week.values()).values()) == {4}


def test_weekend_only_time_off_does_not_block_a_week():
    away = [Unavailability("e0@ourco.com", date(2026, 1, 10), date(2026, 1, 11))]
    schedule = generate(team(1), away, today=MONDAY, plan=Plan(weeks_ahead=2))
    assert schedule.weeks[0].engineer_email == "e0@ourco.com"


def test_critical_path_blocks_like_pto_and_is_named_in_warnings():
    people = team(1)
    away = [Unavailability("e0@ourco.com", MONDAY, MONDAY + timedelta(days=4), "critical", "launch")]
    schedule = generate(people, away, today=MONDAY, plan=Plan(weeks_ahead=2))
    assert schedule.weeks[0].engineer_email is None
    assert "critical path: launch" in schedule.warnings[0]


def test_new_hires_wait_out_the_ramp_then_join_level_with_the_team():
    people = team(4) + [Engineer("new@ourco.com", "New", start_date=MONDAY)]
    schedule = generate(people, [], today=MONDAY, plan=Plan(weeks_ahead=30, ramp_weeks=6))
    weeks = [w.week_start for w in schedule.weeks if w.engineer_email == "new@ourco.com"]
    assert min(weeks) >= MONDAY + timedelta(weeks=6)
    after = Counter(w.engineer_email for w in schedule.weeks if w.week_start >= min(weeks))
    assert max(after.values()) - min(after.values()) <= 1  # no catching up on weeks they could not take


def test_back_to_back_only_when_the_roster_leaves_no_choice_and_then_warns():
    away = [Unavailability("e1@ourco.com", MONDAY + timedelta(weeks=1), MONDAY + timedelta(weeks=1, days=4))]
    schedule = generate(team(2), away, today=MONDAY, plan=Plan(weeks_ahead=4))
    assert [w.engineer_email for w in schedule.weeks[:2]] == ["e0@ourco.com", "e0@ourco.com"]
    assert len(schedule.warnings) == 1 and "two weeks running" in schedule.warnings[0]
    assert schedule.weeks[1].note.startswith("back-to-back")


def test_holiday_weeks_are_shared_so_working_days_balance():
    # A holiday every fourth Monday would give a plain round robin's first engineer every short week.
    holidays = frozenset(MONDAY + timedelta(weeks=4 * k) for k in range(13))
    schedule = generate(team(4), [], today=MONDAY, plan=Plan(weeks_ahead=52, holidays=holidays))
    worked = Counter()
    for week in schedule.weeks:
        worked[week.engineer_email] += working_days(week.week_start, holidays)
    naive = Counter(i % 4 for i, w in enumerate(schedule.weeks) if w.week_start in holidays)
    assert max(naive.values()) == 13
    assert set(Counter(w.engineer_email for w in schedule.weeks).values()) == {13}
    short = Counter(w.engineer_email for w in schedule.weeks if w.week_start in holidays)
    assert len(short) >= 2
    assert max(worked.values()) - min(worked.values()) <= 7  # a plain round robin: 13


def test_real_public_holidays_are_read_for_the_country():
    found = holiday_dates("DE", date(2026, 1, 1), date(2026, 12, 31))
    assert date(2026, 10, 3) in found and date(2026, 12, 25) in found
    assert holiday_dates("", date(2026, 1, 1), date(2026, 12, 31)) == frozenset()
    assert working_days(date(2026, 12, 21), found) == 4  # Christmas Day is that Friday


def test_regeneration_keeps_frozen_and_swapped_weeks_and_bumps_sequence_on_change():
    plan = Plan(weeks_ahead=13, freeze_weeks=2)
    first = generate(team(5), [], today=MONDAY, plan=plan)
    swapped = first.weeks[6].week_start
    override = Override(swapped, "e4@ourco.com", first.weeks[6].engineer_email,
                        at=datetime(2026, 1, 6, tzinfo=timezone.utc))
    away = [Unavailability(first.weeks[1].engineer_email, MONDAY, MONDAY + timedelta(weeks=8))]
    second = generate(team(5), away, today=MONDAY, plan=plan, existing=first.weeks, overrides=[override])
    assert second.weeks[:2] == first.weeks[:2]
    assert all(w.published for w in second.weeks[:2]) and not any(w.published for w in second.weeks[2:])
    assert second.weeks[6] == first.weeks[6]
    for old, new in zip(first.weeks[2:], second.weeks[2:]):
        assert new.sequence == old.sequence + (old.engineer_email != new.engineer_email)


def test_current_engineer_honours_the_latest_override():
    weeks = [RotationWeek(MONDAY, "a@ourco.com"), RotationWeek(MONDAY + timedelta(weeks=1), "b@ourco.com")]
    overrides = [Override(MONDAY, "c@ourco.com", at=datetime(2026, 1, 1, tzinfo=timezone.utc)),
                 Override(MONDAY, "d@ourco.com", at=datetime(2026, 1, 2, tzinfo=timezone.utc))]
    at = datetime(2026, 1, 7, 12, tzinfo=timezone.utc)
    assert current_engineer(weeks, overrides, at, "UTC", 0) == "d@ourco.com"
    assert current_engineer(weeks, [], at, "UTC", 0) == "a@ourco.com"
    assert current_engineer(weeks, [], at + timedelta(weeks=5), "UTC", 0) is None
    assert [w.engineer_email for w in apply_overrides(weeks, overrides)] == ["d@ourco.com", "b@ourco.com"]


def test_swap_candidates_rank_available_then_least_recent_then_lightest():
    weeks = [RotationWeek(MONDAY + timedelta(weeks=i), f"e{i % 4}@ourco.com") for i in range(8)]
    away = [Unavailability("e3@ourco.com", MONDAY + timedelta(weeks=2), MONDAY + timedelta(weeks=2, days=4))]
    ranked = swap_candidates(MONDAY + timedelta(weeks=2), weeks, team(4), away, ramp_weeks=0)
    assert [c.email for c in ranked] == ["e0@ourco.com", "e1@ourco.com", "e3@ourco.com"]
    assert ranked[1].back_to_back and not ranked[0].back_to_back
    assert not ranked[2].available and ranked[2].reason == "PTO"


def test_pto_added_after_publishing_is_flagged_with_suggestions():
    weeks = [RotationWeek(MONDAY + timedelta(weeks=i), f"e{i % 4}@ourco.com", published=True) for i in range(8)]
    away = [Unavailability("e1@ourco.com", MONDAY + timedelta(weeks=1), MONDAY + timedelta(weeks=1, days=2))]
    found = conflicts(weeks, team(4), away, today=MONDAY, plan=Plan())
    assert [(c.week_start, c.email, c.reason) for c in found] == [(MONDAY + timedelta(weeks=1), "e1@ourco.com", "PTO")]
    assert found[0].suggestions[0] == "e3@ourco.com" and "e1@ourco.com" not in found[0].suggestions


def test_roster_validation_reports_every_problem_with_row_numbers():
    rows = [{"name": "Ada", "email": "ADA@ourco.com", "timezone": "Europe/Berlin", "start_date": "2024-02-01"},
            {"name": "", "email": "nope", "timezone": "Mars/Base"},
            {"name": "Ada again", "email": "ada@ourco.com"}]
    with pytest.raises(ValidationError) as info:
        validate_roster(rows)
    message = str(info.value)
    assert "row 2: name is missing, email 'nope' is not an address, time zone 'Mars/Base' is unknown" in message
    assert "row 3: ada@ourco.com appears more than once" in message
    assert validate_roster(rows[:1])[0] == Engineer("ada@ourco.com", "Ada", "Europe/Berlin", date(2024, 2, 1))


def test_csv_import_maps_aliases_and_warns_about_unknown_columns():
    text = "Name,E-mail,Time zone,Start,Active,Team\nAda,ada@ourco.com,UTC,2025-03-01,no,core\nBo,bo@ourco.com,,,,\n"
    engineers, warnings = parse_roster_csv(text)
    assert [(e.email, e.active, e.start_date) for e in engineers] == [
        ("ada@ourco.com", False, date(2025, 3, 1)), ("bo@ourco.com", True, None)]
    assert warnings == ["Column 'Team' is not used."]
    with pytest.raises(ValidationError, match="lacks email"):
        parse_roster_csv("name\nAda\n")


def test_unavailability_validation():
    ok = validate_unavailability([{"email": "a@ourco.com", "kind": "critical path", "start": "2026-01-05",
                                   "end": "2026-01-09", "reason": "launch"}], ["a@ourco.com"])
    assert ok == [Unavailability("a@ourco.com", date(2026, 1, 5), date(2026, 1, 9), "critical", "launch")]
    with pytest.raises(ValidationError) as info:
        validate_unavailability([{"email": "x@ourco.com", "start": "2026-01-09", "end": "2026-01-05"},
                                 {"email": "a@ourco.com", "kind": "critical", "start": "2026-01-05"}],
                                ["a@ourco.com"])
    assert "row 1: x@ourco.com is not on the roster, end 2026-01-05 is before start 2026-01-09" in str(info.value)
    assert "row 2: critical-path periods need a reason" in str(info.value)


def test_external_ids_are_matched_by_email():
    people = [Engineer("ada@ourco.com", "Ada"), Engineer("bo@ourco.com", "Bo", hubspot_owner_id="7")]
    matched = match_external_ids(people, {"ADA@ourco.com": "lin-1"}, {"bo@ourco.com": "99", "ada@ourco.com": "5"})
    assert [(e.linear_user_id, e.hubspot_owner_id) for e in matched] == [("lin-1", "5"), ("", "7")]


def test_one_day_of_pto_leaves_the_week_assignable_and_fairness_counts_days_served():
    # Issue 15: PTO counts in working days; the backup covers the day and is at work on it.
    away = [Unavailability("e0@ourco.com", MONDAY + timedelta(days=2), MONDAY + timedelta(days=2))]
    schedule = generate(team(3), away, today=MONDAY, plan=Plan(weeks_ahead=6))
    first = schedule.weeks[0]
    assert first.engineer_email == "e0@ourco.com" and first.backup_email not in {None, "e0@ourco.com"}
    two_days = [Unavailability("e0@ourco.com", MONDAY, MONDAY + timedelta(days=1))]
    assert generate(team(3), two_days, today=MONDAY, plan=Plan(weeks_ahead=6)).weeks[0].engineer_email != \
        "e0@ourco.com"


def test_an_engineers_own_holidays_shorten_their_week_not_the_teams():
    # e0 keeps another country's holidays: two of them in the first week block it, one in the second does not.
    own = {"e0@ourco.com": frozenset({MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(weeks=1)})}
    schedule = generate(team(3), [], today=MONDAY, plan=Plan(weeks_ahead=6, engineer_holidays=own))
    assert schedule.weeks[0].engineer_email != "e0@ourco.com"
    assert schedule.weeks[0].backup_email != "e0@ourco.com"  # out on the days nobody may be out
    assert schedule.weeks[1].engineer_email == "e0@ourco.com"


def test_every_week_gets_a_backup_spread_fairly():
    schedule = generate(team(4), [], today=MONDAY, plan=Plan(weeks_ahead=16))
    assert all(w.backup_email and w.backup_email != w.engineer_email for w in schedule.weeks)
    assert set(Counter(w.backup_email for w in schedule.weeks).values()) == {4}
    lone = generate(team(1), [], today=MONDAY, plan=Plan(weeks_ahead=2))
    assert [w.backup_email for w in lone.weeks] == [None, None] and len(lone.without_backup) == 2
