"""Closing the loop end to end: Linear double → poll_and_stage / stage_for_issue → HubSpot double and the store."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import httpx
import pytest

from core import closing
from core.errors import ValidationError
from core.hubspot import HubSpotClient
from core.linear import LinearClient
from core.store import audit, get_state, intake, iso
from core.store import replies as store
from tests.doubles.hubspot import TOKEN, FakeClock, HubSpotDouble
from tests.doubles.linear import API_KEY, LinearDouble

START = 1_790_000_000.0


class World:
    """Both doubles, their clients, a shared clock and helpers to seed linked escalations."""

    def __init__(self, db, settings) -> None:
        self.db = db
        self.clock = FakeClock(start=START)
        self.hub = HubSpotDouble(clock=self.clock)
        self.hub.add_ticket_property("linear_issue_state")
        self.lin = LinearDouble(clock=self.clock)
        self.hubspot = HubSpotClient(
            TOKEN, transport=httpx.MockTransport(self.hub.handler), sleep=self.clock.sleep, clock=self.clock
        )
        self.linear = LinearClient(
            API_KEY, transport=httpx.MockTransport(self.lin.handler), sleep=self.clock.sleep, clock=self.clock
        )
        self.settings = dataclasses.replace(
            settings,
            hubspot_token=TOKEN,
            linear_api_key=API_KEY,
            linear_team="ENG",
            hubspot_staged_stage="3",
            hubspot_closed_stage="4",
        )
        self.owner = self.hub.add_owner("sam@ourco.com", "Sam", "Support")
        self.escalations = 0

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now, timezone.utc)

    def tick(self, seconds: float = 60) -> None:
        self.clock.advance(seconds)

    def issue(self, title: str = "Export drops the last row", **fields) -> dict:
        return self.lin.add_issue(title, state_name="In Progress", **fields)

    def report(
        self, issue: dict, customer: str = "Dana Scully", company: str = "Acme", subject: str = "CSV export broken"
    ) -> str:
        """A customer escalation linked to ``issue`` through a new HubSpot ticket; returns the ticket id."""
        self.escalations += 1
        n = self.escalations
        escalation_id = intake.create_escalation(
            self.db,
            {
                "message_id": f"<m{n}@acme.example>",
                "customer_name": customer,
                "customer_address": f"c{n}@acme.example",
                "customer_domain": "acme.example",
                "company": company,
                "tier": "enterprise",
                "subject": subject,
                "body": "it broke",
                "received_at": iso(self.now),
                "status": "open",
            },
            [],
        )
        ticket_id = self.hub.add_ticket(subject, stage="1", hubspot_owner_id=self.owner)
        self.db["links"].insert(
            {
                "escalation_id": escalation_id,
                "hubspot_ticket_id": ticket_id,
                "linear_issue_id": issue["id"],
                "linear_identifier": issue["identifier"],
                "linear_state": "In Progress",
                "linear_state_type": "started",
                "updated_at": iso(self.now),
            }
        )
        return ticket_id

    def move(self, issue: dict, state: str = "Done") -> None:
        """Move ``issue`` in Linear, a minute after whatever happened last."""
        self.lin.set_state(issue["id"], state)
        self.tick()

    def poll(self) -> closing.Summary:
        return closing.poll_and_stage(self.db, self.settings, self.hubspot, self.linear, now=self.now)

    def tasks(self, ticket_id: str) -> list[dict]:
        return [self.hub.records["tasks"][t]["properties"] for t in self.hub.linked("tickets", ticket_id, "tasks")]

    def notes(self, ticket_id: str) -> list[str]:
        return [
            self.hub.records["notes"][n]["properties"]["hs_note_body"]
            for n in self.hub.linked("tickets", ticket_id, "notes")
        ]

    def stage(self, ticket_id: str) -> str:
        return self.hub.records["tickets"][ticket_id]["properties"]["hs_pipeline_stage"]


@pytest.fixture
def world(db, settings) -> World:
    w = World(db, settings)
    w.poll()  # sets the cursor before anything happens
    w.tick()
    return w


def test_done_stages_one_reply_per_customer_who_reported_it(world: World) -> None:
    issue = world.issue()
    first = world.report(issue, "Dana Scully", "Acme")
    second = world.report(issue, "Fox Mulder", "Globex", subject="Rows missing")
    world.lin.q_commentCreate({"issueId": issue["id"], "body": "Customer note: exports now include every row."})
    world.tick()
    world.move(issue)

    summary = world.poll()

    assert len(summary.staged) == 2 and not summary.failed
    for ticket_id, name, company, subject in (
        (first, "Dana", "Acme", "CSV export broken"),
        (second, "Fox", "Globex", "Rows missing"),
    ):
        [task] = world.tasks(ticket_id)
        assert task["hs_task_subject"] == f"Send closing reply: {subject}"
        assert (task["hs_task_type"], task["hs_task_status"], task["hubspot_owner_id"]) == (
            "EMAIL",
            "NOT_STARTED",
            world.owner,
        )
        assert (
            task["hs_task_body"].startswith(f"Hi {name},") and "exports now include every row." in task["hs_task_body"]
        )
        assert "Customer note:" not in task["hs_task_body"]
        assert any(issue["identifier"] in note and "Fixed" in note for note in world.notes(ticket_id))
        assert world.stage(ticket_id) == "3"
        assert world.hub.records["tickets"][ticket_id]["properties"]["linear_issue_state"] == "Done"
    rows = store.replies_for_issue(world.db, issue["id"])
    assert {(r["status"], r["outcome"], r["previous_stage"]) for r in rows} == {("staged", "fixed", "1")}
    assert all(r["hubspot_task_id"] and r["key"].startswith(f"{issue['id']}:{r['hubspot_ticket_id']}:") for r in rows)
    assert world.db["links"].get(1)["linear_state_type"] == "completed"


def test_polling_again_stages_nothing_new(world: World) -> None:
    issue = world.issue()
    ticket = world.report(issue)
    world.move(issue)
    world.poll()
    world.tick()
    again = world.poll()
    issue_again = closing.stage_for_issue(
        world.db, world.settings, world.hubspot, world.linear, issue["id"], now=world.now
    )
    assert again.staged == [] and issue_again.staged == []
    assert len(world.tasks(ticket)) == 1


@pytest.mark.parametrize(
    ("state", "outcome", "opening"),
    [("Canceled", "wont_fix", "decided not to change"), ("Duplicate", "duplicate", "same problem")],
)
def test_canceled_issues_get_their_own_template(world: World, state: str, outcome: str, opening: str) -> None:
    issue = world.issue()
    ticket = world.report(issue)
    world.lin.set_state(issue["id"], state)
    world.tick()
    world.poll()
    [row] = store.replies_for_issue(world.db, issue["id"])
    assert row["outcome"] == outcome and opening in row["body"]
    assert opening in world.tasks(ticket)[0]["hs_task_body"]


def test_a_template_saved_in_the_db_is_used(world: World) -> None:
    store.save_template(
        world.db, "fixed", "Hello {first_name} from {company}: {issue_identifier} is done.", iso(world.now)
    )
    issue = world.issue()
    world.report(issue, "Dana Scully", "Acme")
    world.move(issue)
    world.poll()
    [row] = store.replies_for_issue(world.db, issue["id"])
    assert row["body"] == f"Hello Dana from Acme: {issue['identifier']} is done."


def test_reopened_issue_withdraws_the_reply_and_restores_the_stage(world: World) -> None:
    issue = world.issue()
    ticket = world.report(issue)
    world.move(issue)
    world.poll()
    world.tick()
    world.move(issue, "In Progress")

    summary = world.poll()

    assert len(summary.withdrawn) == 1
    [task] = world.tasks(ticket)
    assert task["hs_task_status"] == "COMPLETED"
    assert any("withdrawn" in n and "moved back to In Progress" in n for n in world.notes(ticket))
    assert world.stage(ticket) == "1"
    [row] = store.replies_for_issue(world.db, issue["id"])
    assert row["status"] == "withdrawn" and row["withdrawn_at"]


@pytest.mark.parametrize(("state", "status"), [("Done", "done"), ("Canceled", "wont_fix")])
def test_the_escalation_closes_with_its_issue_and_reopens_with_it(world: World, state: str, status: str) -> None:
    issue = world.issue()
    world.report(issue)
    world.lin.set_state(issue["id"], state)
    world.tick()
    closed_at = world.now
    world.poll()
    escalation = world.db["escalations"].get(1)
    assert (escalation["status"], escalation["closed_at"]) == (status, iso(closed_at))
    world.tick()
    world.move(issue, "In Progress")
    world.poll()
    escalation = world.db["escalations"].get(1)
    assert (escalation["status"], escalation["closed_at"]) == ("open", None)


def test_an_escalation_closed_by_hand_stays_closed_while_its_issue_is_open(world: World) -> None:
    issue = world.issue()
    world.report(issue)
    intake.set_escalation_status(world.db, 1, "done", iso(world.now))
    world.move(issue, "Todo")
    world.poll()
    assert world.db["escalations"].get(1)["status"] == "done"


def test_done_again_after_a_reopen_stages_a_fresh_reply(world: World) -> None:
    issue = world.issue()
    ticket = world.report(issue)
    for state in ("Done", "In Progress", "Done"):
        world.lin.set_state(issue["id"], state)
        world.tick()
        world.poll()
        world.tick()
    rows = store.replies_for_issue(world.db, issue["id"])
    assert sorted(r["status"] for r in rows) == ["staged", "withdrawn"]
    statuses = sorted(t["hs_task_status"] for t in world.tasks(ticket))
    assert statuses == ["COMPLETED", "NOT_STARTED"]
    assert len({t["hs_task_subject"] for t in world.tasks(ticket)}) == 2  # find_task can tell them apart


class CrashAfterCreate(HubSpotClient):
    """A worker killed right after HubSpot created the task, before Rotadesk recorded it."""

    def create_task(self, *args, **kwargs):
        super().create_task(*args, **kwargs)
        raise KeyboardInterrupt("killed")


def test_a_crash_between_creating_the_task_and_recording_it_stages_once(world: World) -> None:
    issue = world.issue()
    ticket = world.report(issue)
    world.move(issue)
    crashing = CrashAfterCreate(
        TOKEN, transport=httpx.MockTransport(world.hub.handler), sleep=world.clock.sleep, clock=world.clock
    )
    with pytest.raises(KeyboardInterrupt):
        closing.poll_and_stage(world.db, world.settings, crashing, world.linear, now=world.now)
    [row] = store.replies_for_issue(world.db, issue["id"])
    assert row["status"] == "staging" and row["hubspot_task_id"] is None

    world.tick(30)
    assert world.poll().staged == []  # the claim is still fresh: nobody else touches it
    world.tick(closing.STAGING_LEASE.total_seconds())
    resumed = world.poll()

    assert resumed.staged == [row["key"]]
    [task] = world.tasks(ticket)
    [row] = store.replies_for_issue(world.db, issue["id"])
    assert row["status"] == "staged" and row["hubspot_task_id"] == world.hub.linked("tickets", ticket, "tasks")[0]
    assert task["hs_task_status"] == "NOT_STARTED"


def test_a_lost_answer_from_hubspot_is_resumed_without_a_second_task(world: World) -> None:
    issue = world.issue()
    ticket = world.report(issue)
    world.move(issue)
    lose_on_create = world.hub.handler

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/objects/tasks"):
            world.hub.lose_next()
        return lose_on_create(request)

    flaky = HubSpotClient(TOKEN, transport=httpx.MockTransport(handler), sleep=world.clock.sleep, clock=world.clock)
    first = closing.poll_and_stage(world.db, world.settings, flaky, world.linear, now=world.now)
    # The lost task is found again by its subject, read through the ticket, in the same pass (issue 14).
    assert len(first.staged) == 1 and not first.failed and len(world.tasks(ticket)) == 1
    [row] = store.replies_for_issue(world.db, issue["id"])
    assert row["status"] == "staged" and row["hubspot_task_id"] == world.hub.linked("tickets", ticket, "tasks")[0]

    world.tick()
    second = world.poll()
    assert not second.staged and len(world.tasks(ticket)) == 1


def test_an_unlinked_issue_changes_nothing(world: World) -> None:
    issue = world.issue()
    world.move(issue)
    before = len(world.hub.requests)
    summary = closing.stage_for_issue(world.db, world.settings, world.hubspot, world.linear, issue["id"], now=world.now)
    assert summary.issues == 0 and len(world.hub.requests) == before
    assert list(world.db["staged_replies"].rows) == []


def test_mark_sent_completes_the_task_and_closes_the_ticket(world: World) -> None:
    issue = world.issue()
    ticket = world.report(issue)
    world.move(issue)
    world.poll()
    [row] = store.replies_for_issue(world.db, issue["id"])
    world.tick(3600)

    closing.mark_sent(world.db, world.settings, world.hubspot, row["key"], now=world.now, body="Edited reply")

    [task] = world.tasks(ticket)
    assert (task["hs_task_status"], task["hs_task_body"]) == (
        "COMPLETED",
        "Edited reply",
    )  # HubSpot keeps what went out
    assert world.stage(ticket) == "4"
    sent = store.reply(world.db, row["key"])
    assert (sent["status"], sent["body"]) == ("sent", "Edited reply")
    assert closing.timings(store.reply_times(world.db)).staged_to_sent == 3600
    with pytest.raises(ValidationError, match="is sent"):
        closing.mark_sent(world.db, world.settings, world.hubspot, row["key"], now=world.now)


def test_saving_an_edit_updates_the_staged_task(world: World) -> None:
    issue = world.issue()
    ticket = world.report(issue)
    world.move(issue)
    world.poll()
    [row] = store.replies_for_issue(world.db, issue["id"])

    closing.edit_reply(world.db, row["key"], "Hi Dana, fixed as of today.", world.hubspot)

    [task] = world.tasks(ticket)
    assert (task["hs_task_status"], task["hs_task_body"]) == ("NOT_STARTED", "Hi Dana, fixed as of today.")
    assert store.reply(world.db, row["key"])["body"] == "Hi Dana, fixed as of today."
    with pytest.raises(ValidationError, match="empty"):
        closing.edit_reply(world.db, row["key"], "  \n", world.hubspot)
    assert world.tasks(ticket)[0]["hs_task_body"] == "Hi Dana, fixed as of today."


def test_the_cursor_moves_forward_with_what_was_seen(world: World) -> None:
    issue = world.issue()
    world.report(issue)
    world.move(issue)
    world.poll()
    assert (
        get_state(world.db, closing.CURSOR_KEY) == closing.issue_state(world.linear.get_issue(issue["id"])).updated_at
    )


def test_local_only_mode_stages_the_same_reply_in_the_db(db, settings) -> None:
    escalation_id = intake.create_escalation(
        db,
        {
            "message_id": "<local@acme.example>",
            "customer_name": "Dana Scully",
            "company": "Acme",
            "tier": "pro",
            "subject": "CSV export broken",
            "received_at": "2026-03-01T09:00:00+00:00",
            "status": "open",
        },
        [],
    )
    db["links"].insert(
        {
            "escalation_id": escalation_id,
            "linear_issue_id": "issue-1",
            "linear_identifier": "ENG-1",
            "linear_state": "Done",
            "linear_state_type": "completed",
            "updated_at": "2026-03-02T10:00:00+00:00",
        }
    )
    now = datetime(2026, 3, 2, 10, 5, tzinfo=timezone.utc)

    summary = closing.poll_and_stage(db, settings, None, None, now=now)
    closing.poll_and_stage(db, settings, None, None, now=now)

    assert summary.staged == [f"issue-1:local-{escalation_id}:2026-03-02T10:00:00+00:00"]
    [row] = list(db["staged_replies"].rows)
    assert row["status"] == "staged" and row["body"].startswith("Hi Dana,") and row["hubspot_task_id"] is None
    assert closing.timings([row]).done_to_staged == 300
    closing.mark_sent(db, settings, None, row["key"], now=now)
    assert store.reply(db, row["key"])["status"] == "sent"


def test_linear_being_down_keeps_the_cursor_for_the_next_pass(world: World) -> None:
    issue = world.issue()
    ticket = world.report(issue)
    world.move(issue)
    cursor = get_state(world.db, closing.CURSOR_KEY)
    world.lin.fail_next(1, 503)
    impatient = LinearClient(API_KEY, transport=httpx.MockTransport(world.lin.handler), max_retries=0)
    down = closing.poll_and_stage(world.db, world.settings, world.hubspot, impatient, now=world.now)
    assert down.failed and down.failed[0].startswith("linear:") and get_state(world.db, closing.CURSOR_KEY) == cursor
    assert world.tasks(ticket) == []
    world.tick()
    assert len(world.poll().staged) == 1 and len(world.tasks(ticket)) == 1


def test_without_a_team_key_each_linked_issue_is_read(world: World) -> None:
    world.settings = dataclasses.replace(world.settings, linear_team="")
    issue = world.issue()
    ticket = world.report(issue)
    world.move(issue)
    assert len(world.poll().staged) == 1 and len(world.tasks(ticket)) == 1


def test_the_workers_own_actions_are_in_the_audit_trail_as_the_worker(world: World) -> None:
    # issue 11: what the worker does when Linear moves an issue is recorded like a person's action.
    issue = world.issue()
    world.report(issue)
    world.move(issue)
    world.poll()
    world.tick()
    world.move(issue, "In Progress")
    world.poll()
    entries = list(reversed(audit.entries(world.db)))
    assert [(e["actor"], e["action"], e["target"].split(" ")[0]) for e in entries] == [
        ("worker", "escalation.done", "escalation"), ("worker", "reply.stage", "reply"),
        ("worker", "escalation.reopen", "escalation"), ("worker", "reply.withdraw", "reply")]
    assert entries[0]["target"] == "escalation #1"
    assert '"status": ["open", "done"]' in entries[0]["changes"]
    assert '"status": ["done", "open"]' in entries[2]["changes"]
