"""Linear webhooks feed the Linear -> HubSpot follow pass: a linked issue's state, assignee, priority and comments
for the customer reach its ticket at once, each change once even when a poll sees it too (issue 14)."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest

from core import follow
from core.store import follow as follow_store
from ingest.webhook import followed_issue, handle_delivery, signature
from tests.integration.test_follow import _linked, now
from tests.integration.test_linking import World, make_world

SECRET = "whsec-follow"


@pytest.fixture
def world(tmp_path) -> World:
    w = make_world(tmp_path, hubspot_stage_map="In Progress=3", linear_webhook_secret=SECRET)
    w.lin.clock = lambda: w.clock() + 1_772_400_000.0
    yield w
    w.db.close()


def issue_update(issue_id: str, at: datetime, **before: object) -> dict:
    return {"action": "update", "type": "Issue", "webhookTimestamp": int(at.timestamp() * 1000),
            "webhookId": "wh-1", "createdAt": at.isoformat(), "data": {"id": issue_id, "state": {"type": "started"}},
            "updatedFrom": {"updatedAt": "2026-01-01T00:00:00.000Z", **before}}


def deliver(world: World, body: dict, at: datetime, follow_to) -> object:
    raw = json.dumps(body).encode()
    headers = {"Linear-Signature": signature(SECRET, raw), "Linear-Delivery": "d", "Linear-Event": body["type"]}
    return handle_delivery(world.db, world.settings, headers, raw, now=at, act=lambda _i: None, follow=follow_to)


def inline(world: World, at: datetime):
    """What the receiver's background worker does, run here: read the issue again and follow it."""
    return lambda issue_id: follow.follow_issue(world.db, world.settings, world.hubspot, world.linear, issue_id,
                                                now=at)


@pytest.mark.parametrize(("body", "expected"), [
    ({"type": "Issue", "action": "update", "data": {"id": "i1"}, "updatedFrom": {"assigneeId": None}}, "i1"),
    ({"type": "Issue", "action": "update", "data": {"id": "i1"}, "updatedFrom": {"priority": 3}}, "i1"),
    ({"type": "Issue", "action": "update", "data": {"id": "i1"}, "updatedFrom": {"stateId": "s"}}, "i1"),
    ({"type": "Issue", "action": "update", "data": {"id": "i1"}, "updatedFrom": {"title": "old"}}, None),
    ({"type": "Issue", "action": "create", "data": {"id": "i1"}}, None),
    ({"type": "Comment", "action": "create", "data": {"id": "c1", "issueId": "i1", "body": "x"}}, "i1"),
    ({"type": "Comment", "action": "create", "data": {"id": "c1", "issue": {"id": "i2"}}}, "i2"),
    ({"type": "Comment", "action": "remove", "data": {"id": "c1", "issueId": "i1"}}, None),
    ({"type": "Issue", "action": "update", "data": "junk", "updatedFrom": {"stateId": "s"}}, None),
])
def test_which_deliveries_are_followed(body: dict, expected: str | None) -> None:
    assert followed_issue(body) == expected


def test_an_assignee_change_reaches_the_ticket_through_the_webhook_and_a_poll_writes_nothing_more(world) -> None:
    link = _linked(world)
    ticket = world.hub.records["tickets"][link["hubspot_ticket_id"]]["properties"]
    user = world.lin.add_user("Ada Lovelace", "ada@ourco.com")
    world.clock.advance(60)
    world.lin.issues[link["linear_issue_id"]].update(assigneeId=user["id"], priority=1.0,
                                                      updatedAt=world.lin.now())
    at = now(world)
    result = deliver(world, issue_update(link["linear_issue_id"], at, assigneeId=None), at, inline(world, at))
    assert result.status == 200 and result.issue_id == link["linear_issue_id"]
    assert (ticket["linear_issue_assignee"], ticket["linear_issue_priority"]) == ("Ada Lovelace", "Urgent")
    patches = len(world.hub.calls_to("PATCH", "/objects/tickets/"))
    world.clock.advance(30)
    assert not follow.follow_linear(world.db, world.settings, world.hubspot, world.linear, now=now(world))
    assert len(world.hub.calls_to("PATCH", "/objects/tickets/")) == patches  # the poll saw it: nothing new


def test_a_customer_comment_by_webhook_and_by_poll_is_one_note(world) -> None:
    link = _linked(world)
    world.clock.advance(60)
    comment = world.linear.create_comment(link["linear_issue_id"], "Customer note: fixed in 2.4.1.")
    at = now(world)
    body = {"action": "create", "type": "Comment", "webhookTimestamp": int(at.timestamp() * 1000),
            "webhookId": "wh-1", "createdAt": at.isoformat(),
            "data": {"id": comment.id, "issueId": link["linear_issue_id"], "body": "Customer note: fixed in 2.4.1."}}
    deliver(world, body, at, inline(world, at))
    world.clock.advance(30)
    follow.follow_linear(world.db, world.settings, world.hubspot, world.linear, now=now(world))
    notes = [world.hub.records["notes"][n]["properties"]["hs_note_body"]
             for n in world.hub.linked("tickets", link["hubspot_ticket_id"], "notes")]
    assert len([n for n in notes if "note for the customer" in n]) == 1


def test_an_unlinked_issue_is_not_followed(world) -> None:
    calls: list[str] = []
    at = now(world)
    result = deliver(world, issue_update("not-ours", at, assigneeId=None), at, calls.append)
    assert calls == [] and "ignored" in result.reason


def test_a_pass_holding_the_lease_keeps_the_other_off_until_it_is_done_or_lapses(world) -> None:
    link = _linked(world)
    ticket = world.hub.records["tickets"][link["hubspot_ticket_id"]]["properties"]
    world.clock.advance(60)
    world.lin.set_state(link["linear_issue_id"], "In Progress")
    at = now(world)
    key = f"lease:linear:{link['escalation_id']}"
    claim = follow_store.take_lease(world.db, key, at, 120)  # the poll, in another process, is writing it
    assert claim and follow_store.take_lease(world.db, key, at, 120) is None
    follow.follow_issue(world.db, world.settings, world.hubspot, world.linear, link["linear_issue_id"], now=at)
    assert ticket["linear_issue_state"] == "Triage"  # kept off while the other writes
    later = at + timedelta(seconds=121)  # that pass died: its lease lapses and the change is written once
    assert follow.follow_issue(world.db, world.settings, world.hubspot, world.linear, link["linear_issue_id"],
                               now=later).updated == 1
    assert ticket["linear_issue_state"] == "In Progress"


def test_two_connections_racing_for_one_lease_get_it_once(world) -> None:
    from core.store import open_db

    at = now(world)
    won: list[str | None] = []
    barrier = threading.Barrier(4)

    def race() -> None:
        conn = open_db(world.settings.db)
        barrier.wait()
        won.append(follow_store.take_lease(conn, "lease:race", at, 60))
        conn.close()

    threads = [threading.Thread(target=race) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([w for w in won if w]) == 1


def test_the_receiver_queues_follow_jobs_for_its_worker(world) -> None:
    from ingest.webhook import StagingWorker

    worker = StagingWorker(world.settings)  # not started: the queue is looked at directly
    worker.submit_follow("i1")
    worker.submit("i2")
    assert [worker.queue.get_nowait(), worker.queue.get_nowait()] == [("follow", "i1"), ("stage", "i2")]
