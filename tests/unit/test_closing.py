"""The pure decisions of closing the loop: outcome, completion key, what to stage, resume and withdraw."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core import closing
from core.closing import IssueState

DONE_AT = "2026-03-02T10:00:00+00:00"


def issue(
    state_type: str = "completed", state_name: str = "Done", done_at: str | None = DONE_AT, **extra
) -> IssueState:
    return IssueState("iss", "ENG-7", "Export drops rows", state_name, state_type, done_at, **extra)


def link(escalation_id: int, ticket: str | None, **extra) -> dict:
    return {
        "escalation_id": escalation_id,
        "hubspot_ticket_id": ticket,
        "linear_issue_id": "iss",
        "customer_name": "Dana Scully",
        "company": "Acme",
        "subject": f"Bug {escalation_id}",
        **extra,
    }


def reply(key: str, status: str, ticket: str = "t1") -> dict:
    return {"key": key, "status": status, "hubspot_ticket_id": ticket}


@pytest.mark.parametrize(
    ("state_type", "name", "labels", "expected"),
    [
        ("completed", "Done", (), "fixed"),
        ("completed", "Released", (), "fixed"),
        ("canceled", "Canceled", (), "wont_fix"),
        ("canceled", "Duplicate", (), "duplicate"),
        ("canceled", "duplicate", (), "duplicate"),
        ("canceled", "Canceled", ("Duplicate",), "duplicate"),
        ("started", "In Progress", (), None),
        ("backlog", "Backlog", (), None),
        ("triage", "Triage", (), None),
    ],
)
def test_outcome_from_state(state_type: str, name: str, labels: tuple, expected: str | None) -> None:
    assert closing.outcome_for(state_type, name, labels) == expected


def test_completion_key_joins_issue_ticket_and_time() -> None:
    assert closing.completion_key("iss", "t1", DONE_AT) == f"iss:t1:{DONE_AT}"


def test_a_done_issue_stages_one_reply_per_linked_ticket() -> None:
    decided = closing.plan(issue(), [link(1, "t1"), link(2, "t2")], [], need_ticket=True)
    assert [a.key for a in decided.stage] == [f"iss:t1:{DONE_AT}", f"iss:t2:{DONE_AT}"]
    assert {a.outcome for a in decided.stage} == {"fixed"}
    assert [a.subject for a in decided.stage] == ["Send closing reply: Bug 1", "Send closing reply: Bug 2"]
    assert decided.withdraw == [] and decided.resume == []


def test_links_without_a_ticket_wait_when_hubspot_is_used_but_not_in_local_mode() -> None:
    assert closing.plan(issue(), [link(1, None)], [], need_ticket=True).stage == []
    [action] = closing.plan(issue(), [link(1, None)], [], need_ticket=False).stage
    assert action.key == f"iss:local-1:{DONE_AT}"


@pytest.mark.parametrize(
    ("status", "stage", "resume"), [("staged", 0, 0), ("sent", 0, 0), ("withdrawn", 0, 0), ("staging", 0, 1)]
)
def test_an_existing_reply_is_never_staged_again(status: str, stage: int, resume: int) -> None:
    key = f"iss:t1:{DONE_AT}"
    decided = closing.plan(issue(), [link(1, "t1")], [reply(key, status)], need_ticket=True)
    assert (len(decided.stage), len(decided.resume), decided.withdraw) == (stage, resume, [])


@pytest.mark.parametrize("status", ["staged", "staging"])
def test_moving_back_out_withdraws_active_replies(status: str) -> None:
    decided = closing.plan(
        issue("started", "In Progress", None),
        [link(1, "t1")],
        [reply("old", status), reply("gone", "sent"), reply("w", "withdrawn")],
        need_ticket=True,
    )
    assert [(w.key, w.reason) for w in decided.withdraw] == [("old", "ENG-7 moved back to In Progress")]
    assert decided.stage == []


def test_closing_again_with_a_new_outcome_withdraws_the_old_and_numbers_the_new_task() -> None:
    old = f"iss:t1:{DONE_AT}"
    later = issue("canceled", "Duplicate", "2026-03-03T09:00:00+00:00")
    decided = closing.plan(later, [link(1, "t1")], [reply(old, "staged")], need_ticket=True)
    assert [w.key for w in decided.withdraw] == [old]
    [action] = decided.stage
    assert action.outcome == "duplicate" and action.subject == "Send closing reply: Bug 1 (2)"


@pytest.mark.parametrize(
    ("body", "note"),
    [
        ("Customer note: exports work again.", "exports work again."),
        ("Customer note:", None),
        (None, None),
        ("Internal: not for customers", None),
    ],
)
def test_customer_note_strips_the_marker(body: str | None, note: str | None) -> None:
    assert closing.customer_note(body, "Customer note:") == note


@pytest.mark.parametrize(("outcome", "expected"), [
    ("fixed", "The problem you reported, \u201cExport drops rows\u201d, is fixed."),
    ("wont_fix", "You wrote to us about \u201cExport drops rows\u201d."),
    ("answered", "You wrote to us about \u201cExport drops rows\u201d."),
])
def test_without_a_note_the_summary_is_a_sentence_about_the_customers_own_subject(outcome: str,
                                                                                   expected: str) -> None:
    # Issue 19: never the issue's internal "<Company>: <subject>" title.
    assert closing.fix_summary(None, "Export drops rows", outcome) == expected
    assert closing.fix_summary("Exports work again.", "Export drops rows", outcome) == "Exports work again."


def test_reply_values_prefer_the_assignee_then_the_engineer_on_support() -> None:
    values = closing.reply_values(link(1, "t1"), issue(assignee_name="Ada Lovelace"), "sum", "Grace Hopper")
    assert (values["first_name"], values["company"], values["ticket_number"], values["engineer_name"]) == (
        "Dana",
        "Acme",
        "t1",
        "Ada Lovelace",
    )
    assert closing.reply_values(link(1, "t1"), issue(), "sum", "Grace Hopper")["engineer_name"] == "Grace Hopper"
    assert closing.reply_values(link(1, "t1", customer_name=""), issue(), "sum", None)["first_name"] == "there"


def test_timings_are_medians_of_what_happened() -> None:
    rows = [
        {
            "status": "sent",
            "done_at": "2026-03-02T10:00:00+00:00",
            "staged_at": "2026-03-02T10:01:00+00:00",
            "sent_at": "2026-03-02T11:01:00+00:00",
        },
        {
            "status": "sent",
            "done_at": "2026-03-02T10:00:00+00:00",
            "staged_at": "2026-03-02T10:03:00+00:00",
            "sent_at": "2026-03-02T10:13:00+00:00",
        },
        {
            "status": "staged",
            "done_at": "2026-03-02T10:00:00+00:00",
            "staged_at": "2026-03-02T10:10:00+00:00",
            "sent_at": None,
        },
    ]
    result = closing.timings(rows)
    assert (result.done_to_staged, result.staged_to_sent, result.waiting, result.sent) == (180, 2100, 1, 2)
    assert closing.timings([]).done_to_staged is None
    # the counts come from the whole table when the rows are only the latest sample (issue 16)
    counted = closing.timings(rows, {"sent": 40, "staged": 3, "staging": 1, "withdrawn": 9})
    assert (counted.done_to_staged, counted.waiting, counted.sent) == (180, 4, 40)


def test_issue_state_uses_the_completion_time() -> None:
    class FakeIssue:
        id, identifier, title, state_name, state_type = "iss", "ENG-7", "T", "Done", "completed"
        completed_at = datetime(2026, 3, 2, 10, tzinfo=timezone.utc)
        canceled_at, assignee_name, labels = None, "Ada", ("bug",)
        updated_at = datetime(2026, 3, 2, 10, 0, 5, tzinfo=timezone.utc)

    state = closing.issue_state(FakeIssue())
    assert (state.done_at, state.updated_at, state.closed) == (DONE_AT, "2026-03-02T10:00:05+00:00", True)
