"""Context that stays true: the issue's context block lists the customer's other open tickets as they are now,
rewritten in place when one opens or closes, and nothing written when nothing changed (issue 14)."""

from __future__ import annotations

import pytest

from core.follow_tickets import follow_open_tickets
from core.store import links as store
from tests.integration.test_follow import _linked, now
from tests.integration.test_linking import World, make_world


@pytest.fixture
def world(tmp_path) -> World:
    w = make_world(tmp_path)
    w.lin.clock = lambda: w.clock() + 1_772_400_000.0
    yield w
    w.db.close()


def run(world: World):
    return follow_open_tickets(world.db, world.settings, world.hubspot, world.linear, now=now(world))


def other_line(world: World, link: dict) -> str:
    description = world.lin.issues[link["linear_issue_id"]]["description"]
    return next((x for x in description.splitlines() if x.startswith("- **Other open tickets:**")), "")


def test_a_new_and_then_closed_ticket_of_the_customer_is_followed_into_the_block(world: World) -> None:
    link = _linked(world)  # also adds a line a person wrote, which must survive
    contact = link["hubspot_contact_id"]
    assert contact and not run(world).updated and other_line(world, link) == ""  # nothing new: nothing written
    world.clock.advance(60)
    other = world.hub.add_ticket("Login slow", contact_id=contact)
    assert run(world).updated == 1
    assert "Login slow" in other_line(world, link) and f"/record/0-5/{other}" in other_line(world, link)
    ctx = store.journal(world.db, link["escalation_id"])["hubspot_context"].detail
    assert [t["subject"] for t in ctx["other_tickets"]] == ["Login slow"]  # what the next comparison starts from
    updates = world.lin.operations().count("IssueUpdate")
    world.clock.advance(60)
    assert not run(world).updated and world.lin.operations().count("IssueUpdate") == updates
    world.clock.advance(60)
    world.hub.touch("tickets", other, {"hs_pipeline_stage": "4"})  # closed
    assert run(world).updated == 1 and other_line(world, link) == ""
    description = world.lin.issues[link["linear_issue_id"]]["description"]
    assert "Notes from the engineer: check the CSV writer." in description and "### Customer's message" in description


def test_contacts_are_asked_about_five_to_a_search(world: World) -> None:
    link = _linked(world)
    world.clock.advance(300)  # past the lag each pass re-reads (the linked ticket itself changed at linking)
    run(world)
    searches = len(world.hub.calls_to("POST", "/tickets/search"))
    world.clock.advance(300)
    run(world)  # nothing changed since: one search for the batch, no per-contact read
    assert len(world.hub.calls_to("POST", "/tickets/search")) == searches + 1
    with pytest.raises(ValueError):
        world.hubspot.contacts_with_changed_tickets([str(n) for n in range(6)], now(world))
    (batch,) = world.hub.calls_to("POST", "/tickets/search")[-1:]
    assert [g["filters"][1]["value"] for g in batch.body["filterGroups"]] == [link["hubspot_contact_id"]]


def test_a_closed_escalation_is_left_alone(world: World) -> None:
    link = _linked(world)
    world.db["escalations"].update(link["escalation_id"], {"status": "done"})
    world.clock.advance(60)
    world.hub.add_ticket("Login slow", contact_id=link["hubspot_contact_id"])
    assert not run(world).updated and other_line(world, link) == ""
