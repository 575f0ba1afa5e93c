"""With warm caches a new escalation costs at most 5 HubSpot calls and 4 Linear calls; a new customer (a contact and
a company never seen) at most 5 HubSpot calls, a known one at most 4."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.roster import Engineer
from core.rotation import RotationWeek
from core.store import rotation as rotation_store
from tests.integration.test_linking import NOW, World, make_world, store

HUBSPOT_BUDGET, LINEAR_BUDGET = 5, 4
NEW_CUSTOMER_BUDGET, KNOWN_CUSTOMER_BUDGET = 5, 4


def test_a_warm_escalation_fits_the_call_budget(tmp_path) -> None:
    world: World = make_world(tmp_path)
    world.hub.add_contact("bob@acme.com", "Bob", "Ray")
    world.link(world.escalation(1))  # warms team, states, labels, portal, pipelines and the acme.com company
    hub_before, lin_before = len(world.hub.requests), len(world.lin.requests)
    calls_before = world.hubspot.calls, world.linear.calls

    result = world.link(world.escalation(2, email="bob@acme.com", name="Bob Ray", subject="Another bug"))

    assert result.status == "linked"
    hub_calls = [f"{r.method} {r.path}" for r in world.hub.requests[hub_before:]]
    lin_calls = world.lin.operations()[lin_before:]
    assert len(hub_calls) <= HUBSPOT_BUDGET, hub_calls
    assert len(lin_calls) <= LINEAR_BUDGET, lin_calls
    assert (world.hubspot.calls - calls_before[0], world.linear.calls - calls_before[1]) == (
        len(hub_calls),
        len(lin_calls),
    )
    assert sorted(lin_calls) == ["AttachmentCreate", "CustomerNeedCreate", "CustomerUpsert", "IssueCreate"]
    assert store.link(world.db, 2)["linear_attachment_id"] and len(world.hub.records["tickets"]) == 2


def test_a_repeat_customer_costs_one_search_less(tmp_path) -> None:
    world = make_world(tmp_path)
    world.link(world.escalation(1))
    before = len(world.hub.requests)
    world.link(world.escalation(2, subject="Second bug from Jane"))
    paths = [r.path for r in world.hub.requests[before:]]
    assert not any(p.endswith("contacts/search") for p in paths)  # the contact id is cached
    assert len(paths) == HUBSPOT_BUDGET - 1


@pytest.mark.parametrize("has_linear_account", [True, False])
def test_routing_to_the_engineer_on_support_stays_in_budget(tmp_path, has_linear_account: bool) -> None:
    world = make_world(tmp_path)
    if has_linear_account:
        world.lin.add_user("Ada Lovelace", "ada@ourco.com")
    rotation_store.upsert_engineers(world.db, [Engineer("ada@ourco.com", "Ada Lovelace")])
    monday = NOW.date() - timedelta(days=NOW.weekday())
    rotation_store.save_schedule(world.db, [RotationWeek(monday, "ada@ourco.com")])
    world.link(world.escalation(1))  # the first one looks Ada up in Linear
    lin_before = len(world.lin.requests)
    world.link(world.escalation(2, subject="Another bug"))
    assert len(world.lin.operations()[lin_before:]) <= LINEAR_BUDGET
    assert "UserByEmail" not in world.lin.operations()[lin_before:]


def test_a_new_customer_costs_at_most_five_hubspot_calls(tmp_path) -> None:
    world = make_world(tmp_path)
    world.link(world.escalation(1))  # warms portal, pipelines and owners, which a running worker holds
    globex = world.hub.add_company("globex.com", "Globex", tier="business", revenue=40_000)
    before = len(world.hub.requests)

    result = world.link(world.escalation(2, email="hank@globex.com", name="Hank Scorpio", subject="Crash"))

    assert result.status == "linked"
    calls = [f"{r.method} {r.path}" for r in world.hub.requests[before:]]
    assert len(calls) <= NEW_CUSTOMER_BUDGET, calls
    assert not any(c.endswith("tickets/search") for c in calls), calls  # a contact made just now has no tickets
    assert [c for c in calls if "contacts" in c] == ["POST /crm/v3/objects/contacts/batch/upsert"]
    hank = [r for r in world.hub.records["contacts"].values() if r["properties"]["email"] == "hank@globex.com"]
    assert [(h["properties"]["firstname"], h["properties"]["lastname"]) for h in hank] == [("Hank", "Scorpio")]
    ticket_id = store.link(world.db, 2)["hubspot_ticket_id"]
    assert world.hub.linked("tickets", ticket_id, "contacts") == [hank[0]["id"]]
    assert world.hub.linked("tickets", ticket_id, "companies") == [globex]
    assert len(world.hub.linked("tickets", ticket_id, "notes")) == 1
    assert len(world.hub.linked("tickets", ticket_id, "emails")) == 1


def test_a_known_customer_costs_at_most_four_and_sees_its_open_tickets(tmp_path) -> None:
    world = make_world(tmp_path)
    world.link(world.escalation(1))
    world.clock.advance(world.hub.search_delay + 1)
    before = len(world.hub.requests)

    world.link(world.escalation(2, subject="Second bug from Jane"))

    calls = [f"{r.method} {r.path}" for r in world.hub.requests[before:]]
    assert len(calls) <= KNOWN_CUSTOMER_BUDGET, calls
    first_ticket = store.link(world.db, 1)["hubspot_ticket_id"]
    context = store.journal(world.db, 2)["hubspot_context"].detail
    assert [t["id"] for t in context["other_tickets"]] == [first_ticket]  # the search still runs for known ones
