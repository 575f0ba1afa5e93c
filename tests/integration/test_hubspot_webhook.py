"""HubSpot webhooks: signature v3 checked, escalated tickets filed and changes followed at once (issue 14)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from core.settings import Settings
from ingest.hubspot_webhook import handle_delivery, route, run_action, signature_v3
from tests.integration.test_linking import NOW, World, make_world

SECRET, URL = "app-client-secret", "https://rotadesk.example.com/hubspot-webhook"


def _signed(body: bytes, at: datetime, uri: str = URL, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(at.timestamp() * 1000))
    digest = hmac.new(secret.encode(), b"POST" + uri.encode() + body + stamp.encode(), hashlib.sha256).digest()
    return {"X-HubSpot-Signature-v3": base64.b64encode(digest).decode(), "X-HubSpot-Request-Timestamp": stamp}


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(db=tmp_path / "t.db", data_dir=tmp_path / "data", hubspot_webhook_secret=SECRET,
                    hubspot_webhook_url=URL, hubspot_escalate_stage="3")


EVENTS = [
    {"eventId": 1, "subscriptionType": "ticket.propertyChange", "objectId": 501, "propertyName": "hs_pipeline_stage",
     "propertyValue": "3", "attemptNumber": 0},
    {"eventId": 2, "subscriptionType": "ticket.propertyChange", "objectId": 501, "propertyName": "hs_pipeline_stage",
     "propertyValue": "3", "attemptNumber": 1},  # HubSpot retries: the same change twice
    {"eventId": 3, "subscriptionType": "company.propertyChange", "objectId": 9, "propertyName": "tier",
     "propertyValue": "business"},
    {"eventId": 4, "subscriptionType": "ticket.propertyChange", "objectId": 502, "propertyName": "hs_pipeline_stage",
     "propertyValue": "2"},
]


def test_a_signed_delivery_queues_each_action_once(settings: Settings) -> None:
    body = json.dumps(EVENTS).encode()
    queued: list = []
    result = handle_delivery(settings, "POST", "/hubspot-webhook", _signed(body, NOW), body, now=NOW,
                             act=queued.append)
    assert result.status == 200 and queued == [("file", "501"), ("follow", "")]


@pytest.mark.parametrize("case", ["bad secret", "old", "future", "tampered", "no secret"])
def test_an_unverified_delivery_is_refused(settings: Settings, case: str) -> None:
    body = json.dumps(EVENTS).encode()
    headers = _signed(body, NOW, secret="other" if case == "bad secret" else SECRET)
    at = {"old": NOW + timedelta(minutes=6), "future": NOW - timedelta(minutes=6)}.get(case, NOW)
    sent = body.replace(b"501", b"666") if case == "tampered" else body
    used = replace(settings, hubspot_webhook_secret="") if case == "no secret" else settings
    queued: list = []
    assert handle_delivery(used, "POST", "/hubspot-webhook", headers, sent, now=at, act=queued.append).status == 401
    assert queued == []


def test_the_signed_uri_keeps_the_query_and_decodes_what_hubspot_decodes() -> None:
    plain = signature_v3(SECRET, "post", "https://h.test/x?a=b:c", b"[]", "1")
    assert plain == signature_v3(SECRET, "POST", "https://h.test/x?a=b%3Ac", b"[]", "1")
    assert plain != signature_v3(SECRET, "POST", "https://h.test/x?a=b", b"[]", "1")


def test_an_event_for_another_stage_only_follows(settings: Settings) -> None:
    assert route(settings, [EVENTS[3], "junk", {"subscriptionType": "deal.creation"}]) == (("follow", ""),)


def test_queued_actions_file_the_ticket_once(tmp_path) -> None:
    world: World = make_world(tmp_path, hubspot_escalate_stage="3")
    contact = next(iter(world.hub.records["contacts"]))
    ticket_id = world.hub.add_ticket("Wrong VAT", stage="3", contact_id=contact, content="19 % instead of 7 %.")
    at = datetime.fromtimestamp(NOW.timestamp(), timezone.utc)
    for action in route(world.settings, [{**EVENTS[0], "objectId": int(ticket_id)}] * 2) * 2:
        run_action(world.db, world.settings, world.hubspot, world.linear, action, now=at)
    assert len(list(world.db.query("select id from escalations"))) == 1
    world.db.close()
