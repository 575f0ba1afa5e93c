"""Linking against both contract-exact doubles: one ticket and one issue per escalation, with context, resumable."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from core import context as cx
from core import health, link_steps, linking
from core.errors import ValidationError
from core.hubspot import HubSpotClient
from core.linear import LinearClient
from core.roster import Engineer
from core.rotation import RotationWeek
from core.settings import Settings
from core.store import get_state, handovers, open_db
from core.store import intake as intake_store
from core.store import links as store
from core.store import rotation as rotation_store
from tests.doubles.hubspot import TOKEN, FakeClock, HubSpotDouble
from tests.doubles.linear import API_KEY, LinearDouble

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


@dataclass
class World:
    """A database, both doubles and clients over them, with a customer company and contact seeded."""

    db: object
    settings: Settings
    hub: HubSpotDouble
    lin: LinearDouble
    hubspot: HubSpotClient
    linear: LinearClient
    company_id: str
    hub_route: object = None
    lin_route: object = None
    clock: FakeClock | None = None

    def escalation(
        self,
        n: int = 1,
        *,
        email: str = "jane@acme.com",
        name: str = "Jane Doe",
        body: str = "The export button fails.",
        subject: str = "Export fails",
    ) -> int:
        row = {
            "message_id": f"<m{n}@acme.com>",
            "thread_key": f"<m{n}@acme.com>",
            "customer_name": name,
            "customer_address": email,
            "customer_domain": email.rpartition("@")[2],
            "subject": subject,
            "body": body,
            "forwarded": 1,
            "forwarded_by_name": "Sam Agent",
            "forwarded_by_address": "sam@ourco.com",
            "received_at": NOW.isoformat(),
            "attachments": [
                {"filename": "trace.log", "size": 2048, "content_type": "text/plain", "sha256": "ab", "stored": True}
            ],
            "status": "open",
            "updated_at": NOW.isoformat(),
        }
        return intake_store.create_escalation(self.db, row, [row["message_id"]])

    def link(self, escalation_id: int, now: datetime = NOW) -> linking.LinkResult:
        return linking.link_escalation(self.db, self.settings, self.hubspot, self.linear, escalation_id, now=now)

    def sync(self, now: datetime = NOW, **kwargs: object) -> linking.SyncSummary:
        return linking.sync_pending(self.db, self.settings, self.hubspot, self.linear, now=now, **kwargs)


def make_world(tmp_path, **settings_overrides: object) -> World:
    clock = FakeClock()
    # The double's record dates follow the fake clock from NOW, so no test reads the wall clock.
    hub = HubSpotDouble(clock=clock, search_delay=0.0, wall=lambda: NOW.timestamp() + clock() - 1000.0)
    lin = LinearDouble(clock=lambda: 1_772_400_000.0 + clock())
    owner = hub.add_owner("dana@ourco.com", "Dana", "Lee")
    company_id = hub.add_company("acme.com", "Acme Corp", tier="enterprise", revenue=1_200_000)
    hub.records["companies"][company_id]["properties"]["hubspot_owner_id"] = owner
    hub.add_contact("jane@acme.com", "Jane", "Doe")
    settings = Settings(db=tmp_path / "t.db", data_dir=tmp_path / "data", hubspot_token=TOKEN, linear_api_key=API_KEY,
                        linear_team="ENG", **settings_overrides)
    world = World(open_db(settings.db), settings, hub, lin, None, None, company_id, clock=clock)  # type: ignore[arg-type]
    # Tests may put a route in front of a double (to lose or refuse one request).
    hub_transport = httpx.MockTransport(lambda r: (world.hub_route or hub.handler)(r))
    lin_transport = httpx.MockTransport(lambda r: (world.lin_route or lin.handler)(r))
    world.hubspot = HubSpotClient(TOKEN, transport=hub_transport, sleep=clock.sleep, clock=clock, now=lambda: NOW)
    world.linear = LinearClient(API_KEY, transport=lin_transport, sleep=clock.sleep, clock=clock)
    list(health.setup_hubspot(world.hubspot))
    return world


@pytest.fixture
def world(tmp_path) -> World:
    w = make_world(tmp_path)
    yield w
    w.db.close()


def test_an_escalation_becomes_one_linked_ticket_and_issue(world: World) -> None:
    result = world.link(world.escalation())
    assert result.status == "linked"
    (issue,) = world.lin.issues.values()
    (ticket_id,) = world.hub.records["tickets"]
    ticket = world.hub.records["tickets"][ticket_id]["properties"]
    assert ticket["linear_issue_identifier"] == issue["identifier"] == result.issue_identifier
    assert ticket["linear_issue_url"] == issue["url"] and ticket["linear_issue_state"] == "Triage"
    assert ticket["rotadesk_message_id"] == "<m1@acme.com>" and ticket["hs_ticket_priority"] == "HIGH"
    assert sorted(world.hub.linked("tickets", ticket_id, "contacts")) == [next(iter(world.hub.records["contacts"]))]
    assert world.hub.linked("tickets", ticket_id, "companies") == [world.company_id]
    assert world.lin.states[issue["stateId"]]["name"] == "Triage" and issue["priority"] == 2.0
    assert {world.lin.labels[i]["name"] for i in issue["labelIds"]} == {"customer-reported", "Enterprise"}
    assert issue["id"] == linking.issue_id_for("<m1@acme.com>")


def test_the_description_carries_the_customer_context(world: World) -> None:
    world.hub.add_ticket("Login slow", contact_id=next(iter(world.hub.records["contacts"])))
    world.hub.add_ticket("Old, closed", stage="4", contact_id=next(iter(world.hub.records["contacts"])))
    intake_store.upsert_customers(
        world.db, [intake_store.Customer("acme.com", "Acme", "business", size=250, owner="Dana Lee")], NOW.isoformat()
    )
    world.link(world.escalation())
    description = next(iter(world.lin.issues.values()))["description"]
    assert "Acme Corp" in description and "Enterprise" in description and "$1.2M" in description
    assert "250 employees" in description and "**HubSpot owner:** Dana Lee" in description
    assert "Login slow" in description and "/record/0-5/" in description and "Old, closed" not in description
    assert "Sam Agent" in description and "trace\\.log" in description
    assert "```text\nThe export button fails.\n```" in description


def test_the_hubspot_owner_of_the_company_is_named_without_a_local_customer_list(world: World) -> None:
    world.link(world.escalation())
    description = next(iter(world.lin.issues.values()))["description"]
    assert "**HubSpot owner:** Dana Lee" in description
    assert store.cached_company(world.db, "acme.com", NOW)["owner"] == "Dana Lee"  # warm escalations reuse it


def test_a_company_whose_owner_is_unknown_has_no_owner_line(world: World) -> None:
    world.hub.records["companies"][world.company_id]["properties"]["hubspot_owner_id"] = "999"
    world.link(world.escalation())
    assert "HubSpot owner" not in next(iter(world.lin.issues.values()))["description"]


def test_the_ticket_is_attached_with_metadata_and_a_customer_need(world: World) -> None:
    world.link(world.escalation())
    (attachment,) = world.lin.attachments.values()
    link = store.link(world.db, 1)
    assert attachment["url"] == link["hubspot_ticket_url"] == f"https://app.hubspot.com/contacts/4242/record/0-5/{link['hubspot_ticket_id']}"
    names = {a["name"]: a["value"] for a in attachment["metadata"]["attributes"]}
    assert names == {
        "Company": "Acme Corp",
        "Tier": "Enterprise",
        "Revenue": "$1.2M",
        "Contact": "Jane Doe <jane@acme.com>",
        "Ticket stage": "New",
    }
    assert attachment["metadata"]["messages"][0]["body"] == "The export button fails."
    (customer,) = world.lin.customers.values()
    assert customer["externalIds"] == [world.company_id] and customer["domains"] == ["acme.com"]
    assert world.lin.tiers[customer["tierId"]]["name"] == "Enterprise"
    (need,) = world.lin.needs.values()
    assert need["attachmentId"] == attachment["id"] and need["customerId"] == customer["id"] and need["priority"] == 1.0


def test_the_forwarded_email_and_a_note_land_on_the_ticket(world: World) -> None:
    world.link(world.escalation(body="<b>bold</b> & <script>x</script>"))
    ticket_id = store.link(world.db, 1)["hubspot_ticket_id"]
    (email_id,) = world.hub.linked("tickets", ticket_id, "emails")
    email = world.hub.records["emails"][email_id]["properties"]
    assert email["hs_email_direction"] == "FORWARDED_EMAIL" and "<script>x</script>" in email["hs_email_text"]
    (note_id,) = world.hub.linked("tickets", ticket_id, "notes")
    assert "ENG-1" in world.hub.records["notes"][note_id]["properties"]["hs_note_body"]
    content = world.hub.records["tickets"][ticket_id]["properties"]["content"]
    assert "<script>" not in content and "&lt;script&gt;" in content


def test_a_missing_contact_is_created(world: World) -> None:
    world.link(world.escalation(email="newbie@acme.com", name="New Bie"))
    emails = {r["properties"]["email"] for r in world.hub.records["contacts"].values()}
    assert "newbie@acme.com" in emails


def test_no_contact_is_created_when_the_setting_is_off(tmp_path) -> None:
    w = make_world(tmp_path, hubspot_create_contacts=False)
    assert w.link(w.escalation(email="newbie@acme.com")).status == "linked"
    ticket_id = store.link(w.db, 1)["hubspot_ticket_id"]
    assert w.hub.linked("tickets", ticket_id, "contacts") == [] and len(w.hub.records["contacts"]) == 1


def test_rerunning_a_linked_escalation_changes_nothing(world: World) -> None:
    world.link(world.escalation())
    before = len(world.hub.requests), len(world.lin.requests)
    assert world.link(1).status == "linked"
    assert (len(world.hub.requests), len(world.lin.requests)) == before


def test_a_lost_ticket_answer_is_found_again_not_duplicated(world: World) -> None:
    lost = []

    def lose_ticket_answer(request: httpx.Request) -> httpx.Response:
        response = world.hub.handler(request)
        if request.method == "POST" and request.url.path.endswith("/objects/tickets") and not lost:
            lost.append(request)
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    world.hub_route = lose_ticket_answer
    assert world.link(world.escalation()).status == "linked"
    assert lost and len(world.hub.records["tickets"]) == 1


@pytest.mark.parametrize("path", ["/objects/notes", "/objects/emails"])
def test_a_lost_note_or_email_answer_is_found_by_its_reference(world: World, path: str) -> None:
    lost = []

    def lose_answer(request: httpx.Request) -> httpx.Response:
        response = world.hub.handler(request)
        if request.method == "POST" and request.url.path.endswith(path) and not lost:
            lost.append(request)
            raise httpx.ReadTimeout("answer lost", request=request)  # a create is not repeated by the client
        return response

    world.hub_route = lose_answer
    eid = world.escalation()
    assert world.link(eid).status == "linked" and lost  # found again in the same pass (issue 14)
    ticket_id = store.link(world.db, eid)["hubspot_ticket_id"]
    assert (
        len(world.hub.linked("tickets", ticket_id, "notes"))
        == len(world.hub.linked("tickets", ticket_id, "emails"))
        == 1
    )
    step = "hubspot_note" if path.endswith("notes") else "hubspot_email"
    (created,) = world.hub.linked("tickets", ticket_id, path.rsplit("/", 1)[1])
    assert store.journal(world.db, eid)[step].detail == {"id": created}
    assert len([r for r in world.hub.calls_to("POST", path) if r.path.endswith(path)]) == 1  # never sent twice


def test_a_lost_need_answer_is_found_on_the_issue(world: World) -> None:
    lost = []

    def lose_need(request: httpx.Request) -> httpx.Response:
        response = world.lin.handler(request)
        if b"CustomerNeedCreate" in request.content and not lost:
            lost.append(request)
            return httpx.Response(400, json={"errors": [{"message": "lost", "extensions": {"code": "INPUT_ERROR"}}]})
        return response

    world.lin_route = lose_need
    eid = world.escalation()
    assert world.link(eid).status == "failed"  # the need was made, but the answer said otherwise
    world.lin_route = None
    assert world.sync(NOW + timedelta(minutes=5)).linked == 1
    (need,) = world.lin.needs.values()
    assert store.journal(world.db, eid)["linear_need"].detail == {"id": need["id"]}
    assert "IssueNeeds" in world.lin.operations()


def test_a_label_someone_else_made_meanwhile_is_read_again_not_duplicated(world: World) -> None:
    world.link(world.escalation())  # caches the team's labels: customer-reported and Enterprise
    world.hub.records["companies"][world.company_id]["properties"]["tier"] = "business"
    store.forget_hubspot_cache(world.db, email=None, domain="acme.com")
    made_elsewhere = world.lin.add_label("Business")  # after the cache was filled
    assert world.link(world.escalation(2, subject="Another")).status == "linked"
    issue = world.lin.issues[linking.issue_id_for("<m2@acme.com>")]
    assert made_elsewhere["id"] in issue["labelIds"]
    assert [label["name"] for label in world.lin.labels.values()].count("Business") == 1
    assert world.lin.operations().count("Labels") == 2  # read once, then once more after the refused create


def test_a_failed_step_resumes_where_it_stopped(world: World) -> None:
    refused = []

    def refuse_attachment(request: httpx.Request) -> httpx.Response:
        if b"AttachmentCreate" in request.content and not refused:
            refused.append(request)
            return httpx.Response(400, json={"errors": [{"message": "nope", "extensions": {"code": "INPUT_ERROR"}}]})
        return world.lin.handler(request)

    world.lin_route = refuse_attachment
    eid = world.escalation()
    first = world.link(eid)
    assert first.status == "failed" and first.step == "linear_attachment"
    assert store.journal(world.db, eid)["linear_attachment"].status == "failed"
    assert world.sync(NOW + timedelta(seconds=30)).deferred == 1  # backing off after a failure
    assert world.sync(NOW + timedelta(minutes=5)).linked == 1
    assert len(world.lin.issues) == len(world.lin.attachments) == len(world.hub.records["tickets"]) == 1


def test_a_follow_up_adds_a_comment_and_a_note(world: World) -> None:
    eid = world.escalation()
    world.sync()
    intake_store.add_followup(world.db, {"message_id": "<f1@acme.com>", "escalation_id": eid, "sender": "jane@acme.com",
                                         "body": "Still broken @everyone", "received_at": NOW.isoformat()})
    summary = world.sync()
    assert summary.followups == 1 and summary.linked == 0
    (comment,) = world.lin.comments.values()
    assert comment["body"].startswith(cx.FOLLOWUP_PREFIX) and "Still broken @everyone" in comment["body"]
    ticket_id = store.link(world.db, eid)["hubspot_ticket_id"]
    assert len(world.hub.linked("tickets", ticket_id, "notes")) == 2
    assert not world.sync()  # nothing left: the follow-up is not added twice
    assert len(world.lin.issues) == 1 and len(world.lin.comments) == 1


def test_a_second_customer_is_attached_to_the_same_issue(world: World) -> None:
    first = world.escalation()
    world.link(first)
    issue_id = store.link(world.db, first)["linear_issue_id"]
    second = world.escalation(2, email="bob@acme.com", name="Bob Ray", body="Same export bug here")
    result = linking.attach_to_issue(world.db, world.settings, world.hubspot, world.linear, second, "ENG-1", now=NOW)
    assert result.status == "linked"
    assert len(world.lin.issues) == 1 and len(world.hub.records["tickets"]) == 2
    assert len(world.lin.attachments) == 2 and len(world.lin.needs) == 2
    (comment,) = world.lin.comments.values()
    assert comment["body"].startswith(cx.ALSO_REPORTED_PREFIX) and "Bob Ray" in comment["body"]
    assert [r["escalation_id"] for r in store.links_for_issue(world.db, issue_id)] == [first, second]
    assert not world.sync()  # the attached escalation is complete; no issue of its own appears
    assert len(world.lin.issues) == 1


def test_an_escalation_linked_elsewhere_cannot_be_attached(world: World) -> None:
    world.link(world.escalation())
    world.link(world.escalation(2, subject="Other bug"))
    with pytest.raises(ValidationError):
        linking.attach_to_issue(world.db, world.settings, world.hubspot, world.linear, 2, "ENG-1", now=NOW)


def test_customer_requests_switched_off_skip_with_one_warning(world: World, caplog) -> None:
    world.lin.customer_requests_enabled = False
    link_steps._warned.discard("customers")
    with caplog.at_level(logging.WARNING, logger="rotadesk.linking"):
        world.escalation()
        world.escalation(2, subject="Another")
        summary = world.sync(workers=1)  # one after the other: the second knows the feature is off
    assert summary.linked == 2 and len(world.lin.attachments) == 2 and not world.lin.customers
    assert sum("customer requests" in r.message for r in caplog.records) == 1
    assert get_state(world.db, linking.CUSTOMERS_OFF_KEY)
    assert world.lin.operations().count("CustomerUpsert") == 1  # the second escalation did not even ask
    assert store.journal(world.db, 1)["linear_need"].status == "skipped"


def test_a_daily_limit_pauses_hubspot_and_the_worker_does_not_spin(world: World) -> None:
    world.escalation()
    world.escalation(2, subject="Another")
    world.hub.exhaust_daily()
    summary = world.sync()
    assert summary.stopped and summary.linked == 0
    assert linking.paused_until(world.db, "hubspot", NOW)
    requests = len(world.hub.requests)
    again = world.sync(NOW + timedelta(minutes=1))
    assert len(world.hub.requests) == requests and again.waiting >= 1  # paused: HubSpot is not asked at all
    checks = health.connector_health(world.settings, world.hubspot, world.linear, db=world.db, now=NOW)
    rate = {c.name: c for c in checks}["HubSpot rate limit"]
    assert not rate.ok and "paused until" in rate.detail
    world.hub.daily_used = 0
    tomorrow = NOW + timedelta(days=1)
    assert world.sync(tomorrow).linked == 2


def test_sync_reports_progress_and_records_the_last_sync(world: World) -> None:
    for n in range(1, 4):
        world.escalation(n, subject=f"Bug {n}")
    seen: list[tuple[int, int]] = []
    summary = world.sync(progress=lambda done, total: seen.append((done, total)))
    assert summary.linked == 3 and seen == [(1, 3), (2, 3), (3, 3)]
    assert get_state(world.db, "linking.last_sync") == NOW.isoformat(timespec="seconds")
    assert store.journal_counts(world.db) == {"linked": 3, "pending": 0, "failed": 0}


def test_escalations_can_be_linked_on_several_threads(world: World) -> None:
    for n in range(1, 7):
        world.escalation(n, subject=f"Bug {n}")
    seen: list[int] = []
    summary = world.sync(workers=3, progress=lambda done, total: seen.append(done))
    assert summary.linked == 6 and seen == [1, 2, 3, 4, 5, 6]
    assert len(world.lin.issues) == len(world.hub.records["tickets"]) == len(world.lin.attachments) == 6
    assert {world.lin.labels[i]["name"] for issue in world.lin.issues.values() for i in issue["labelIds"]} == {
        "customer-reported",
        "Enterprise",
    }


def test_threads_keep_each_escalations_steps_in_order_and_the_journal_whole(world: World) -> None:
    for n in range(1, 13):
        world.escalation(n, subject=f"Bug {n}", email=f"user{n % 3}@acme.com", name=f"User {n}")
    seen: dict[str, list[str]] = {}
    lock = threading.Lock()

    def checkpoint(step: str, phase: str) -> None:
        if phase == "before":
            with lock:
                seen.setdefault(threading.current_thread().name, []).append(step)

    summary = world.sync(checkpoint=checkpoint)  # the default: several workers
    assert summary.linked == 12 and not summary.errors
    assert len(seen) > 1  # really on several threads
    order = [name for name, _, _ in linking.STEPS if name != "linear_comment" and name not in linking.MERGE_STEPS]
    for steps in seen.values():  # each thread runs whole escalations, one after another, steps in order
        assert steps == order * (len(steps) // len(order))
    assert store.journal_counts(world.db) == {"linked": 12, "pending": 0, "failed": 0}
    assert len(world.lin.issues) == len(world.hub.records["tickets"]) == len(world.lin.needs) == 12
    assert len({r["properties"]["email"] for r in world.hub.records["contacts"].values()}) == 4  # jane + 3 users
    assert len(list(world.db.query("select * from links where linear_attachment_id is not null"))) == 12


def test_an_in_memory_database_is_linked_on_one_thread(tmp_path) -> None:
    w = make_world(tmp_path)
    w.db = open_db(":memory:")
    w.escalation(1)
    w.escalation(2, subject="Another")
    assert w.sync(workers=4).linked == 2


def test_escalations_closed_before_linking_stay_out_of_linear(world: World) -> None:
    done = world.escalation(1)
    world.escalation(2)
    intake_store.set_escalation_status(world.db, done, "done", NOW.isoformat())
    assert world.sync().linked == 1
    assert [i["id"] for i in world.lin.issues.values()] == [linking.issue_id_for("<m2@acme.com>")]
    assert store.pending_escalation_ids(world.db) == []


def test_an_escalation_closed_mid_linking_is_still_finished(world: World) -> None:
    escalation = world.escalation()
    world.hub_route = lambda request: httpx.Response(503, text="down")  # HubSpot down: linking stops part-way
    world.sync()
    world.hub_route = None
    intake_store.set_escalation_status(world.db, escalation, "done", NOW.isoformat())
    assert store.pending_escalation_ids(world.db) == [escalation]
    assert world.sync(NOW + timedelta(hours=1)).linked == 1


def test_local_only_does_nothing(tmp_path) -> None:
    settings = Settings(db=tmp_path / "l.db", data_dir=tmp_path)
    db = open_db(settings.db)
    assert not linking.sync_pending(db, settings, None, None, now=NOW)


def _ada_on_support(world: World) -> None:
    rotation_store.upsert_engineers(world.db, [Engineer("ada@ourco.com", "Ada Lovelace")])
    monday = NOW.date() - timedelta(days=NOW.weekday())
    rotation_store.save_schedule(world.db, [RotationWeek(monday, "ada@ourco.com")])


def test_tier_three_escalations_go_to_the_engineer_on_support(world: World) -> None:
    engineer = world.lin.add_user("Ada Lovelace", "ada@ourco.com")
    _ada_on_support(world)
    world.link(world.escalation())
    assert next(iter(world.lin.issues.values()))["assigneeId"] == engineer["id"]
    # The match is remembered on the roster: the next escalation needs no user lookup.
    assert rotation_store.list_engineers(world.db)[0].linear_user_id == engineer["id"]
    world.link(world.escalation(2))
    assert [i["assigneeId"] for i in world.lin.issues.values()] == [engineer["id"]] * 2
    assert world.lin.operations().count("UserByEmail") == 1


def test_an_escalation_on_a_covered_day_goes_to_whoever_covers_it(world: World) -> None:
    # Issue 15: an override for part of a week routes tier-3 escalations to the engineer covering that day.
    world.lin.add_user("Ada Lovelace", "ada@ourco.com")
    bo = world.lin.add_user("Bo Li", "bo@ourco.com")
    _ada_on_support(world)
    rotation_store.upsert_engineers(world.db, [Engineer("bo@ourco.com", "Bo Li")])
    handovers.cover_days(world.db, world.settings, NOW.date(), NOW.date(), "bo@ourco.com", requested_by="ada",
                         decided_by="lead", reason="Ada is at the dentist", now=NOW)
    world.link(world.escalation())
    assert next(iter(world.lin.issues.values()))["assigneeId"] == bo["id"]


def test_an_engineer_without_a_linear_account_leaves_the_issue_unassigned(world: World) -> None:
    world.lin.add_user("Ada Lovelace", "ada@ourco.com", active=False)
    _ada_on_support(world)
    assert world.link(world.escalation()).status == "linked"
    assert next(iter(world.lin.issues.values())).get("assigneeId") is None


def test_setup_hubspot_is_safe_to_rerun(world: World) -> None:
    lines = list(health.setup_hubspot(world.hubspot))
    assert all("already there" in line for line in lines if "ticket property" in line)
    assert world.hub.properties["tickets"]["rotadesk_message_id"]["hasUniqueValue"] is True
    assert any(line.startswith("pipeline 0") for line in lines)


def test_connector_health_reports_each_connector(world: World) -> None:
    world.escalation()
    world.sync()
    checks = {
        c.name: c for c in health.connector_health(world.settings, world.hubspot, world.linear, db=world.db, now=NOW)
    }
    assert all(c.ok for c in checks.values()), checks
    assert "portal 4242" in checks["HubSpot token and portal"].detail
    assert "Engineering" in checks["Linear team and state"].detail
    assert (
        checks["Last sync"].detail.startswith(NOW.isoformat(timespec="seconds"))
        and "1 linked" in checks["Last sync"].detail
    )
    broken = Settings(hubspot_token="x", linear_api_key="y", linear_team="NOPE", hubspot_stage="99")
    bad = {c.name: c for c in health.connector_health(broken, world.hubspot, world.linear)}
    assert not bad["HubSpot pipeline and stage"].ok and not bad["Linear team and state"].ok


def test_tokens_never_reach_the_database_or_the_logs(world: World, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    world.escalation()
    world.hub.fail_next(5, 500)  # the client retries 4 times, then the step fails
    world.sync()
    world.sync(NOW + timedelta(hours=2))
    dump = "\n".join(world.db.conn.iterdump())
    assert TOKEN not in dump and API_KEY not in dump
    assert TOKEN not in caplog.text and API_KEY not in caplog.text
    assert store.journal_counts(world.db)["linked"] == 1
