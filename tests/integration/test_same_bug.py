"""One issue per bug: "Same bug as..." attaches an escalation to an existing Linear issue (issue 14)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from core import closing, linking, same_bug
from core.errors import ValidationError
from core.store import links as store
from core.store import replies as replies_store
from tests.integration.test_linking import NOW, World, make_world


@pytest.fixture
def world(tmp_path) -> World:
    w = make_world(tmp_path)
    w.hub.add_company("beta.com", "Beta GmbH", tier="business", revenue=200_000)
    yield w
    w.db.close()


def _two_reports(world: World) -> tuple[int, int]:
    first = world.escalation(1, subject="Export to CSV fails", body="The CSV export button fails with a timeout.")
    second = world.escalation(2, email="max@beta.com", name="Max Beta", subject="CSV export broken",
                              body="Exporting to CSV times out for us too.")
    assert world.sync(workers=1).linked == 2
    return first, second


def _same_bug(world: World, eid: int, target: str) -> linking.LinkResult:
    return same_bug.same_bug(world.db, world.settings, world.hubspot, world.linear, eid, target, now=NOW)


def test_a_linked_escalation_moves_onto_the_existing_issue(world: World) -> None:
    first, second = _two_reports(world)
    target, own = store.link(world.db, first), store.link(world.db, second)
    result = _same_bug(world, second, target["linear_identifier"])
    assert result.status == "linked" and result.issue_identifier == target["linear_identifier"]
    moved = store.link(world.db, second)
    assert moved["linear_issue_id"] == target["linear_issue_id"]
    (relation,) = world.lin.relations.values()
    assert (relation["issueId"], relation["relatedIssueId"], relation["type"]) == (
        own["linear_issue_id"], target["linear_issue_id"], "duplicate")
    needs = [n for n in world.lin.needs.values() if n["issueId"] == target["linear_issue_id"]]
    assert len(needs) == 2 and len({n["customerId"] for n in needs}) == 2  # the second customer is on it
    urls = {a["url"] for a in world.lin.attachments.values() if a["issueId"] == target["linear_issue_id"]}
    assert urls == {target["hubspot_ticket_url"], own["hubspot_ticket_url"]}  # both tickets linked to it
    comments = [c["body"] for c in world.lin.comments.values() if c["issueId"] == target["linear_issue_id"]]
    assert len(comments) == 1 and comments[0].startswith("Also reported")
    ticket = world.hub.records["tickets"][own["hubspot_ticket_id"]]["properties"]
    assert ticket["linear_issue_identifier"] == target["linear_identifier"]
    assert ticket["linear_issue_url"] == target["linear_url"]
    notes = [world.hub.records["notes"][n]["properties"]["hs_note_body"]
             for n in world.hub.linked("tickets", own["hubspot_ticket_id"], "notes")]
    assert sum("Now linked to Linear issue" in n for n in notes) == 1
    description = world.lin.issue(target["linear_issue_id"])["description"]
    line = "- **Customers on this issue:** 2 customers · 2 tickets · highest tier Enterprise · $1.4M revenue at stake"
    assert line in description and description.count("Customers on this issue") == 1
    impact = same_bug.impact(world.db, target["linear_issue_id"])
    assert (impact.customers, impact.tickets, impact.top_tier, impact.revenue) == (2, 2, "enterprise", 1_400_000)


def test_closing_the_issue_stages_a_reply_for_every_ticket(world: World) -> None:
    first, second = _two_reports(world)
    target = store.link(world.db, first)
    _same_bug(world, second, target["linear_identifier"])
    world.lin.set_state(target["linear_issue_id"], "Done")
    summary = closing.stage_for_issue(world.db, world.settings, world.hubspot, world.linear,
                                      target["linear_issue_id"], now=NOW + timedelta(minutes=5))
    assert len(summary.staged) == 2
    tickets = {r["hubspot_ticket_id"] for r in replies_store.replies_for_issue(world.db, target["linear_issue_id"])}
    assert tickets == {target["hubspot_ticket_id"], store.link(world.db, second)["hubspot_ticket_id"]}


def test_a_repeat_or_a_lost_answer_changes_nothing_twice(world: World) -> None:
    first, second = _two_reports(world)
    target = store.link(world.db, first)
    lost = []

    def lose_note(request: httpx.Request) -> httpx.Response:
        response = world.hub.handler(request)
        if request.method == "POST" and request.url.path.endswith("/objects/notes") and not lost:
            lost.append(request)
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    world.hub_route = lose_note
    assert _same_bug(world, second, target["linear_identifier"]).status == "linked" and lost
    world.hub_route = None
    before = (len(world.lin.relations), len(world.lin.needs), len(world.lin.comments), len(world.hub.records["notes"]))
    assert _same_bug(world, second, target["linear_issue_id"]).status == "linked"
    after = (len(world.lin.relations), len(world.lin.needs), len(world.lin.comments), len(world.hub.records["notes"]))
    # needs: two on the target and the old one on the duplicate; notes: two link notes and one "now linked"
    assert before == after == (1, 3, 1, 3)


def test_an_escalation_not_linked_yet_is_attached_directly(world: World) -> None:
    first = world.escalation(1, subject="Export to CSV fails")
    world.sync(workers=1)
    target = store.link(world.db, first)
    second = world.escalation(2, email="max@beta.com", subject="CSV export broken")
    result = _same_bug(world, second, target["linear_identifier"])
    assert result.status == "linked" and store.link(world.db, second)["linear_issue_id"] == target["linear_issue_id"]
    assert len(world.lin.issues) == 1 and not world.lin.relations


def test_an_issue_with_other_customers_is_not_moved(world: World) -> None:
    first, second = _two_reports(world)
    third = world.escalation(3, email="li@acme.com", subject="Other bug")
    world.sync(workers=1)
    _same_bug(world, second, store.link(world.db, first)["linear_identifier"])
    with pytest.raises(ValidationError, match="already attached"):
        _same_bug(world, second, store.link(world.db, third)["linear_identifier"])
    with pytest.raises(ValidationError, match="other customers"):
        _same_bug(world, first, store.link(world.db, third)["linear_identifier"])


def test_similar_open_issues_are_suggested_from_the_report(world: World) -> None:
    first = world.escalation(1, subject="Export to CSV fails", body="The CSV export button fails with a timeout.")
    world.escalation(2, email="max@beta.com", subject="Login page slow", body="Signing in takes a minute.")
    world.sync(workers=1)
    third = world.escalation(3, email="li@acme.com", subject="CSV exports time out", body="Export keeps failing.")
    suggested = same_bug.similar_issues(world.db, third, now=NOW)
    assert [c.identifier for c in suggested] == [store.link(world.db, first)["linear_identifier"]]
    replies_store.set_link_state(world.db, store.link(world.db, first)["linear_issue_id"], "Done", "completed",
                                 NOW.isoformat())  # what the closing poll records when the issue is done
    assert same_bug.similar_issues(world.db, third, now=NOW) == []  # closed issues are not suggested
    assert same_bug.similar_issues(world.db, third, now=NOW + timedelta(days=400)) == []  # nor old ones


def test_issues_are_searched_by_identifier_or_title(world: World) -> None:
    first, second = _two_reports(world)
    identifier = store.link(world.db, first)["linear_identifier"]
    assert [c.identifier for c in same_bug.search_issues(world.settings, world.linear, identifier)][:1] == [identifier]
    found = same_bug.search_issues(world.settings, world.linear, "csv export")
    assert [c.identifier for c in found] == [store.link(world.db, second)["linear_identifier"]]
    assert same_bug.search_issues(world.settings, world.linear, "no such words") == []


def test_local_only_mode_explains_itself(world: World, settings) -> None:
    eid = world.escalation()
    with pytest.raises(ValidationError, match="needs HubSpot and Linear"):
        same_bug.same_bug(world.db, settings, None, None, eid, "ENG-1", now=NOW)
