"""An email longer than HubSpot's property limit is logged cut, with its full text attached (issue 14).

Before, such an email failed on every retry (HubSpot refuses a property over 65,536 characters) and its ticket
never got its link note.
"""

from __future__ import annotations

import httpx
import pytest

from core import context as cx
from core import linking
from core.longtext import PROPERTY_LIMIT
from core.store import intake as intake_store
from core.store import links as store
from tests.doubles.hubspot import TOKEN, HubSpotDouble
from tests.integration.test_linking import NOW, World, make_world

LONG = "The export fails with this trace:\n" + "at com.example.Export.run(Export.java:42) & <more>\n" * 4_000


@pytest.fixture
def world(tmp_path) -> World:
    w = make_world(tmp_path)
    yield w
    w.db.close()


def _email(world: World, ticket_id: str) -> dict:
    (email_id,) = world.hub.linked("tickets", ticket_id, "emails")
    return world.hub.records["emails"][email_id]["properties"]


def test_a_long_email_is_logged_cut_with_the_full_text_attached(world: World) -> None:
    eid = world.escalation(body=LONG)
    assert len(LONG) > 3 * PROPERTY_LIMIT
    assert world.link(eid).status == "linked"
    ticket_id = store.link(world.db, eid)["hubspot_ticket_id"]
    email = _email(world, ticket_id)
    ref = cx.ref_for("<m1@acme.com>")
    assert len(email["hs_email_text"]) <= PROPERTY_LIMIT and email["hs_email_text"].endswith(f"Rotadesk ref: {ref}")
    assert f"characters shown. The full message is attached as email-{ref}.txt.]" in email["hs_email_text"]
    (file_id,) = email["hs_attachment_ids"].split(";")
    files = world.hub.file_manager
    assert files.files[file_id]["path"] == f"/rotadesk/messages/email-{ref}.txt"
    assert files.files[file_id]["access"] == "PRIVATE"
    assert files.content[file_id].decode() == cx.email_log_text(intake_store.escalation(world.db, eid))
    content = world.hub.records["tickets"][ticket_id]["properties"]["content"]
    assert len(content) <= PROPERTY_LIMIT and "the email logged on this ticket" in content
    assert len(world.hub.linked("tickets", ticket_id, "notes")) == 1  # the link note follows


def test_a_short_email_carries_no_attachment(world: World) -> None:
    eid = world.escalation()
    world.link(eid)
    email = _email(world, store.link(world.db, eid)["hubspot_ticket_id"])
    assert not email.get("hs_attachment_ids") and "cut by Rotadesk" not in email["hs_email_text"]
    assert world.hub.file_manager.files == {}


@pytest.mark.parametrize("lost", ["/files/v3/files", "/objects/emails"])
def test_a_lost_upload_or_log_answer_gives_one_file_and_one_email(world: World, lost: str) -> None:
    dropped = []

    def lose_answer(request: httpx.Request) -> httpx.Response:
        response = world.hub.handler(request)
        if request.method == "POST" and request.url.path.endswith(lost) and not dropped:
            dropped.append(request)
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    world.hub_route = lose_answer
    eid = world.escalation(body=LONG)
    assert world.link(eid).status == "linked" and dropped  # found again in the same pass
    ticket_id = store.link(world.db, eid)["hubspot_ticket_id"]
    assert len(world.hub.linked("tickets", ticket_id, "emails")) == 1
    assert len(world.hub.file_manager.files) == 1
    stats = world.hub.calls_to("GET", "/files/v3/files/stat/rotadesk/messages/")
    assert bool(stats) == (lost == "/files/v3/files")  # a lost upload is found by the path it carried


def test_a_long_follow_up_is_noted_cut_with_its_full_text_attached(world: World) -> None:
    eid = world.escalation()
    world.link(eid)
    intake_store.add_followup(world.db, {"message_id": "<f1@acme.com>", "escalation_id": eid,
                                         "sender": "jane@acme.com", "received_at": NOW.isoformat(), "body": LONG})
    result = linking.link_followup(world.db, world.settings, world.hubspot, world.linear, "<f1@acme.com>",
                                   now=NOW)
    assert result.status == "linked"
    ticket_id = store.link(world.db, eid)["hubspot_ticket_id"]
    notes = [world.hub.records["notes"][n]["properties"] for n in world.hub.linked("tickets", ticket_id, "notes")]
    (followup,) = [n for n in notes if "Follow-up" in n["hs_note_body"]]
    ref = cx.ref_for("<f1@acme.com>")
    assert len(followup["hs_note_body"]) <= PROPERTY_LIMIT
    assert followup["hs_note_body"].endswith(f"<p>Rotadesk ref: {ref}</p>")
    (file_id,) = followup["hs_attachment_ids"].split(";")
    assert world.hub.file_manager.content[file_id].decode() == LONG.strip()


def test_the_double_refuses_a_property_over_the_limit() -> None:
    hub = HubSpotDouble(search_delay=0.0)
    ticket = hub.add_ticket("t")
    client = httpx.Client(transport=httpx.MockTransport(hub.handler), base_url="https://api.hubapi.com",
                          headers={"Authorization": f"Bearer {TOKEN}"})
    body = {"properties": {"hs_timestamp": "1", "hs_email_text": "x" * (PROPERTY_LIMIT + 1)},
            "associations": [{"to": {"id": ticket}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                                "associationTypeId": 224}]}]}
    answer = client.post("/crm/v3/objects/emails", json=body)
    assert answer.status_code == 400 and "INVALID_LENGTH" in answer.text
