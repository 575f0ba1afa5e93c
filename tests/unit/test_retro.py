"""The retro of each rotation week, pure: intake by tier, time to triage, outcomes, customers, reopens."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from core import retro
from core.errors import ValidationError

UTC = timezone.utc
START = datetime(2026, 11, 16, tzinfo=UTC)
WEEK = retro.Week(date(2026, 11, 16), START, START + timedelta(days=7), "Ada")


def at(days: float) -> str:
    return (START + timedelta(days=days)).isoformat()


def esc(n: int, received: float, **extra) -> dict:
    return {"id": n, "received_at": at(received), "closed_at": None, "status": "open", "support_tier": 3,
            "customer_domain": f"c{n}.example", "revenue": 1000 * n, "linear_identifier": None, "triaged_at": None,
            "last_followup_at": None, "handed_back": 0, **extra}


def test_a_week_sorted_into_fixed_triaged_and_carried_over() -> None:
    rows = [
        esc(1, 0.5, status="done", closed_at=at(2), triaged_at=at(0.75)),  # fixed within the week
        esc(2, 1, linear_identifier="ENG-2", triaged_at=at(1.5)),  # triaged, still open at the end
        esc(3, 2, status="done", closed_at=at(9), linear_identifier="ENG-3", triaged_at=at(2.25)),  # fixed later
        esc(4, 3, support_tier=1, handed_back=1),  # carried over
        esc(5, 6.9, status="wont_fix", closed_at=at(6.95)),  # closed, not fixed: none of the three
        esc(6, -3, status="done", closed_at=at(1)),  # an earlier week's, closed in this one
        esc(7, 7.1),  # next week
    ]
    r = retro.week(rows, WEEK)
    assert (r.received, r.by_tier) == (5, {1: 1, 2: 0, 3: 4})
    assert (r.fixed, r.triaged, r.carried_over) == (1, 2, 1)
    assert r.triage_hours == pytest.approx(6.0)  # median of 6 h, 12 h, 6 h
    assert (r.customers, r.revenue) == (5, 1000 * (1 + 2 + 3 + 4 + 5))
    assert (r.closed, r.handed_back) == (3, 1)
    assert r.row()["tier_3"] == 4 and r.row()["week"] == "2026-11-16"


def test_an_issue_made_after_the_week_ended_leaves_the_escalation_carried_over() -> None:
    rows = [esc(1, 3, linear_identifier="ENG-1", triaged_at=at(8)),  # its issue made in the next week
            esc(2, 4, status="done", closed_at=at(10), linear_identifier="ENG-2", triaged_at=at(6.5)),
            esc(3, 5, linear_identifier="ENG-3")]  # linked at a time not recorded: counted as triaged
    r = retro.week(rows, WEEK)
    assert (r.fixed, r.triaged, r.carried_over) == (0, 2, 1)


def test_reopen_rate_counts_customers_who_wrote_after_the_close() -> None:
    rows = [esc(1, 0, status="done", closed_at=at(1), last_followup_at=at(2)),
            esc(2, 0, status="done", closed_at=at(1), last_followup_at=at(0.5)),  # wrote before the close
            esc(3, 0, status="done", closed_at=at(3))]
    r = retro.week(rows, WEEK)
    assert (r.closed, r.reopened) == (3, 1)
    assert r.reopen_rate == pytest.approx(1 / 3)


def test_an_empty_week_has_no_rates() -> None:
    r = retro.week([], WEEK)
    assert (r.received, r.triage_hours, r.reopen_rate, r.revenue) == (0, None, None, 0)
    assert r.row()["reopen_rate"] is None


def test_one_customer_is_counted_once_however_many_escalations() -> None:
    rows = [esc(1, 0, customer_domain="acme.example", revenue=500),
            esc(2, 1, customer_domain="acme.example", revenue=500), esc(3, 1, customer_domain=None, revenue=None)]
    r = retro.week(rows, WEEK)
    assert (r.customers, r.revenue) == (1, 500)


def test_past_weeks_are_the_started_ones_in_the_team_zone() -> None:
    rotation = [{"week_start": d, "engineer_email": f"{n}@x", "engineer_name": n}
                for d, n in (("2026-11-09", "Bo"), ("2026-11-16", "Ada"), ("2026-11-23", "Cy"))]
    weeks = retro.past_weeks(rotation, date(2026, 11, 20), ZoneInfo("Europe/Berlin"), count=5)
    assert [(w.week_start.isoformat(), w.engineer) for w in weeks] == [("2026-11-09", "Bo"), ("2026-11-16", "Ada")]
    assert weeks[-1].start == datetime(2026, 11, 15, 23, tzinfo=UTC)  # midnight in Berlin
    assert len(retro.past_weeks(rotation, date(2026, 12, 1), UTC, count=2)) == 2


def test_unreviewed_handoffs_are_those_submitted_after_the_last_meeting() -> None:
    handoffs = [{"week_start": "2026-11-16", "submitted_at": "2026-11-20T16:00:00+00:00"},
                {"week_start": "2026-11-09", "submitted_at": "2026-11-13T16:00:00+00:00"},
                {"week_start": "2026-11-23", "submitted_at": None}]
    assert [h["week_start"] for h in retro.unreviewed(handoffs, None)] == ["2026-11-09", "2026-11-16"]
    assert [h["week_start"] for h in retro.unreviewed(handoffs, "2026-11-17T10:00:00+00:00")] == ["2026-11-16"]
    assert retro.unreviewed(handoffs, "2026-11-21T10:00:00+00:00") == []


def test_chart_series_are_long_form() -> None:
    r = retro.week([esc(1, 0, support_tier=2)], WEEK)
    assert retro.tier_series([r]) == [{"week_start": "2026-11-16", "support_tier": f"tier {t}",
                                       "escalations": int(t == 2)} for t in (1, 2, 3)]
    assert [o["outcome"] for o in retro.outcome_series([r])] == ["fixed within the week", "triaged to the backlog",
                                                                "carried over"]


def test_each_week_carries_its_pulse_ratings() -> None:
    pulses = [{"week_start": "2026-11-16", "role": "engineer", "rating": 2},
              {"week_start": "2026-11-16", "role": "support", "rating": None},
              {"week_start": "2026-11-09", "role": "support", "rating": 5}]
    (r,) = retro.retro([], [WEEK], pulses)
    assert r.pulse == {"engineer": 2}
    assert (r.row()["pulse_engineer"], r.row()["pulse_support"]) == (2, None)
    assert retro.pulse_series([r]) == [{"week_start": "2026-11-16", "role": "engineer", "rating": 2}]


@pytest.mark.parametrize(("role", "rating", "comment", "error"), [
    ("manager", 3, "", "one of engineer, support"),
    ("engineer", 6, "", "from 1"),
    ("engineer", 0, "", "from 1"),
    ("support", None, "rough week", "rating from 1 to 5 too"),
    ("support", 3, "x" * (retro.MAX_COMMENT + 1), "under"),
])
def test_a_pulse_needs_a_rating_of_1_to_5(role, rating, comment, error) -> None:
    with pytest.raises(ValidationError, match=error):
        retro.validate_pulse(role, rating, comment)


def test_a_valid_pulse_is_tidied() -> None:
    assert retro.validate_pulse("engineer", 4, "  good week \n") == (4, "good week")
    assert retro.validate_pulse("support", None, "  ") == (None, "")


def test_playbook_changes_are_marked_on_the_week_they_were_made() -> None:
    weeks = [WEEK, retro.Week(date(2026, 11, 23), WEEK.end, WEEK.end + timedelta(days=7), "Bo")]
    changes = [{"at": at(1), "summary": "added “A”"}, {"at": at(2), "summary": "changed “A”"},
               {"at": at(8), "summary": "removed “B”"}, {"at": at(30), "summary": "later"}]
    assert retro.change_marks(changes, weeks) == [
        {"week_start": "2026-11-16", "change": "added “A”; changed “A”"},
        {"week_start": "2026-11-23", "change": "removed “B”"}]


def test_rotations_with_boundary_breaches_are_marked() -> None:
    # Issue 13: the retro marks the weeks whose engineer worked on non-escalation issues.
    earlier = retro.Week(date(2026, 11, 9), START - timedelta(days=7), START, "Bo")
    marked, clean = retro.retro([], [WEEK, earlier], breaches={"2026-11-16": 2, "2026-11-02": 4})
    assert (marked.breaches, marked.row()["boundary_breaches"]) == (2, 2)
    assert (clean.breaches, clean.row()["boundary_breaches"]) == (0, 0)
