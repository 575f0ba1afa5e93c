"""With warm caches a new escalation costs at most 5 HubSpot calls and 4 Linear calls."""

from __future__ import annotations

from tests.integration.test_linking import World, make_world, store

HUBSPOT_BUDGET, LINEAR_BUDGET = 5, 4


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
