"""Context that stays true: HubSpot changes reach Linear and Linear changes reach HubSpot, once each (issue 14)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from core import follow
from core.store import links as store
from tests.integration.test_linking import NOW, World, make_world


@pytest.fixture
def world(tmp_path) -> World:
    w = make_world(tmp_path, hubspot_stage_map="In Progress=3")
    w.lin.clock = lambda: NOW.timestamp() + w.clock() - 1000.0  # both doubles and `now` on one fake timeline
    w.hub.search_delay = 5.0
    yield w
    w.db.close()


def now(world: World) -> datetime:
    return datetime.fromtimestamp(NOW.timestamp() + world.clock() - 1000.0, timezone.utc)


def _linked(world: World) -> dict:
    eid = world.escalation()
    assert world.link(eid, now(world)).status == "linked"
    issue_id = store.link(world.db, eid)["linear_issue_id"]
    person = world.lin.issues[issue_id]["description"] + "\nNotes from the engineer: check the CSV writer.\n"
    world.lin.issues[issue_id]["description"] = person  # what a person wrote must survive
    return store.link(world.db, eid)


def _hubspot_pass(world: World) -> follow.FollowSummary:
    return follow.follow_hubspot(world.db, world.settings, world.hubspot, world.linear, now=now(world))


def _linear_writes(world: World) -> int:
    return sum(1 for op in world.lin.operations() if op in ("AttachmentCreate", "IssueUpdate", "CustomerUpsert"))


def test_hubspot_changes_are_written_onto_the_linear_side_once(world: World) -> None:
    link = _linked(world)
    owner = world.hub.owners[0]["id"]
    world.clock.advance(60)
    world.hub.touch("tickets", link["hubspot_ticket_id"],
                    {"hs_pipeline_stage": "3", "hs_ticket_priority": "URGENT", "hubspot_owner_id": owner})
    world.hub.touch("companies", world.company_id, {"tier": "business", "annualrevenue": "3000000"})
    assert not _hubspot_pass(world)  # search has not caught up yet: nothing seen, nothing lost
    world.clock.advance(30)
    summary = _hubspot_pass(world)
    assert summary.updated == 2 and not summary.failed
    (attachment,) = world.lin.attachments.values()
    attrs = {a["name"]: a["value"] for a in attachment["metadata"]["attributes"]}
    assert (attrs["Ticket stage"], attrs["Ticket priority"], attrs["Ticket owner"]) == ("Waiting on us", "Urgent",
                                                                                         "Dana Lee")
    assert (attrs["Tier"], attrs["Revenue"]) == ("Business", "$3M") and attachment["subtitle"] == "Acme Corp · Business"
    description = world.lin.issues[link["linear_issue_id"]]["description"]
    assert "- **Tier:** Business" in description and "revenue $3M" in description and "Enterprise" not in description
    assert description.endswith("Notes from the engineer: check the CSV writer.\n")
    assert "- **Customers on this issue:** 1 customer · 1 ticket · highest tier Business · $3M revenue at stake" \
        in description
    (customer,) = world.lin.customers.values()
    assert world.lin.tiers[customer["tierId"]]["name"] == "Business" and customer["revenue"] == 3_000_000
    writes = _linear_writes(world)
    world.clock.advance(30)
    assert not _hubspot_pass(world) and _linear_writes(world) == writes  # seen again: nothing written twice


def test_a_failed_write_is_retried_from_that_change(world: World) -> None:
    link = _linked(world)
    world.clock.advance(60)
    world.hub.touch("tickets", link["hubspot_ticket_id"], {"hs_pipeline_stage": "2"})
    world.clock.advance(30)
    world.lin_route = lambda request: httpx.Response(503, text="down")  # Linear is down: the client gives up
    summary = _hubspot_pass(world)
    assert summary.failed and not summary.updated
    world.lin_route = None
    world.clock.advance(600)  # well past the lag window: the cursor kept the change
    assert _hubspot_pass(world).updated == 1
    (attachment,) = world.lin.attachments.values()
    assert {a["name"]: a["value"] for a in attachment["metadata"]["attributes"]}["Ticket stage"] == "Waiting on contact"


def test_linear_changes_are_written_onto_the_ticket_once_and_in_order(world: World) -> None:
    link = _linked(world)
    ticket = world.hub.records["tickets"][link["hubspot_ticket_id"]]["properties"]
    user = world.lin.add_user("Ada Lovelace", "ada@ourco.com")
    world.clock.advance(60)
    world.lin.set_state(link["linear_issue_id"], "In Progress")
    world.lin.issues[link["linear_issue_id"]].update(assigneeId=user["id"], priority=1.0)
    summary = follow.follow_linear(world.db, world.settings, world.hubspot, world.linear, now=now(world))
    assert summary.updated == 1
    assert (ticket["linear_issue_state"], ticket["linear_issue_assignee"], ticket["linear_issue_priority"]) == (
        "In Progress", "Ada Lovelace", "Urgent")
    assert ticket["hs_pipeline_stage"] == "3"  # the stage mapping
    patches = len(world.hub.calls_to("PATCH", "/objects/tickets/"))
    world.clock.advance(30)
    assert not follow.follow_linear(world.db, world.settings, world.hubspot, world.linear, now=now(world))
    stale = replace(world.linear.get_issue(link["linear_issue_id"]), state_name="Triage",
                    updated_at=NOW - timedelta(days=1))  # a late webhook with an older view
    assert not follow.follow_linear(world.db, world.settings, world.hubspot, world.linear, now=now(world),
                                    issues=[stale])
    assert len(world.hub.calls_to("PATCH", "/objects/tickets/")) == patches
    assert ticket["linear_issue_state"] == "In Progress"


def test_a_done_issue_leaves_the_stage_to_the_closing_loop() -> None:
    issue = type("I", (), {"state_name": "Done", "state_type": "completed", "assignee_name": None, "priority": 0})()
    assert follow.ticket_values(issue, follow.stage_map("Done=4, In Progress=3")) == {
        "linear_issue_state": "Done", "linear_issue_assignee": "", "linear_issue_priority": "No priority"}
    assert follow.stage_map(" In Progress = 3 ,, bad") == {"in progress": "3"}


def test_a_comment_marked_for_the_customer_becomes_one_note(world: World) -> None:
    link = _linked(world)
    world.clock.advance(60)
    world.linear.create_comment(link["linear_issue_id"], "Customer note: fixed in <b>2.4.1</b>, please update.")
    for _ in range(2):  # the second pass sees the same comment and writes nothing
        follow.follow_linear(world.db, world.settings, world.hubspot, world.linear, now=now(world))
        world.clock.advance(30)
    notes = [world.hub.records["notes"][n]["properties"]["hs_note_body"]
             for n in world.hub.linked("tickets", link["hubspot_ticket_id"], "notes")]
    marked = [n for n in notes if "note for the customer" in n]
    assert len(marked) == 1 and "fixed in &lt;b&gt;2.4.1&lt;/b&gt;, please update." in marked[0]
