"""The rotation per Linear cycle: engineer-weeks on support, their share, and the outcomes (issue 13)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from core import cycles

UTC = ZoneInfo("UTC")
START = datetime(2026, 11, 2, tzinfo=timezone.utc)  # a Monday
NOW = START + timedelta(weeks=4)
ROTATION = [{"week_start": (START + timedelta(weeks=i)).date().isoformat(),
             "engineer_email": None if i == 1 else f"e{i}@ourco.com"} for i in range(-1, 5)]
ENGINEERS = [{"email": f"e{i}@ourco.com", "active": 1, "start_date": None} for i in range(5)]


def cycle(n: int, start: datetime, days: int) -> dict:
    return {"number": n, "name": "", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(days=days)).isoformat()}


def esc(n: int, received: datetime, **extra) -> dict:
    return {"id": n, "received_at": received.isoformat(), "closed_at": None, "status": "open", "support_tier": 3,
            "customer_domain": f"c{n}.example", "revenue": 100, "linear_identifier": None, "triaged_at": None,
            "last_followup_at": None, "handed_back": 0, **extra}


def test_support_weeks_count_staffed_overlap_only():
    # A two-week cycle starting mid-week: 3.5 days of week 0, all of week 1 (nobody scheduled), 3.5 days of week 2.
    mid = START + timedelta(days=3, hours=12)
    assert cycles.support_weeks(ROTATION, mid, mid + timedelta(days=14), UTC) == 1.0
    assert cycles.support_weeks(ROTATION, START, START + timedelta(days=14), UTC) == 1.0
    assert cycles.support_weeks(ROTATION, START + timedelta(weeks=2), START + timedelta(weeks=4), UTC) == 2.0


def test_each_started_cycle_gets_its_cost_and_outcomes():
    rows = [esc(1, START + timedelta(days=1), status="done", closed_at=(START + timedelta(days=2)).isoformat()),
            esc(2, START + timedelta(days=9), linear_identifier="ENG-2"),
            esc(3, START + timedelta(days=16))]
    found = cycles.per_cycle([cycle(2, START + timedelta(weeks=2), 14), cycle(1, START, 14),
                              cycle(3, NOW + timedelta(days=1), 14)], rows, ROTATION, ENGINEERS, UTC, NOW)
    assert [c.number for c in found] == [1, 2]  # oldest first; cycle 3 has not started
    first, second = found
    assert first.row() == {"cycle": "Cycle 1", "starts": "2026-11-02", "ends": "2026-11-16", "support_weeks": 1.0,
                           "cost": 0.1, "received": 2, "fixed": 1, "triaged": 1, "carried_over": 0, "customers": 2,
                           "revenue": 200, "reopen_rate": 0.0}
    assert (second.support_weeks, second.cost, second.outcome.received, second.outcome.carried_over) == (
        2.0, 0.2, 1, 1)


def test_a_team_without_engineers_has_no_cost_share():
    (only,) = cycles.per_cycle([cycle(1, START, 14)], [], ROTATION, [], UTC, NOW)
    assert only.team_size == 0 and only.cost is None and only.row()["cost"] is None


def test_a_cycles_dates_are_the_teams_days():
    # Linear stores instants: a cycle from Monday midnight in Berlin starts on Sunday in UTC.
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 11, 2, tzinfo=berlin).astimezone(timezone.utc)
    (only,) = cycles.per_cycle([cycle(1, start, 14)], [], ROTATION, ENGINEERS, berlin, NOW)
    assert (only.row()["starts"], only.row()["ends"]) == ("2026-11-02", "2026-11-16")
