"""With warm caches a new escalation costs at most 5 HubSpot calls and 4 Linear calls."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.roster import Engineer
from core.rotation import RotationWeek
from core.store import rotation as rotation_store
from tests.integration.test_linking import NOW, World, make_world, store

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
