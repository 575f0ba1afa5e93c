"""When a handover takes effect, and what happens to one open issue (issue 15)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from core.linear_models import Issue
from core.reassign import Handover, decide, takes_effect

DECIDED = datetime(2026, 3, 20, 12, tzinfo=timezone.utc)


def test_a_swap_takes_effect_at_the_teams_midnight_and_never_before_it_was_decided():
    # 30 March 2026 is the Monday after Berlin moved to summer time: midnight there is 22:00 UTC on Sunday.
    later = Handover(1, date(2026, 3, 30), "a@ourco.com", "b@ourco.com", DECIDED)
    assert takes_effect(later, "Europe/Berlin") == datetime(2026, 3, 29, 22, tzinfo=timezone.utc)
    assert takes_effect(later, "America/New_York") == datetime(2026, 3, 30, 4, tzinfo=timezone.utc)
    cover = Handover(2, date(2026, 3, 30), "a@ourco.com", "b@ourco.com", DECIDED, first_day=date(2026, 4, 1))
    assert takes_effect(cover, "UTC") == datetime(2026, 4, 1, tzinfo=timezone.utc)
    this_week = Handover(3, date(2026, 3, 16), "a@ourco.com", "b@ourco.com", DECIDED)
    assert takes_effect(this_week, "UTC") == DECIDED


def issue(state_type: str = "triage", assignee: str | None = "U-a") -> Issue:
    stamp = datetime(2026, 3, 16, tzinfo=timezone.utc)
    return Issue("i", "ENG-1", "u", "t", "s", "Triage", state_type, stamp, stamp, assignee_id=assignee)


@pytest.mark.parametrize(("found", "to_user", "expected"), [
    (issue(), "U-b", "reassign"),
    (issue(assignee="U-b"), "U-b", "already theirs"),
    (issue(assignee="U-c"), "U-b", "assigned to someone else"),
    (issue(assignee=None), "U-b", "assigned to someone else"),
    (issue("completed"), "U-b", "closed"),
    (issue("canceled"), "U-b", "closed"),
    (issue(), None, "no Linear user for the engineer now covering"),
    (None, "U-b", "issue gone"),
])
def test_one_issue_moves_only_from_the_outgoing_engineer_while_open(found, to_user, expected):
    assert decide(found, "U-a", to_user) == expected
