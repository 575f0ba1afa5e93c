"""Linear webhooks: verification, de-duplication, routing, races with polling, and the HTTP server."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading

import httpx
import pytest

from core import closing
from core.store import replies as store
from ingest.webhook import build_server, handle_delivery, signature, state_change
from tests.integration.test_closing_loop import World
from tests.support.clock import APP_NOW, clock_at

SECRET = "whsec-test-secret"


@pytest.fixture
def world(db, settings) -> World:
    w = World(db, settings)
    w.settings = dataclasses.replace(w.settings, linear_webhook_secret=SECRET)
    w.poll()
    w.tick()
    return w


def payload(issue: dict, state_type: str, *, ms: float, action: str = "update", kind: str = "Issue") -> dict:
    return {
        "action": action,
        "type": kind,
        "webhookTimestamp": int(ms),
        "url": "https://linear.app/acme/issue/x",
        "data": {
            "id": issue["id"],
            "identifier": issue.get("identifier"),
            "state": {"id": "s", "name": "Done", "type": state_type},
        },
        "updatedFrom": {"stateId": "old-state", "updatedAt": "2026-01-01T00:00:00.000Z"},
    }


def signed(body: dict | bytes, delivery: str = "d-1", secret: str = SECRET) -> tuple[dict[str, str], bytes]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return {"Linear-Signature": signature(secret, raw), "Linear-Delivery": delivery, "Linear-Event": "Issue"}, raw


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, issue_id: str) -> None:
        self.calls.append(issue_id)


def deliver(world: World, headers: dict[str, str], raw: bytes, act) -> object:
    return handle_delivery(world.db, world.settings, headers, raw, now=world.now, act=act)


def staging_act(world: World):
    """What the server's background worker does, run inline: re-read the issue and stage."""
    return lambda issue_id: closing.stage_for_issue(
        world.db, world.settings, world.hubspot, world.linear, issue_id, now=world.now
    )


def done_issue(world: World) -> tuple[dict, str]:
    issue = world.issue()
    ticket = world.report(issue)
    world.lin.set_state(issue["id"], "Done")
    world.tick()
    return issue, ticket


def test_a_signed_move_to_done_is_handed_on(world: World) -> None:
    issue, _ = done_issue(world)
    act = Recorder()
    result = deliver(world, *signed(payload(issue, "completed", ms=world.clock.now * 1000)), act)
    assert (result.status, result.issue_id, act.calls) == (200, issue["id"], [issue["id"]])
    assert store.deliveries(world.db)[0]["outcome"].startswith("queued")


@pytest.mark.parametrize(
    ("mutate", "status", "reason"),
    [
        (lambda h, raw: ({**h, "Linear-Signature": "0" * 64}, raw), 401, "bad signature"),
        (lambda h, raw: ({k: v for k, v in h.items() if k != "Linear-Signature"}, raw), 401, "bad signature"),
        (lambda h, raw: (h, raw + b" "), 401, "bad signature"),
    ],
)
def test_a_bad_signature_changes_nothing(world: World, caplog, mutate, status, reason) -> None:
    issue, ticket = done_issue(world)
    headers, raw = mutate(*signed(payload(issue, "completed", ms=world.clock.now * 1000)))
    act = Recorder()
    with caplog.at_level(logging.WARNING, logger="ingest.webhook"):
        result = deliver(world, headers, raw, act)
    assert (result.status, result.reason) == (status, reason) and act.calls == []
    assert store.deliveries(world.db) == [] and world.tasks(ticket) == []
    assert reason in caplog.text


@pytest.mark.parametrize("offset_ms", [-61_000, 61_000, -3_600_000])
def test_a_timestamp_more_than_a_minute_away_is_refused(world: World, caplog, offset_ms: int) -> None:
    issue, _ = done_issue(world)
    act = Recorder()
    with caplog.at_level(logging.WARNING, logger="ingest.webhook"):
        result = deliver(world, *signed(payload(issue, "completed", ms=world.clock.now * 1000 + offset_ms)), act)
    assert result.status == 401 and "60 s" in result.reason and act.calls == []
    assert store.deliveries(world.db) == [] and "60 s" in caplog.text


def test_a_timestamp_within_the_minute_is_accepted(world: World) -> None:
    issue, _ = done_issue(world)
    act = Recorder()
    assert deliver(world, *signed(payload(issue, "completed", ms=world.clock.now * 1000 - 59_000)), act).status == 200
    assert act.calls == [issue["id"]]


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"type": "Issue"}'])
def test_malformed_bodies_are_answered_400(world: World, caplog, raw: bytes) -> None:
    act = Recorder()
    with caplog.at_level(logging.WARNING, logger="ingest.webhook"):
        result = deliver(world, *signed(raw), act)
    assert result.status == 400 and act.calls == [] and store.deliveries(world.db) == []
    assert result.reason in caplog.text


def test_an_unknown_issue_changes_nothing(world: World, caplog) -> None:
    stranger = world.lin.add_issue("Not linked to anything", state_name="Done")
    act = Recorder()
    with caplog.at_level(logging.INFO, logger="ingest.webhook"):
        result = deliver(world, *signed(payload(stranger, "completed", ms=world.clock.now * 1000)), act)
    assert result.status == 200 and "unknown issue" in result.reason and act.calls == []
    assert list(world.db["staged_replies"].rows) == [] and "unknown issue" in caplog.text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"type": "Comment", "action": "create", "data": {"id": "c"}}, None),
        (
            {
                "type": "Issue",
                "action": "update",
                "data": {"id": "i", "state": {"type": "completed"}},
                "updatedFrom": {"title": "x"},
            },
            None,
        ),
        ({"type": "Issue", "action": "remove", "data": {"id": "i"}, "updatedFrom": {"stateId": "s"}}, None),
        (
            {
                "type": "Issue",
                "action": "update",
                "data": {"id": "i", "state": {"type": "canceled"}},
                "updatedFrom": {"stateId": "s"},
            },
            ("i", "canceled"),
        ),
    ],
)
def test_only_state_changes_of_issues_count(body: dict, expected) -> None:
    assert state_change(body) == expected


def test_a_redelivery_is_dropped(world: World) -> None:
    issue, ticket = done_issue(world)
    act = Recorder()
    headers, raw = signed(payload(issue, "completed", ms=world.clock.now * 1000), delivery="same-id")
    first = deliver(world, headers, raw, staging_act(world))
    second = deliver(world, headers, raw, act)
    assert first.status == second.status == 200 and "repeated" in second.reason and act.calls == []
    assert len(world.tasks(ticket)) == 1


def test_the_same_change_sent_twice_under_new_ids_stages_once(world: World) -> None:
    issue, ticket = done_issue(world)
    for delivery in ("d-1", "d-2"):
        deliver(
            world,
            *signed(payload(issue, "completed", ms=world.clock.now * 1000), delivery=delivery),
            staging_act(world),
        )
    assert len(world.tasks(ticket)) == 1
    assert [r["status"] for r in store.replies_for_issue(world.db, issue["id"])] == ["staged"]


def test_webhook_and_poll_seeing_the_same_change_stage_once(world: World) -> None:
    issue, ticket = done_issue(world)
    deliver(world, *signed(payload(issue, "completed", ms=world.clock.now * 1000)), staging_act(world))
    world.tick()
    polled = world.poll()
    assert polled.staged == [] and len(world.tasks(ticket)) == 1


def test_moving_back_out_of_done_withdraws_through_the_webhook(world: World) -> None:
    issue, ticket = done_issue(world)
    deliver(world, *signed(payload(issue, "completed", ms=world.clock.now * 1000), delivery="d-1"), staging_act(world))
    world.lin.set_state(issue["id"], "In Progress")
    world.tick()
    result = deliver(
        world, *signed(payload(issue, "started", ms=world.clock.now * 1000), delivery="d-2"), staging_act(world)
    )
    assert result.issue_id == issue["id"]
    assert world.tasks(ticket)[0]["hs_task_status"] == "COMPLETED" and world.stage(ticket) == "1"
    assert store.replies_for_issue(world.db, issue["id"])[0]["status"] == "withdrawn"


def test_a_state_change_with_nothing_staged_and_not_closing_is_ignored(world: World) -> None:
    issue = world.issue()
    world.report(issue)
    act = Recorder()
    result = deliver(world, *signed(payload(issue, "started", ms=world.clock.now * 1000)), act)
    assert result.status == 200 and "ignored" in result.reason and act.calls == []


def test_the_server_answers_before_the_work_is_done(world: World) -> None:
    import time

    issue, _ = done_issue(world)
    release, queued = threading.Event(), []

    def slow_act(issue_id: str) -> None:  # the real server only enqueues; the work happens later
        queued.append(issue_id)
        threading.Thread(target=release.wait, daemon=True).start()

    with clock_at(APP_NOW) as now:  # the live server checks the delivery's timestamp against its process clock
        server = build_server(world.settings, "127.0.0.1", 0, act=slow_act)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_address[1]}/linear-webhook"
        try:
            headers, raw = signed(payload(issue, "completed", ms=now.timestamp() * 1000), delivery="live-1")
            started = time.monotonic()
            answer = httpx.post(url, content=raw, headers=headers, timeout=5)
            assert answer.status_code == 200 and time.monotonic() - started < 5
            assert queued == [issue["id"]]
            forged = httpx.post(url, content=raw, headers={**headers, "Linear-Signature": "00"}, timeout=5)
            assert forged.status_code == 401 and forged.text == "bad signature"
            assert (
                httpx.post(url, content=b"{oops", headers=signed(b"{oops", delivery="live-2")[0], timeout=5).status_code
                == 400
            )
        finally:
            release.set()
            server.shutdown()
            server.server_close()
            server.db.close()


def test_without_a_secret_every_delivery_is_refused(world: World) -> None:
    issue, _ = done_issue(world)
    world.settings = dataclasses.replace(world.settings, linear_webhook_secret="")
    act = Recorder()
    result = deliver(world, *signed(payload(issue, "completed", ms=world.clock.now * 1000), secret=""), act)
    assert result.status == 401 and act.calls == []


# Issue 17: the receiver bounds what it reads, how long it waits and which deliveries count as new.
@pytest.mark.parametrize("offset_ms", [50_000, 6_000])
def test_a_timestamp_from_the_future_is_refused(world: World, offset_ms: int) -> None:
    issue, _ = done_issue(world)
    act = Recorder()
    result = deliver(world, *signed(payload(issue, "completed", ms=world.clock.now * 1000 + offset_ms)), act)
    assert result.status == 401 and "ahead" in result.reason and act.calls == []


def test_a_replay_under_a_new_delivery_header_is_dropped(world: World) -> None:
    issue, _ = done_issue(world)
    body = {**payload(issue, "completed", ms=world.clock.now * 1000), "webhookId": "wh-1",
            "createdAt": "2026-11-27T09:00:00.000Z"}
    act = Recorder()
    first = deliver(world, *signed(body, delivery="d-1"), act)
    again = deliver(world, *signed(body, delivery="d-forged"), act)
    assert first.status == again.status == 200 and "repeated" in again.reason and act.calls == [issue["id"]]
    assert [d["delivery_id"] for d in store.deliveries(world.db)] == [f"wh-1:2026-11-27T09:00:00.000Z:{issue['id']}"]


def test_the_same_issue_changing_again_is_a_new_delivery(world: World) -> None:
    issue, _ = done_issue(world)
    act = Recorder()
    for created in ("2026-11-27T09:00:00.000Z", "2026-11-27T09:05:00.000Z"):
        body = {**payload(issue, "completed", ms=world.clock.now * 1000), "webhookId": "wh-1", "createdAt": created}
        assert "queued" in deliver(world, *signed(body), act).reason
    assert act.calls == [issue["id"]] * 2


@pytest.fixture
def live(world: World, monkeypatch):
    import ingest.webhook as webhook

    monkeypatch.setattr(webhook, "SOCKET_TIMEOUT_SECONDS", 0.5)
    server = build_server(world.settings, "127.0.0.1", 0, act=lambda issue_id: None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    server.db.close()


def raw_request(port: int, head: bytes, *, wait: float = 5.0) -> bytes:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(head)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


@pytest.mark.parametrize(("length", "status"), [
    (None, b"411"), (b"-1", b"400"), (b"abc", b"400"), (b"1e3", b"400"), (b"2000000", b"413"),
])
def test_bad_lengths_are_refused_before_any_body_is_read(live, length, status) -> None:
    head = b"POST /linear-webhook HTTP/1.1\r\nHost: x\r\n"
    if length is not None:
        head += b"Content-Length: " + length + b"\r\n"
    # The body that follows is never read: the answer comes at once and the connection is closed.
    answer = raw_request(live, head + b"\r\n" + b"x" * 10_000)
    assert answer.split(b" ")[1] == status


def test_an_idle_client_is_disconnected(live) -> None:
    import time

    started = time.monotonic()
    answer = raw_request(live, b"POST /linear-webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{", wait=10)
    assert answer == b"" and time.monotonic() - started < 5  # dropped after the 0.5 s socket timeout
