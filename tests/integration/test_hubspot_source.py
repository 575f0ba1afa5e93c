"""HubSpot as a source: a ticket moved to the escalate stage becomes one escalation on that ticket (issue 14)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.store import intake as intake_store
from core.store import links as store
from ingest.hubspot_source import file_ticket, poll_escalated
from tests.integration.test_linking import NOW, World, make_world


@pytest.fixture
def world(tmp_path) -> World:
    w = make_world(tmp_path, hubspot_escalate_stage="3")
    w.hub.search_delay = 5.0
    yield w
    w.db.close()


def now(world: World) -> datetime:
    return datetime.fromtimestamp(NOW.timestamp() + world.clock() - 1000.0, timezone.utc)


def _escalated_ticket(world: World) -> str:
    contact = next(iter(world.hub.records["contacts"]))
    ticket_id = world.hub.add_ticket("Invoices show the wrong VAT", contact_id=contact, company_id=world.company_id,
                                     content="Since Monday every invoice shows 19 % instead of 7 %.")
    world.clock.advance(60)
    world.hub.touch("tickets", ticket_id, {"hs_pipeline_stage": "3"})  # support escalates it
    world.clock.advance(10)  # past the search lag
    return ticket_id


def test_an_escalated_ticket_becomes_one_escalation_linked_to_that_ticket(world: World) -> None:
    ticket_id = _escalated_ticket(world)
    summary = poll_escalated(world.db, world.settings, world.hubspot, now=now(world))
    assert summary.filed == 1 and not summary.skipped
    (esc,) = [intake_store.escalation(world.db, r["id"]) for r in world.db.query("select id from escalations")]
    assert (esc["customer_address"], esc["subject"]) == ("jane@acme.com", "Invoices show the wrong VAT")
    assert esc["body"].startswith("Since Monday every invoice") and esc["note"].startswith("Reported from HubSpot")
    assert world.sync(now(world), workers=1).linked == 1
    assert list(world.hub.records["tickets"]) == [ticket_id]  # no second ticket
    ticket = world.hub.records["tickets"][ticket_id]["properties"]
    (issue,) = world.lin.issues.values()
    assert ticket["linear_issue_identifier"] == issue["identifier"] and ticket["rotadesk_message_id"]
    assert store.link(world.db, esc["id"])["hubspot_ticket_id"] == ticket_id
    assert world.hub.linked("tickets", ticket_id, "emails") == []  # its conversation is on it already
    assert "Acme Corp" in issue["description"] and "Invoices show the wrong VAT" in issue["title"]
    world.clock.advance(60)
    assert not poll_escalated(world.db, world.settings, world.hubspot, now=now(world))  # linked: not filed again


def test_filing_the_same_ticket_twice_files_it_once(world: World) -> None:
    ticket_id = _escalated_ticket(world)
    assert file_ticket(world.db, world.settings, world.hubspot, ticket_id, now=now(world))
    assert not file_ticket(world.db, world.settings, world.hubspot, ticket_id, now=now(world))  # a crash's repeat
    assert len(list(world.db.query("select id from escalations"))) == 1


def test_a_ticket_without_a_contact_is_left_alone(world: World) -> None:
    ticket_id = world.hub.add_ticket("No contact", content="x")
    world.clock.advance(60)
    world.hub.touch("tickets", ticket_id, {"hs_pipeline_stage": "3"})
    world.clock.advance(10)
    assert not poll_escalated(world.db, world.settings, world.hubspot, now=now(world)).filed
    assert not list(world.db.query("select id from escalations"))


def test_nothing_is_polled_when_the_stage_is_not_set(tmp_path) -> None:
    w = make_world(tmp_path)
    before = len(w.hub.requests)
    assert not poll_escalated(w.db, w.settings, w.hubspot, now=NOW)
    assert len(w.hub.requests) == before
    w.db.close()
