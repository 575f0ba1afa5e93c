"""The boundary guard against the Linear double: the engineer's non-escalation work read, stored, told (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from core import boundary_sync
from core.linear import LinearClient
from core.store import boundary as store
from core.store import slack as slack_store
from tests.doubles.hubspot import FakeClock
from tests.doubles.linear import API_KEY, LinearDouble

WEEK_START = datetime(2026, 11, 16, tzinfo=timezone.utc)  # a Monday; the team works in UTC here
PREVIOUS = WEEK_START - timedelta(days=7)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=(PREVIOUS - timedelta(days=3)).timestamp())


@pytest.fixture
def double(clock: FakeClock) -> LinearDouble:
    return LinearDouble(clock=clock)


@pytest.fixture
def client(double: LinearDouble, clock: FakeClock) -> Iterator[LinearClient]:
    with LinearClient(API_KEY, transport=httpx.MockTransport(double.handler), sleep=clock.sleep, clock=clock) as c:
        yield c


def at(clock: FakeClock, moment: datetime) -> None:
    clock.now = moment.timestamp()


def seed_rotation(db, double: LinearDouble) -> tuple[dict, dict]:
    ada, bo = double.add_user("Ada Lovelace", "ada@ourco.com"), double.add_user("Bo Chen", "bo@ourco.com")
    db["engineers"].insert_all([{"email": "ada@ourco.com", "name": "Ada", "active": 1},
                                {"email": "bo@ourco.com", "name": "Bo", "active": 1}], pk="email")
    db["rotation_weeks"].insert_all([{"week_start": PREVIOUS.date().isoformat(), "engineer_email": "bo@ourco.com"},
                                     {"week_start": WEEK_START.date().isoformat(), "engineer_email": "ada@ourco.com"},
                                     {"week_start": (WEEK_START + timedelta(days=7)).date().isoformat(),
                                      "engineer_email": "bo@ourco.com"}], pk="week_start")
    return ada, bo


def test_the_client_reads_an_assignees_issues_with_their_comments_and_moves(client, double, clock) -> None:
    ada = double.add_user("Ada Lovelace", "ada@ourco.com")
    pm = double.add_user("Pat Manager", "pat@ourco.com")
    feature = double.add_issue("Dark mode", state_name="Todo", assigneeId=ada["id"])
    other = double.add_issue("Not hers", state_name="Todo", assigneeId=pm["id"])
    at(clock, WEEK_START + timedelta(days=1))
    double.set_state(feature["id"], "In Progress", actor_id=ada["id"])
    double.add_comment(feature["id"], "Picking this up", user_id=ada["id"])
    double.add_comment(feature["id"], "Any news?", user_id=pm["id"])
    double.set_state(other["id"], "In Progress", actor_id=pm["id"])
    (found,) = client.assigned_activity(ada["id"], WEEK_START)
    assert (found.identifier, found.state_type, found.started_at) == (
        feature["identifier"], "started", WEEK_START + timedelta(days=1))
    assert len(found.comment_times) == 1  # only her own comment
    assert [(actor, state) for _, actor, state in found.moves] == [(ada["id"], "In Progress")]
    assert double.operations()[-1] == "AssignedActivity"


def test_the_check_stores_each_weeks_breaches_once_and_tells_the_manager(db, settings, client, double,
                                                                          clock) -> None:
    settings = replace(settings, boundary_notify_slack="U0MANAGER", slack_bot_token="xoxb-test",
                       slack_signing_secret="s3cret")
    ada, bo = seed_rotation(db, double)
    bos_feature = double.add_issue("Billing export v2", state_name="Todo", assigneeId=bo["id"])
    adas_feature = double.add_issue("Dark mode", state_name="Todo", assigneeId=ada["id"])
    escalation = double.add_issue("Acme cannot log in", state_name="Todo", assigneeId=ada["id"])
    untouched = double.add_issue("Someday", state_name="Backlog", assigneeId=ada["id"])
    db["escalations"].insert({"id": 1, "message_id": "<1@acme>", "received_at": WEEK_START.isoformat()}, pk="id")
    db["links"].insert({"escalation_id": 1, "linear_issue_id": escalation["id"]}, pk="escalation_id")

    at(clock, PREVIOUS + timedelta(days=2))  # Bo's week: he comments on his feature work
    double.add_comment(bos_feature["id"], "Draft PR up", user_id=bo["id"])
    at(clock, WEEK_START + timedelta(days=1))  # Ada's week: her feature moves on, and so does the escalation
    double.set_state(adas_feature["id"], "In Progress", actor_id=ada["id"])
    double.set_state(escalation["id"], "In Progress", actor_id=ada["id"])
    now = WEEK_START + timedelta(days=2)
    at(clock, now)

    summary = boundary_sync.check(db, settings, client, now)
    assert summary == "2 breaches in 2 weeks (2 new)"
    rows = store.breach_rows(db)
    assert [(r["week_start"], r["engineer_email"], r["identifier"], r["reasons"]) for r in rows] == [
        ("2026-11-09", "bo@ourco.com", bos_feature["identifier"], "commented"),
        ("2026-11-16", "ada@ourco.com", adas_feature["identifier"], "in progress, moved")]
    assert untouched["identifier"] not in {r["identifier"] for r in rows}
    posts = slack_store.posts(db)
    assert [(p["key"], p["channel"]) for p in posts] == [("boundary:2026-11-09:1", "U0MANAGER"),
                                                         ("boundary:2026-11-16:1", "U0MANAGER")]
    assert "Dark mode (in progress, moved)" in posts[1]["text"]

    # Within 15 minutes the worker's next cycles do not read Linear again; after that, nothing is doubled.
    calls = client.calls
    assert boundary_sync.check(db, settings, client, now + timedelta(minutes=5)) == ""
    assert client.calls == calls
    assert boundary_sync.check(db, settings, client, now + timedelta(minutes=20)) == ""
    assert client.calls > calls
    assert len(store.breach_rows(db)) == 2 and len(slack_store.posts(db)) == 2
    assert store.breach_rows(db)[1]["found_at"] == now.isoformat(timespec="seconds")

    # Linking the feature to an escalation later makes it the queue's work after all.
    db["escalations"].insert({"id": 2, "message_id": "<2@acme>", "received_at": now.isoformat()}, pk="id")
    db["links"].insert({"escalation_id": 2, "linear_issue_id": adas_feature["id"]}, pk="escalation_id")
    boundary_sync.check(db, settings, client, now + timedelta(hours=1))
    assert [r["identifier"] for r in store.breach_rows(db)] == [bos_feature["identifier"]]


def test_without_the_setting_nobody_is_told_and_an_engineer_not_in_linear_is_skipped(db, settings, client,
                                                                                     double, clock) -> None:
    ada, _ = seed_rotation(db, double)
    double.users.pop(next(u for u in double.users if double.users[u]["email"] == "bo@ourco.com"))
    feature = double.add_issue("Dark mode", state_name="In Progress", assigneeId=ada["id"])
    now = WEEK_START + timedelta(days=3)
    at(clock, now)
    assert boundary_sync.check(db, settings, client, now) == "1 breach in 1 week (1 new)"
    assert [r["identifier"] for r in store.breach_rows(db)] == [feature["identifier"]]
    assert slack_store.posts(db) == []
