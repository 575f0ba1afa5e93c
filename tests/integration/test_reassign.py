"""Open Linear issues follow a swap or an override once it takes effect, exactly once (issue 15)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import httpx
import pytest

from core.linear import LinearClient
from core.reassign import reassign_due
from core.roster import Engineer
from core.rotation import RotationWeek
from core.settings import Settings
from core.store import handovers, open_db
from core.store import intake as intake_store
from core.store import links as link_store
from core.store import rotation as store
from tests.doubles.linear import API_KEY, LinearDouble

WEEK0 = date(2026, 3, 2)  # a Monday
NOW = datetime(2026, 3, 4, 9, tzinfo=timezone.utc)  # Wednesday of that week


class World:
    def __init__(self, tmp_path, tz: str = "UTC") -> None:
        self.settings = Settings(db=tmp_path / "t.db", data_dir=tmp_path / "data", linear_api_key=API_KEY,
                                 linear_team="ENG", team_timezone=tz)
        self.db = open_db(self.settings.db)
        self.lin = LinearDouble()
        self.linear = LinearClient(API_KEY, transport=httpx.MockTransport(self.lin.handler), sleep=lambda s: None)
        self.users = {name: self.lin.add_user(name.title(), f"{name}@ourco.com")["id"] for name in ("ada", "bo", "cy")}
        # Cy's Linear id is not on the roster yet: it is looked up by email.
        store.upsert_engineers(self.db, [Engineer(f"{n}@ourco.com", n.title(), linear_user_id=self.users[n]
                                                  if n != "cy" else "") for n in self.users])
        store.save_schedule(self.db, [RotationWeek(WEEK0, "ada@ourco.com", True, 0, "", "bo@ourco.com"),
                                      RotationWeek(WEEK0 + timedelta(weeks=1), "bo@ourco.com", True, 0, "",
                                                   "cy@ourco.com")])
        self.count = 0

    def escalation(self, received: datetime, assignee: str | None, *, state: str | None = None,
                   status: str = "open") -> str:
        self.count += 1
        mid = f"<m{self.count}@acme.com>"
        row = {"message_id": mid, "thread_key": mid, "customer_name": "Jane", "customer_address": "jane@acme.com",
               "customer_domain": "acme.com", "subject": f"Bug {self.count}", "body": "x", "forwarded": 0,
               "received_at": received.isoformat(), "attachments": [], "status": status,
               "updated_at": received.isoformat()}
        escalation_id = intake_store.create_escalation(self.db, row, [mid])
        issue = self.lin.add_issue(f"Bug {self.count}", state_name=state,
                                   assigneeId=self.users[assignee] if assignee else None)
        link_store.save_link(self.db, escalation_id, {"linear_issue_id": issue["id"]}, received)
        return issue["id"]

    def assignee(self, issue_id: str) -> str | None:
        found = self.lin.issues[issue_id].get("assigneeId")
        return next((n for n, uid in self.users.items() if uid == found), None)

    def updates(self) -> int:
        return self.lin.operations().count("IssueUpdate")

    def run(self, now: datetime = NOW) -> str:
        return reassign_due(self.db, self.settings, self.linear, now=now)


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.db.close()


def test_an_accepted_swap_moves_the_weeks_open_issues_still_with_the_outgoing_engineer(world):
    mine = world.escalation(datetime(2026, 3, 2, 10, tzinfo=timezone.utc), "ada")
    by_hand = world.escalation(datetime(2026, 3, 3, 10, tzinfo=timezone.utc), "cy")
    done = world.escalation(datetime(2026, 3, 3, 11, tzinfo=timezone.utc), "ada", state="Done")
    last_week = world.escalation(datetime(2026, 3, 1, 23, tzinfo=timezone.utc), "ada")
    closed_here = world.escalation(datetime(2026, 3, 3, 12, tzinfo=timezone.utc), "ada", status="closed")
    handovers.accept_swap(world.db, WEEK0, "cy@ourco.com", requested_by="ada@ourco.com", decided_by="cy@ourco.com",
                          reason="sick", now=NOW)
    assert world.run() == "1 open issue(s) reassigned for 1 handover(s)"
    assert [world.assignee(i) for i in (mine, by_hand, done, last_week, closed_here)] == [
        "cy", "cy", "ada", "ada", "ada"]
    outcomes = {r["linear_issue_id"]: r["outcome"] for r in world.db["override_reassignments"].rows}
    assert outcomes == {mine: "reassigned", by_hand: "already theirs", done: "closed"}
    # Cy's Linear id was looked up by email once and kept on the roster.
    assert next(e for e in store.list_engineers(world.db) if e.email == "cy@ourco.com").linear_user_id == \
        world.users["cy"]
    calls = len(world.lin.requests)
    assert world.run(NOW + timedelta(hours=1)) == ""
    assert len(world.lin.requests) == calls  # a done handover is never looked at again


def test_a_swap_of_a_later_week_waits_until_that_week_starts(world):
    next_week = WEEK0 + timedelta(weeks=1)
    handovers.accept_swap(world.db, next_week, "cy@ourco.com", requested_by="", decided_by="bo@ourco.com",
                          reason="trade", now=NOW)
    assert world.run() == "" and world.db["override_effects"].count == 0
    monday = datetime(2026, 3, 9, 0, 30, tzinfo=timezone.utc)
    issue = world.escalation(monday, "bo")  # filed to Bo by an old routing, just after midnight
    world.run(monday)
    assert world.assignee(issue) == "cy" and world.db["override_effects"].count == 1


def test_out_today_hands_the_primarys_open_issues_to_the_backup(world):
    issue = world.escalation(datetime(2026, 3, 2, 15, tzinfo=timezone.utc), "ada")
    handovers.out_today(world.db, world.settings, "ada@ourco.com", decided_by="ada@ourco.com", now=NOW)
    world.run()
    assert world.assignee(issue) == "bo"


def test_a_crash_after_the_linear_call_neither_reassigns_twice_nor_misses_one(world, monkeypatch):
    first = world.escalation(datetime(2026, 3, 2, 10, tzinfo=timezone.utc), "ada")
    second = world.escalation(datetime(2026, 3, 2, 11, tzinfo=timezone.utc), "ada")
    handovers.accept_swap(world.db, WEEK0, "bo@ourco.com", requested_by="", decided_by="bo@ourco.com",
                          reason="sick", now=NOW)
    real = LinearClient.update_issue

    def crash_after_landing(self, issue_id, **changes):
        real(self, issue_id, **changes)
        raise KeyboardInterrupt  # the process dies before the outcome is written

    monkeypatch.setattr(LinearClient, "update_issue", crash_after_landing)
    with pytest.raises(KeyboardInterrupt):
        world.run()
    assert world.db["override_effects"].count == 0
    monkeypatch.setattr(LinearClient, "update_issue", real)
    world.run(NOW + timedelta(minutes=1))
    assert (world.assignee(first), world.assignee(second)) == ("bo", "bo")
    assert world.updates() == 2
    outcomes = {r["linear_issue_id"]: r["outcome"] for r in world.db["override_reassignments"].rows}
    assert outcomes == {first: "reassigned", second: "reassigned"}


def test_an_override_of_a_long_past_week_moves_nothing(world):
    issue = world.escalation(datetime(2026, 3, 2, 10, tzinfo=timezone.utc), "ada")
    handovers.accept_swap(world.db, WEEK0, "bo@ourco.com", requested_by="", decided_by="x", reason="late fix",
                          now=NOW)
    assert world.run(NOW + timedelta(days=20)) == ""
    assert world.assignee(issue) == "ada" and world.updates() == 0
    assert world.db["override_effects"].count == 1


def test_the_week_is_the_teams_week_across_zones(tmp_path):
    # 23:30 UTC on Sunday is Monday in Berlin: that escalation belongs to the swapped week there.
    world = World(tmp_path, tz="Europe/Berlin")
    issue = world.escalation(datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc), "ada")
    handovers.accept_swap(world.db, WEEK0, "cy@ourco.com", requested_by="", decided_by="x", reason="r", now=NOW)
    world.run()
    assert world.assignee(issue) == "cy"
    world.db.close()


def test_the_worker_cycle_reassigns_after_a_swap(tmp_path):
    # The real cycle: the escalation is linked to the engineer on support, then the week is swapped.
    from types import SimpleNamespace

    import time_machine

    from ingest.worker import sync_cycle
    from tests.integration.test_linking import NOW as LINK_NOW
    from tests.integration.test_linking import make_world

    linked = make_world(tmp_path)
    ids = {n: linked.lin.add_user(n.title(), f"{n}@ourco.com")["id"] for n in ("ada", "bo")}
    week = LINK_NOW.date() - timedelta(days=LINK_NOW.weekday())
    store.upsert_engineers(linked.db, [Engineer(f"{n}@ourco.com", n.title()) for n in ids])
    store.save_schedule(linked.db, [RotationWeek(week, "ada@ourco.com", True, 0, "", "bo@ourco.com")])
    connectors = SimpleNamespace(hubspot=linked.hubspot, linear=linked.linear)
    linked.escalation()
    with time_machine.travel(LINK_NOW + timedelta(minutes=1), tick=False):
        sync_cycle(linked.db, linked.settings, connectors)
    (issue,) = linked.lin.issues.values()
    assert issue["assigneeId"] == ids["ada"]
    handovers.accept_swap(linked.db, week, "bo@ourco.com", requested_by="ada@ourco.com", decided_by="bo@ourco.com",
                          reason="sick", now=LINK_NOW + timedelta(minutes=2))
    for minutes in (3, 4):  # the second cycle finds nothing left to do
        with time_machine.travel(LINK_NOW + timedelta(minutes=minutes), tick=False):
            sync_cycle(linked.db, linked.settings, connectors)
    assert issue["assigneeId"] == ids["bo"]
    assert linked.lin.operations().count("IssueUpdate") == 1
    linked.db.close()
