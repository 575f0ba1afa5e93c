"""Swap requests from Slack: /rotadesk swap asks, the asked engineer accepts or declines with buttons (issue 15)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timezone
from urllib.parse import urlencode

import pytest

from core.roster import Engineer
from core.rotation import RotationWeek
from core.store import audit, handovers, open_db
from core.store import rotation as rotation_store
from tests.support.slack import SIGNING_SECRET, make_slack_world

NOW = datetime(2026, 3, 3, 9, 30, tzinfo=timezone.utc)  # a Tuesday
THIS, NEXT = date(2026, 3, 2), date(2026, 3, 9)


@pytest.fixture
def world(settings):
    settings = replace(settings, slack_bot_token="xoxb-test-bot-token", slack_signing_secret=SIGNING_SECRET)
    db = open_db(settings.db, shared=True)
    w = make_slack_world(db, settings, NOW)
    w.double.add_user("U0ADA", "Ada Lovelace", "ada@ourco.com")
    w.double.add_user("U0BO", "Bo Chen", "bo@ourco.com")
    rotation_store.upsert_engineers(db, [Engineer("ada@ourco.com", "Ada Lovelace"), Engineer("bo@ourco.com", "Bo Chen"),
                                         Engineer("cy@ourco.com", "Cy Young")])  # Cy is not on Slack
    rotation_store.save_schedule(db, [RotationWeek(THIS, "ada@ourco.com", True),
                                      RotationWeek(NEXT, "bo@ourco.com", True)])
    w.db = db
    yield w
    w.executor.shutdown(wait=True)
    w.stop()
    db.close()


def ask(world, text="next Ada Lovelace my sister's wedding", user="U0BO"):
    response = world.command(f"swap {text}", user=user)
    world.executor.settle()
    return response


def asked_message(world, user="U0ADA"):
    (message,) = world.double.dm(user)
    return message


def click(world, action_id, user="U0ADA", message=None):
    message = message or asked_message(world)
    response = world.interaction(world.button_payload(message, "D0ADA", action_id, user))
    world.executor.settle()
    return response


def test_asking_sends_the_asked_engineer_accept_and_decline_and_changes_nothing_yet(world):
    response = ask(world)
    assert response.status == 200
    assert "Asking Ada Lovelace to take the week of 2026-03-09" in response.body
    (request,) = handovers.swap_requests(world.db)
    assert (request.week_start, request.from_email, request.to_email) == (NEXT, "bo@ourco.com", "ada@ourco.com")
    assert (request.requested_by, request.reason) == ("bo@ourco.com", "my sister's wedding")
    message = asked_message(world)
    assert "Bo Chen asks you to take the support week of Mon 09 Mar 2026 from Bo Chen" in message["text"]
    assert "wedding" in message["text"]
    buttons = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["swap_accept", "swap_decline"]
    assert rotation_store.effective_schedule(world.db)[1].engineer_email == "bo@ourco.com"


def test_accept_hands_the_week_over_updates_the_message_and_tells_the_asker(world):
    ask(world)
    assert click(world, "swap_accept").status == 200
    assert rotation_store.effective_schedule(world.db)[1].engineer_email == "ada@ourco.com"
    (override,) = rotation_store.list_overrides(world.db)
    assert (override.requested_by, override.decided_by, override.reason) == (
        "bo@ourco.com", "ada@ourco.com", "my sister's wedding")
    message = asked_message(world)
    assert message["text"] == "Accepted: the support week of Mon 09 Mar 2026 is yours."
    assert not any(b["type"] == "actions" for b in message["blocks"])  # no buttons left to press
    assert [m["text"] for m in world.double.dm("U0BO")] == [
        "Ada Lovelace accepted: the support week of Mon 09 Mar 2026 is theirs."]
    answered, asked = audit.entries(world.db)  # newest first
    assert (asked["actor"], asked["action"], asked["target"]) == (
        "bo@ourco.com", "rotation.ask_swap", "week 2026-03-09")
    assert json.loads(asked["changes"]) == {"asked": "ada@ourco.com", "requested_by": "bo@ourco.com",
                                            "reason": "my sister's wedding", "via": "slack"}
    assert (answered["actor"], answered["actor_name"], answered["action"]) == (
        "ada@ourco.com", "Ada Lovelace", "rotation.answer_swap")
    assert json.loads(answered["changes"]) == {"engineer": ["bo@ourco.com", "ada@ourco.com"], "answer": "accepted",
                                               "via": "slack"}


def test_decline_leaves_the_week_and_a_second_click_is_told_it_was_answered(world):
    ask(world)
    message = json.loads(json.dumps(asked_message(world)))  # as a Slack client still showing it has it
    click(world, "swap_decline", message=message)
    (request,) = handovers.swap_requests(world.db, status=None)
    assert (request.status, request.decided_by) == ("declined", "ada@ourco.com")
    assert rotation_store.list_overrides(world.db) == []
    assert [m["text"] for m in world.double.dm("U0BO")] == [
        "Ada Lovelace declined the support week of Mon 09 Mar 2026; it stays as planned."]
    click(world, "swap_accept", message=message)  # the old message's button, pressed again
    assert rotation_store.list_overrides(world.db) == []
    assert asked_message(world)["text"] == "That request was already declined."


def test_an_answer_given_on_the_calendar_page_first_is_respected(world):
    ask(world)
    (request,) = handovers.swap_requests(world.db)
    handovers.answer_swap(world.db, request.id, accept=True, decided_by="ada@ourco.com", now=NOW)
    click(world, "swap_accept")
    assert len(rotation_store.list_overrides(world.db)) == 1
    assert asked_message(world)["text"] == "That request was already accepted."


def test_only_the_asked_engineer_can_answer(world):
    ask(world)
    click(world, "swap_accept", user="U0SAM")
    assert handovers.swap_requests(world.db)[0].status == "open"
    assert world.double.dm("U0SAM")[0]["text"] == "Only Ada Lovelace can answer this swap request."


def test_an_unsigned_click_gets_401_and_changes_nothing(world):
    ask(world)
    payload = world.button_payload(asked_message(world), "D0ADA", "swap_accept", "U0ADA")
    body = urlencode({"payload": json.dumps(payload)})
    assert world.app.dispatch(body, world.sign(body, secret="not-the-secret")).status == 401
    world.executor.settle()
    assert handovers.swap_requests(world.db)[0].status == "open"


@pytest.mark.parametrize(("text", "expected"), [
    ("", "Say which week and whom to ask"),
    ("nextweek Ada", "'nextweek' is not a week"),
    ("2026-02-23 Ada", "The week of 2026-02-23 is over"),
    ("next Zed because", "'Zed' is not on the roster"),
])
def test_a_bad_command_is_answered_at_once_and_asks_nobody(world, text, expected):
    response = ask(world, text)
    assert expected in response.body
    assert handovers.swap_requests(world.db) == [] and world.double.dm("U0ADA") == []


def test_a_refused_request_and_an_engineer_without_slack_are_told_to_the_asker(world):
    ask(world, "next bo@ourco.com swap")  # Bo already has that week
    assert "The swap was not asked: bo@ourco.com already covers the week of 2026-03-09." in \
        world.double.dm("U0BO")[0]["text"]
    ask(world, "2026-03-11 cy@ourco.com can you?")  # any day of the week names it
    assert handovers.swap_requests(world.db)[0].to_email == "cy@ourco.com"
    assert "Cy Young has no Slack account under cy@ourco.com; they can answer on the Calendar page." == \
        world.double.dm("U0BO")[1]["text"]
