"""The boundary guard's rules: which of the engineer's Linear issues breach their rotation week (issue 13)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from core import boundary
from core.linear_models import AssignedIssue

WEEK = date(2026, 11, 16)
START = datetime(2026, 11, 16, tzinfo=timezone.utc)
END = START + timedelta(days=7)
ME, OTHER = "user-me", "user-pm"


def issue(n: int, *, state_type: str = "unstarted", started: datetime | None = None,
          comments: tuple[datetime, ...] = (), moves: tuple[tuple[datetime, str | None, str], ...] = ()):
    return AssignedIssue(f"id-{n}", f"ENG-{n}", f"https://linear.app/acme/issue/ENG-{n}", f"Feature {n}",
                         {"started": "In Progress", "completed": "Done"}.get(state_type, "Todo"), state_type,
                         started, START, comments, moves)


def find(*issues: AssignedIssue, escalations: set[str] = frozenset()) -> list[boundary.Breach]:
    return boundary.breaches(issues, week_start=WEEK, start=START, end=END, user_id=ME, engineer_email="me@ourco.com",
                             escalation_issue_ids=escalations)


@pytest.mark.parametrize(("item", "reasons"), [
    (issue(1, state_type="started", started=START - timedelta(days=3)), ("in progress",)),
    (issue(2, state_type="started", started=START + timedelta(days=2)), ("in progress",)),
    (issue(3, comments=(START + timedelta(hours=30),)), ("commented",)),
    (issue(4, state_type="completed", moves=((START + timedelta(days=4), ME, "Done"),)), ("moved",)),
    (issue(5, state_type="started", started=START + timedelta(days=1), comments=(START + timedelta(days=1),),
           moves=((START + timedelta(days=1), ME, "In Progress"),)), ("in progress", "moved", "commented")),
])
def test_work_in_the_week_is_a_breach_with_its_reasons(item, reasons):
    (found,) = find(item)
    assert found.reasons == reasons
    assert (found.identifier, found.week_start, found.engineer_email) == (item.identifier, WEEK, "me@ourco.com")


@pytest.mark.parametrize("item", [
    issue(10),  # assigned, untouched
    issue(11, state_type="started", started=END + timedelta(hours=1)),  # started only after the week
    issue(12, comments=(START - timedelta(seconds=1), END)),  # comments just outside [start, end)
    issue(13, state_type="completed", moves=((START + timedelta(days=1), OTHER, "Done"),)),  # someone else moved it
    issue(14, state_type="started", started=None),
])
def test_activity_outside_the_week_or_by_others_is_not(item):
    assert find(item) == []


def test_the_escalations_own_issues_are_the_job_not_a_breach():
    busy = issue(20, state_type="started", started=START)
    assert find(busy, escalations={"id-20"}) == []
    assert [b.identifier for b in find(busy, issue(21, comments=(START,)))] == ["ENG-20", "ENG-21"]


def test_last_at_is_the_latest_move_or_comment_in_the_week():
    item = issue(30, comments=(START + timedelta(days=1), START + timedelta(days=3)),
                 moves=((START + timedelta(days=2), ME, "Done"), (END + timedelta(days=1), ME, "Todo")))
    assert find(item)[0].last_at == START + timedelta(days=3)
    assert find(issue(31, state_type="started", started=START))[0].last_at is None


def rows():
    return [{"week_start": "2026-11-09", "engineer_email": "a@ourco.com", "identifier": "ENG-9", "title": "x",
             "reasons": "moved"},
            {"week_start": "2026-11-16", "engineer_email": "b@ourco.com", "identifier": "ENG-7", "title": "y",
             "reasons": "commented"},
            {"week_start": "2026-11-16", "engineer_email": "b@ourco.com", "identifier": "ENG-3", "title": "<z>",
             "reasons": "in progress"}]


def test_breaches_group_per_week_newest_first_with_counts():
    weeks = boundary.by_week(rows())
    assert [(w.week_start, w.engineer_email, w.count) for w in weeks] == [
        ("2026-11-16", "b@ourco.com", 2), ("2026-11-09", "a@ourco.com", 1)]
    assert [i["identifier"] for i in weeks[0].issues] == ["ENG-3", "ENG-7"]
    assert boundary.counts(rows()) == {"2026-11-09": 1, "2026-11-16": 2}
    assert boundary.summary(weeks) == "3 breaches in 2 weeks"


def test_the_managers_notice_lists_the_issues_and_cannot_mention_anyone():
    text = boundary.notice(boundary.by_week(rows())[0], "Bea <!channel>", "https://rota.example/")
    assert text.splitlines()[0] == ("Boundary guard: Bea &lt;!channel&gt; worked on 2 non-escalation issues during "
                                    "their support week of 2026-11-16.")
    assert "- ENG-3 &lt;z&gt; (in progress)" in text and text.endswith("https://rota.example/calendar")
