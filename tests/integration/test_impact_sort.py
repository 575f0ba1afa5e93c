"""The Escalations list sorts by impact: the linked issue's highest tier, revenue at stake, customers and tickets,
kept in a small table so SQL sorts and pages it (issue 14)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import linking
from core.store import board, impacts
from core.store import links as links_store
from tests.integration.test_board_store import NOW, add
from tests.integration.test_linking import make_world


def link(db, eid: int, issue_id: str, *, company: str, tier: str, revenue: float | None = None) -> None:
    db["links"].upsert({"escalation_id": eid, "linear_issue_id": issue_id, "linear_identifier": issue_id.upper(),
                        "hubspot_ticket_id": f"t{eid}", "hubspot_company_id": company}, pk="escalation_id")
    links_store.finish_step(db, eid, "hubspot_context", {"company_id": company, "tier": tier, "revenue": revenue}, NOW)


def order(db, sort: str = "impact", **kw) -> list[int]:
    return [r["id"] for r in board.page(db, board.BoardFilter(statuses=("open",)), sort=sort, **kw)]


@pytest.fixture
def seeded(db):
    ids = {
        "lone_enterprise": add(db, 1, age=timedelta(days=1)),  # not linked: itself, one enterprise customer
        "small": add(db, 2, age=timedelta(days=9), tier="starter"),
        "big_a": add(db, 3, age=timedelta(days=2), tier="business"),
        "big_b": add(db, 4, age=timedelta(days=3), tier="business"),
        "rich": add(db, 5, age=timedelta(days=4)),
    }
    link(db, ids["small"], "i-small", company="c1", tier="starter")
    link(db, ids["big_a"], "i-big", company="c2", tier="enterprise", revenue=500_000)
    link(db, ids["big_b"], "i-big", company="c3", tier="business", revenue=2_000_000)
    link(db, ids["rich"], "i-rich", company="c4", tier="enterprise", revenue=1_000_000)
    return ids


def test_the_list_sorts_by_what_hurts_most(db, seeded) -> None:
    assert impacts.rebuild(db) == 3
    # i-big: enterprise, $2.5M over two customers; i-rich: enterprise, $1M; the lone one: enterprise, unknown revenue.
    assert order(db) == [seeded[k] for k in ("big_b", "big_a", "rich", "lone_enterprise", "small")]
    assert order(db, "tier") == [seeded[k] for k in ("rich", "lone_enterprise", "big_b", "big_a", "small")]
    assert order(db, limit=2, offset=2) == [seeded["rich"], seeded["lone_enterprise"]]  # paged in SQL


def test_the_table_is_kept_current_and_a_rebuild_of_a_current_table_changes_nothing(db, seeded) -> None:
    impacts.rebuild(db)
    assert impacts.rebuild(db) == 0
    link(db, seeded["lone_enterprise"], "i-small", company="c9", tier="enterprise", revenue=9_000_000)
    impacts.refresh(db, ["i-small"])  # what linking does for the issue an escalation joined
    assert order(db)[:2] == [seeded["small"], seeded["lone_enterprise"]]
    db.execute("delete from links where linear_issue_id = 'i-rich'")
    impacts.refresh(db, ["i-rich"])
    assert not list(db.query("select 1 from issue_impacts where linear_issue_id = 'i-rich'"))


def test_closed_escalations_stay_after_open_ones_and_an_unknown_sort_is_refused(db, seeded) -> None:
    impacts.rebuild(db)
    db["escalations"].update(seeded["big_b"], {"status": "done"})
    everything = [r["id"] for r in board.page(db, board.BoardFilter(), sort="impact")]
    assert everything[-1] == seeded["big_b"]
    with pytest.raises(ValueError):
        board.page(db, board.BoardFilter(), sort="subject")


def test_linking_and_moving_keep_the_counts_current(tmp_path) -> None:
    world = make_world(tmp_path)
    try:
        first, second = world.escalation(1), world.escalation(2, email="bo@globex.com", name="Bo")
        world.link(first)
        issue_id = links_store.link(world.db, first)["linear_issue_id"]
        (row,) = world.db.query("select * from issue_impacts")
        assert (row["linear_issue_id"], row["tier_rank"], row["customers"], row["revenue"]) == \
            (issue_id, 0, 1, 1_200_000)  # Acme Corp, enterprise, from HubSpot
        linking.attach_to_issue(world.db, world.settings, world.hubspot, world.linear, second, issue_id, now=NOW)
        (row,) = world.db.query("select * from issue_impacts")
        assert (row["customers"], row["tickets"]) == (2, 2)
    finally:
        world.db.close()


def test_the_workers_full_recount_runs_at_most_hourly(db, monkeypatch) -> None:
    # It reads every linked issue's reports; linking and company changes recount as they happen.
    from datetime import datetime, timedelta, timezone

    now = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)
    impacts.recount_due(db, now)
    calls = []
    real = impacts.rebuild
    monkeypatch.setattr(impacts, "rebuild", lambda d: calls.append(d) or real(d))
    impacts.recount_due(db, now + timedelta(minutes=59))
    assert calls == []
    impacts.recount_due(db, now + timedelta(minutes=61))
    assert len(calls) == 1
