"""Roster engineers matched to their Linear user and HubSpot owner by email."""

from __future__ import annotations

from core.accounts import match_accounts
from core.linear import USER_MISS_TTL
from core.roster import Engineer
from core.store import rotation as rotation_store
from tests.integration.test_linking import World, make_world


def _roster(world: World) -> None:
    rotation_store.upsert_engineers(world.db, [
        Engineer("ada@ourco.com", "Ada Lovelace"),
        Engineer("ben@ourco.com", "Ben Okafor"),
        Engineer("cy@ourco.com", "Cy Park", linear_user_id="set-by-hand"),
        Engineer("old@ourco.com", "Gone Away", active=False),
    ])


def _ids(world: World) -> dict[str, tuple[str, str]]:
    return {e.email: (e.linear_user_id, e.hubspot_owner_id) for e in rotation_store.list_engineers(world.db)}


def test_missing_ids_are_filled_by_email_and_hand_set_ids_are_kept(tmp_path) -> None:
    world = make_world(tmp_path)
    _roster(world)
    ada = world.lin.add_user("Ada Lovelace", "ada@ourco.com")["id"]
    world.lin.add_user("Cy Park", "cy@ourco.com")
    world.lin.add_user("Gone Away", "old@ourco.com")
    ada_owner = world.hub.add_owner("ada@ourco.com", "Ada", "Lovelace")
    cy_owner = world.hub.add_owner("cy@ourco.com", "Cy", "Park")

    result = match_accounts(world.db, world.hubspot, world.linear)

    ids = _ids(world)
    assert ids["ada@ourco.com"] == (ada, ada_owner)
    assert ids["cy@ourco.com"] == ("set-by-hand", cy_owner)
    assert ids["ben@ourco.com"] == ("", "")
    assert ids["old@ourco.com"] == ("", "")  # inactive engineers are left alone
    assert result.filled == 3
    assert result.no_linear_user == ["ben@ourco.com"] and result.no_hubspot_owner == ["ben@ourco.com"]
    assert result.summary() == ("Matched 3 accounts. No Linear user for ben@ourco.com. "
                                "No HubSpot owner for ben@ourco.com.")


def test_a_second_pass_only_looks_up_the_gaps(tmp_path) -> None:
    world = make_world(tmp_path)
    _roster(world)
    world.lin.add_user("Ada Lovelace", "ada@ourco.com")
    match_accounts(world.db, world.hubspot, world.linear)
    before = len(world.lin.operations())
    assert match_accounts(world.db, world.hubspot, world.linear).filled == 0
    assert world.lin.operations()[before:] == []  # Ben's miss stands for a while
    world.clock.advance(USER_MISS_TTL + 1)
    world.lin.add_user("Ben Okafor", "ben@ourco.com")
    assert match_accounts(world.db, world.hubspot, world.linear).filled == 1
    assert world.lin.operations()[before:] == ["UserByEmail"]  # only Ben was still unmatched in Linear


def test_local_only_matches_nothing_and_reports_no_gaps(tmp_path) -> None:
    world = make_world(tmp_path)
    _roster(world)
    result = match_accounts(world.db, None, None)
    assert result.filled == 0 and not result.no_linear_user and not result.no_hubspot_owner
    assert _ids(world)["ada@ourco.com"] == ("", "")
