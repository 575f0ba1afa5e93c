"""HubSpotClient against the contract-exact double, over both path styles; nothing really sleeps."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import httpx
import pytest

from core.errors import HubSpotError, HubSpotRateLimited
from core.hubspot import NOTE_BODY_LIMIT, HubSpotClient, crm_path, ticket_url, truncate_html
from core.settings import Settings
from tests.doubles.hubspot import TOKEN, FakeClock, HubSpotDouble

PREFIXES = ["/crm/v3", "/crm/2026-03"]
WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hub(clock: FakeClock) -> HubSpotDouble:
    return HubSpotDouble(clock=clock)


@pytest.fixture(params=PREFIXES)
def client(request, hub: HubSpotDouble, clock: FakeClock):
    with make_client(hub, clock, prefix=request.param) as c:
        yield c


def make_client(hub: HubSpotDouble, clock: FakeClock, *, prefix: str = "/crm/v3", token: str = TOKEN) -> HubSpotClient:
    return HubSpotClient(
        token,
        prefix=prefix,
        transport=httpx.MockTransport(hub.handler),
        sleep=clock.sleep,
        clock=clock,
        now=lambda: WHEN,
    )


@pytest.mark.parametrize(
    ("prefix", "family", "rest", "v4", "expected"),
    [
        ("/crm/v3", "objects", "tickets/search", False, "/crm/v3/objects/tickets/search"),
        ("/crm/v3", "objects", "tickets/1/associations/tasks", True, "/crm/v4/objects/tickets/1/associations/tasks"),
        ("/crm/v3", "associations", "tickets/tasks/batch/read", True, "/crm/v4/associations/tickets/tasks/batch/read"),
        ("/crm/v3", "owners", "", False, "/crm/v3/owners"),
        ("/crm/2026-03", "objects", "tickets/search", False, "/crm/objects/2026-03/tickets/search"),
        (
            "/crm/2026-03",
            "objects",
            "tickets/1/associations/tasks",
            True,
            "/crm/objects/2026-03/tickets/1/associations/tasks",
        ),
        (
            "/crm/2026-03",
            "associations",
            "tickets/tasks/batch/read",
            True,
            "/crm/associations/2026-03/tickets/tasks/batch/read",
        ),
        ("/crm/2026-03", "properties", "tickets", False, "/crm/properties/2026-03/tickets"),
        ("/crm/2026-03", "pipelines", "tickets", False, "/crm/pipelines/2026-03/tickets"),
    ],
)
def test_crm_path_for_both_styles(prefix: str, family: str, rest: str, v4: bool, expected: str) -> None:
    assert crm_path(prefix, family, rest, v4=v4) == expected


def test_client_uses_the_configured_path_style(client: HubSpotClient, hub: HubSpotDouble) -> None:
    client.pipelines()
    expected = "/crm/v3/pipelines/tickets" if client.prefix == "/crm/v3" else "/crm/pipelines/2026-03/tickets"
    assert hub.requests[-1].path == expected


def test_from_settings_takes_token_url_and_prefix(hub: HubSpotDouble) -> None:
    settings = Settings(hubspot_token=TOKEN, hubspot_api_version="2026-03")
    with HubSpotClient.from_settings(settings, transport=httpx.MockTransport(hub.handler)) as c:
        assert c.prefix == "/crm/2026-03"
        assert c.portal_id() == hub.portal_id
    assert hub.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"


def test_reference_data_is_cached(client: HubSpotClient, hub: HubSpotDouble) -> None:
    ada = hub.add_owner("ada@ourco.com", "Ada", "Lovelace")
    hub.add_owner("bob@ourco.com", "Bob", "Builder")
    assert client.portal_id() == client.portal_id() == 4242
    assert [s.id for s in client.pipelines()[0].stages] == ["1", "2", "3", "4"]
    assert [s.closed for s in client.pipelines()[0].stages] == [False, False, False, True]
    assert [o.id for o in client.owners("ADA@ourco.com")] == [ada]
    assert len(client.owners()) == 2
    assert client.calls == 3 == len(hub.requests)


def test_find_contact_by_email_reads_by_email_without_searching(client: HubSpotClient, hub: HubSpotDouble) -> None:
    contact_id = hub.add_contact("bob@acme.com", "Bob", "Jones")
    found = client.find_contact_by_email("bob@acme.com")
    assert (found.id, found.firstname, found.lastname) == (contact_id, "Bob", "Jones")
    assert client.calls == 1 and not hub.calls_to("POST", "/search")
    assert hub.requests[0].path.endswith("contacts/batch/read") and hub.requests[0].body["idProperty"] == "email"


def test_a_contact_not_yet_searchable_is_found(client: HubSpotClient, hub: HubSpotDouble) -> None:
    created = client.create_contact("new@acme.com", "New", "Person")
    assert client.find_contact_by_email("new@acme.com") == created  # search would not see it for a while
    assert client.find_contact_by_email("nobody@acme.com") is None


def test_a_refused_batch_read_falls_back_to_search(hub: HubSpotDouble, clock: FakeClock) -> None:
    contact_id = hub.add_contact("bob@acme.com", "Bob", "Jones")
    hub.add_contact("bobby@acme.com", "Bobby", "Tables")

    def no_batch_read(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/batch/read"):
            return httpx.Response(404, json={"status": "error", "message": "not found", "category": "OBJECT_NOT_FOUND"})
        return hub.handler(request)

    client = HubSpotClient(TOKEN, transport=httpx.MockTransport(no_batch_read), sleep=clock.sleep, clock=clock)
    with client:
        assert client.find_contact_by_email("bob@acme.com").id == contact_id
        assert client.find_contact_by_email("nobody@acme.com") is None
    assert [r.path.rsplit("/", 1)[-1] for r in hub.requests] == ["search", "search"]


def test_create_contact_falls_back_to_the_existing_id(client: HubSpotClient, hub: HubSpotDouble) -> None:
    existing = hub.add_contact("bob@acme.com", "Bob", "Jones")
    contact = client.create_contact("bob@acme.com", "Robert", "J")
    assert (contact.id, contact.firstname) == (existing, "Bob")
    assert len(hub.records["contacts"]) == 1


def test_upsert_contact_creates_once_and_says_so(client: HubSpotClient, hub: HubSpotDouble) -> None:
    made, created = client.upsert_contact("new@acme.com", "New", "Person")
    again, created_again = client.upsert_contact("new@acme.com", "", "")
    assert (created, created_again) == (True, False) and made.id == again.id
    assert [c["properties"]["email"] for c in hub.records["contacts"].values()] == ["new@acme.com"]
    assert hub.records["contacts"][made.id]["properties"]["firstname"] == "New"  # no name sent: names kept
    assert [r.path.rsplit("/", 2)[-2:] for r in hub.requests] == [["batch", "upsert"]] * 2
    assert hub.requests[0].body["inputs"][0]["idProperty"] == "email"


def test_upsert_contact_after_a_lost_answer_makes_no_second_contact(client: HubSpotClient, hub: HubSpotDouble) -> None:
    hub.lose_next()  # carried out, the answer never arrives: the client's retry finds the contact it made
    contact, created = client.upsert_contact("new@acme.com", "New", "Person")
    assert len(hub.records["contacts"]) == 1 and contact.id in hub.records["contacts"]
    assert created is False  # the retry saw it existing: the caller looks for its tickets, one search too many


def test_a_refused_upsert_falls_back_to_read_then_create(hub: HubSpotDouble, clock: FakeClock) -> None:
    existing = hub.add_contact("bob@acme.com", "Bob", "Jones")

    def no_upsert(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/batch/upsert"):
            return httpx.Response(404, json={"status": "error", "message": "not found", "category": "OBJECT_NOT_FOUND"})
        return hub.handler(request)

    client = HubSpotClient(TOKEN, transport=httpx.MockTransport(no_upsert), sleep=clock.sleep, clock=clock)
    with client:
        bob, bob_created = client.upsert_contact("bob@acme.com", "Robert", "J")
        new, new_created = client.upsert_contact("new@acme.com", "New", "Person")
    assert (bob.id, bob.firstname, bob_created) == (existing, "Bob", False)
    assert new_created and hub.records["contacts"][new.id]["properties"]["email"] == "new@acme.com"
    assert len(hub.records["contacts"]) == 2


def test_find_company_by_domain_reads_the_named_properties(client: HubSpotClient, hub: HubSpotDouble) -> None:
    company_id = hub.add_company("acme.com", "Acme", tier="Enterprise", revenue=2_500_000,
                                 tier_property="customer_tier")
    company = client.find_company_by_domain("ACME.com", tier_property="customer_tier",
                                            revenue_property="annualrevenue")
    assert (company.id, company.name, company.tier, company.revenue) == (company_id, "Acme", "Enterprise", 2_500_000.0)
    assert company.owner_id is None
    sent = set(hub.requests[-1].body["properties"])
    assert sent == {"name", "domain", "hubspot_owner_id", "customer_tier", "annualrevenue"}
    assert client.find_company_by_domain("other.com") is None


def test_create_ticket_sends_strings_and_associations(client: HubSpotClient, hub: HubSpotDouble) -> None:
    contact_id, company_id = hub.add_contact("bob@acme.com"), hub.add_company("acme.com")
    hub.add_ticket_property("rotadesk_escalation")
    ticket = client.create_ticket(
        "Export fails", "<p>Stack trace</p>", "0", "1", "HIGH", {"rotadesk_escalation": 42}, contact_id, company_id
    )
    body = hub.requests[-1].body
    assert all(isinstance(v, str) for v in body["properties"].values())
    assert body["properties"]["rotadesk_escalation"] == "42"
    assert [(a["to"]["id"], a["types"][0]["associationTypeId"]) for a in body["associations"]] == [
        (contact_id, 16),
        (company_id, 26),
    ]
    assert (ticket.subject, ticket.stage, ticket.priority) == ("Export fails", "1", "HIGH")
    assert hub.linked("tickets", ticket.id, "contacts") == [contact_id]


def test_create_ticket_without_links_sends_an_empty_association_list(client: HubSpotClient, hub: HubSpotDouble) -> None:
    client.create_ticket("Lonely", "", "0", "1")
    assert hub.requests[-1].body["associations"] == []


def test_get_and_update_ticket(client: HubSpotClient, hub: HubSpotDouble) -> None:
    contact_id, company_id = hub.add_contact("bob@acme.com"), hub.add_company("acme.com")
    ticket_id = hub.add_ticket("Slow", contact_id=contact_id, company_id=company_id, hs_ticket_category="BUG")
    ticket = client.get_ticket(ticket_id, ["hs_ticket_category"])
    assert (ticket.contact_ids, ticket.company_ids, ticket.properties["hs_ticket_category"]) == (
        (contact_id,),
        (company_id,),
        "BUG",
    )
    updated = client.update_ticket(ticket_id, {"hs_pipeline_stage": "4", "hs_ticket_category": None})
    assert updated.stage == "4"
    assert hub.records["tickets"][ticket_id]["properties"]["hs_ticket_category"] == ""
    assert client.get_ticket("999999") is None


def test_open_tickets_for_contact_skips_closed_and_waits_for_search(
    client: HubSpotClient, hub: HubSpotDouble, clock: FakeClock
) -> None:
    contact_id = hub.add_contact("bob@acme.com")
    open_id = hub.add_ticket("Open", contact_id=contact_id)
    hub.add_ticket("Closed", stage="4", contact_id=contact_id)
    hub.add_ticket("Someone else's", contact_id=hub.add_contact("eve@acme.com"))
    fresh = client.create_ticket("Fresh", "", "0", "1", contact_id=contact_id)
    assert [t.id for t in client.open_tickets_for_contact(contact_id)] == [open_id]
    clock.advance(hub.search_delay)
    assert [t.id for t in client.open_tickets_for_contact(contact_id)] == [open_id, fresh.id]


def test_search_pages_through_every_result(client: HubSpotClient, hub: HubSpotDouble) -> None:
    contact_id = hub.add_contact("busy@acme.com")
    ids = [hub.add_ticket(f"T{n}", contact_id=contact_id) for n in range(230)]
    assert [t.id for t in client.open_tickets_for_contact(contact_id)] == ids
    searches = hub.calls_to("POST", "/search")
    assert len(searches) == 3
    assert [r.body.get("after") for r in searches] == [None, "100", "200"]


def test_idempotent_ticket_creation_through_a_unique_property(client: HubSpotClient, hub: HubSpotDouble) -> None:
    client.create_ticket_property("rotadesk_key", "Rotadesk key", unique=True)
    first = client.create_ticket(
        "Bug", "", "0", "1", extra_properties={"rotadesk_key": "msg/<a@b>"}, unique_property="rotadesk_key"
    )
    again = client.create_ticket(
        "Bug", "", "0", "1", extra_properties={"rotadesk_key": "msg/<a@b>"}, unique_property="rotadesk_key"
    )
    assert (again.id, again.existed, first.existed) == (first.id, True, False)
    assert hub.requests[-1].params["idProperty"] == "rotadesk_key"
    assert len(hub.records["tickets"]) == 1
    assert client.get_ticket_by_unique("rotadesk_key", "missing") is None


def test_a_taken_unique_value_answered_as_a_validation_error_finds_the_ticket(hub: HubSpotDouble, clock) -> None:
    hub.add_ticket_property("rotadesk_key", unique=True)
    body = {"status": "error", "category": "VALIDATION_ERROR", "correlationId": "c",
            "message": "Property values were not valid: rotadesk_key already has a value of k1"}

    def as_validation_error(request: httpx.Request) -> httpx.Response:
        response = hub.handler(request)
        return httpx.Response(400, json=body) if response.status_code == 409 else response

    with HubSpotClient(TOKEN, transport=httpx.MockTransport(as_validation_error), sleep=clock.sleep,
                       clock=clock) as client:
        first = client.create_ticket("Bug", "", "0", "1", extra_properties={"rotadesk_key": "k1"},
                                     unique_property="rotadesk_key")
        again = client.create_ticket("Bug", "", "0", "1", extra_properties={"rotadesk_key": "k1"},
                                     unique_property="rotadesk_key")
        assert (again.id, again.existed) == (first.id, True)
        with pytest.raises(HubSpotError) as info:  # another 400 (a bad stage, say) is not mistaken for a repeat
            client.create_ticket("Bug", "", "0", "1", extra_properties={"rotadesk_key": "k2", "nope": "x"},
                                 unique_property="rotadesk_key")
        assert info.value.status_code == 400


def test_a_conflict_without_a_unique_key_is_raised(client: HubSpotClient, hub: HubSpotDouble) -> None:
    hub.add_ticket_property("rotadesk_key", unique=True)
    client.create_ticket("Bug", "", "0", "1", extra_properties={"rotadesk_key": "k1"})
    with pytest.raises(HubSpotError) as info:
        client.create_ticket("Bug", "", "0", "1", extra_properties={"rotadesk_key": "k1"})
    assert (info.value.status_code, info.value.category) == (409, "CONFLICT")


def test_ticket_property_and_group_are_created_once(client: HubSpotClient, hub: HubSpotDouble) -> None:
    assert not client.ticket_property_exists("rotadesk_key")
    client.create_ticket_property("rotadesk_key", "Rotadesk key", unique=True)
    client.create_ticket_property("rotadesk_key", "Rotadesk key", unique=True)
    assert client.ticket_property_exists("rotadesk_key")
    assert hub.properties["tickets"]["rotadesk_key"]["hasUniqueValue"] is True
    assert hub.properties["tickets"]["rotadesk_key"]["groupName"] == "rotadesk"
    assert len(hub.calls_to("POST", "tickets/groups")) == 1


def test_notes_are_truncated_to_hubspots_limit(client: HubSpotClient, hub: HubSpotDouble) -> None:
    ticket_id, owner = hub.add_ticket("Long"), hub.add_owner("ada@ourco.com")
    note = client.create_note(ticket_id, "<p>" + "a &amp; b " * 10_000 + "</p>", owner_id=owner)
    stored = hub.records["notes"][note.id]["properties"]["hs_note_body"]
    assert note.truncated and stored == note.body and len(stored) <= NOTE_BODY_LIMIT
    assert stored.endswith("<p>[truncated]</p>")
    assert hub.linked("notes", note.id, "tickets") == [ticket_id]
    short = client.create_note(ticket_id, "<p>short</p>")
    assert not short.truncated and hub.records["notes"][short.id]["properties"]["hs_timestamp"] == str(
        int(WHEN.timestamp() * 1000)
    )


@pytest.mark.parametrize("body", ["<p>" + "x" * 70_000, "x" * 65_530 + "<a href='y'>", "x" * 65_510 + "&amp;" * 5])
def test_truncate_html_never_leaves_a_broken_tag_or_entity(body: str) -> None:
    cut = truncate_html(body)
    head = cut.removesuffix("<p>[truncated]</p>")
    assert len(cut) <= NOTE_BODY_LIMIT
    assert head.rfind("<") <= head.rfind(">") or "<" not in head
    assert head.rfind("&") <= head.rfind(";") or "&" not in head


def test_tasks_are_created_found_and_completed(client: HubSpotClient, hub: HubSpotDouble) -> None:
    ticket_id, owner = hub.add_ticket("Follow up"), hub.add_owner("ada@ourco.com")
    assert client.find_task(ticket_id, "Reply to customer") is None
    client.create_task(ticket_id, "Other", "", owner, WHEN)
    task = client.create_task(ticket_id, "Reply to customer", "Tell them", owner, WHEN)
    assert (task.status, task.owner_id) == ("NOT_STARTED", owner)
    assert hub.requests[-1].body["associations"][0]["types"][0]["associationTypeId"] == 230
    assert client.find_task(ticket_id, "Reply to customer") == task  # found at once, search lag or not
    assert client.complete_task(task.id).status == "COMPLETED"


def test_log_email_records_a_forwarded_email(client: HubSpotClient, hub: HubSpotDouble) -> None:
    ticket_id = hub.add_ticket("Mail")
    logged = client.log_email(ticket_id, "Export fails", "Hello", WHEN)
    props = hub.records["emails"][logged.id]["properties"]
    assert props["hs_email_direction"] == "FORWARDED_EMAIL" and props["hs_email_subject"] == "Export fails"
    assert hub.linked("emails", logged.id, "tickets") == [ticket_id]
    assert hub.requests[-1].body["associations"][0]["types"][0]["associationTypeId"] == 224


def test_a_company_carries_its_owner_and_the_owner_is_found_by_id(client: HubSpotClient, hub: HubSpotDouble) -> None:
    owner = hub.add_owner("dana@ourco.com", "Dana", "Lee")
    company_id = hub.add_company("acme.com", "Acme")
    hub.records["companies"][company_id]["properties"]["hubspot_owner_id"] = owner
    company = client.find_company_by_domain("acme.com")
    assert company.owner_id == owner
    found = client.owner(company.owner_id)
    assert found is not None and found.display_name == "Dana Lee"
    owners_reads = len(hub.calls_to("GET", "/owners"))
    assert client.owner("999999") is None and len(hub.calls_to("GET", "/owners")) == owners_reads  # cached list


def test_find_note_and_email_log_by_marker(client: HubSpotClient, hub: HubSpotDouble) -> None:
    ticket_id, other = hub.add_ticket("Mail"), hub.add_ticket("Other")
    assert client.find_note(ticket_id, "ref: abc") is None and client.find_email_log(ticket_id, "ref: abc") is None
    client.create_note(ticket_id, "<p>unrelated</p>")
    note = client.create_note(ticket_id, "<p>Rotadesk ref: abc</p>")
    client.create_note(other, "<p>Rotadesk ref: xyz</p>")
    logged = client.log_email(ticket_id, "Export fails", "Hello\nRotadesk ref: abc", WHEN)
    assert client.find_note(ticket_id, "ref: abc") == note
    assert client.find_note(ticket_id, "ref: xyz") is None  # another ticket's note does not count
    assert client.find_email_log(ticket_id, "ref: abc") == logged
    assert client.find_email_log(other, "ref: abc") is None


def test_ticket_url_follows_the_record_link_convention(client: HubSpotClient) -> None:
    assert ticket_url(4242, "77") == client.ticket_url(4242, "77") == "https://app.hubspot.com/contacts/4242/record/0-5/77"


def test_validation_errors_are_translated(client: HubSpotClient) -> None:
    with pytest.raises(HubSpotError) as info:
        client.create_ticket("x", "", "0", "1", {"no_such_prop": "1"})
    error = info.value
    assert (error.status_code, error.category, error.retryable) == (400, "VALIDATION_ERROR", False)
    assert "no_such_prop" in str(error) and "no_such_prop" in error.hubspot_message


def test_the_token_never_appears_in_errors(hub: HubSpotDouble, clock: FakeClock) -> None:
    secret = "pat-na1-very-secret"
    with make_client(hub, clock, token=secret) as c, pytest.raises(HubSpotError) as info:
        c.portal_id()
    assert info.value.status_code == 401 and secret not in str(info.value)

    def echo(request: httpx.Request) -> httpx.Response:  # a server that echoes the credentials back
        return httpx.Response(
            400,
            json={
                "status": "error",
                "message": f"bad {request.headers['Authorization']}",
                "category": "VALIDATION_ERROR",
            },
        )

    with HubSpotClient(secret, transport=httpx.MockTransport(echo)) as c, pytest.raises(HubSpotError) as info:
        c.portal_id()
    assert secret not in str(info.value) and secret not in info.value.hubspot_message and "***" in str(info.value)


def test_ten_secondly_limit_waits_and_retries(hub: HubSpotDouble, clock: FakeClock) -> None:
    hub.max_per_interval = 3
    with make_client(hub, clock) as c:
        ids = [c.create_ticket(f"T{n}", "", "0", "1").id for n in range(5)]
    assert len(set(ids)) == 5 and len(hub.records["tickets"]) == 5
    assert any(s >= 3.0 for s in clock.sleeps)  # paced from the headers or held after the 429
    assert sum(clock.sleeps) <= 25


def test_a_burst_that_hits_429_waits_the_header_interval(hub: HubSpotDouble, clock: FakeClock) -> None:
    hub.max_per_interval = 2
    with make_client(hub, clock) as c:
        hub.spend(2)  # another app spent the window
        assert c.portal_id() == 4242
    assert [r.path for r in hub.requests].count("/account-info/v3/details") == 2
    assert clock.sleeps == [pytest.approx(10.0)]
    assert c.calls == 2


def test_daily_limit_is_raised_without_retrying(client: HubSpotClient, hub: HubSpotDouble, clock: FakeClock) -> None:
    hub.exhaust_daily()
    with pytest.raises(HubSpotRateLimited) as info:
        client.portal_id()
    assert info.value.daily and not info.value.retryable
    assert 0 < info.value.retry_after <= 86_400
    assert len(hub.requests) == 1 and clock.sleeps == []


def test_search_secondly_limit_waits_one_second(client: HubSpotClient, hub: HubSpotDouble, clock: FakeClock) -> None:
    hub.search_per_second = 1
    hub.add_company("acme.com")
    assert client.find_company_by_domain("acme.com") is not None
    assert client.find_company_by_domain("acme.com") is not None
    assert 1.0 in clock.sleeps
    assert len(hub.calls_to("POST", "/search")) == 3


def test_searches_are_paced_under_four_per_second(client: HubSpotClient, hub: HubSpotDouble, clock: FakeClock) -> None:
    start = clock()
    for _ in range(8):
        client.find_company_by_domain("acme.com")
    assert clock() - start >= 7 * 0.25
    assert all(r.path.endswith("/search") for r in hub.requests)


def test_a_search_waiting_for_its_slot_does_not_hold_up_other_requests(hub: HubSpotDouble, clock: FakeClock) -> None:
    sleeping, release = threading.Event(), threading.Event()

    def sleep(seconds: float) -> None:
        sleeping.set()
        release.wait(5)
        clock.sleep(seconds)

    ticket_id = hub.add_ticket("Busy")
    client = HubSpotClient(TOKEN, transport=httpx.MockTransport(hub.handler), sleep=sleep, clock=clock)
    client.find_company_by_domain("other.com")  # the first search goes at once
    waiter = threading.Thread(target=client.find_company_by_domain, args=("acme.com",))
    waiter.start()
    try:
        assert sleeping.wait(5)  # the second search waits for the search lane...
        note = client.create_note(ticket_id, "<p>meanwhile</p>")  # ...and a create goes ahead of it
        assert note.id in hub.records["notes"]
        assert len(hub.calls_to("POST", "companies/search")) == 1  # the waiting search has not gone yet
    finally:
        release.set()
        waiter.join(5)
    assert len(hub.calls_to("POST", "companies/search")) == 2 and hub.requests[-1].path.endswith("companies/search")


def test_server_errors_retry_with_backoff_then_succeed(
    client: HubSpotClient, hub: HubSpotDouble, clock: FakeClock
) -> None:
    hub.fail_next(2, 503)
    assert client.portal_id() == 4242
    assert client.calls == 3 and len(clock.sleeps) == 2 and clock.sleeps[1] > clock.sleeps[0] / 2


def test_server_errors_give_up_after_bounded_retries(client: HubSpotClient, hub: HubSpotDouble) -> None:
    hub.fail_next(20, 502)
    with pytest.raises(HubSpotError) as info:
        client.portal_id()
    assert (info.value.status_code, info.value.retryable, client.calls) == (502, True, 5)


@pytest.mark.parametrize("exc", [httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError])
def test_dropped_connections_and_timeouts_are_retried(
    client: HubSpotClient, hub: HubSpotDouble, exc: type[Exception]
) -> None:
    hub.fail_next(1, exc)
    assert client.portal_id() == 4242
    hub.fail_next(10, exc)
    with pytest.raises(HubSpotError, match="could not reach HubSpot"):
        client.get_ticket("1")


def test_a_create_whose_answer_was_lost_is_not_repeated(client: HubSpotClient, hub: HubSpotDouble) -> None:
    ticket_id = hub.add_ticket("Quiet")
    hub.lose_next(1)
    with pytest.raises(HubSpotError, match="ReadTimeout"):
        client.create_note(ticket_id, "<p>once</p>")
    assert len(hub.records["notes"]) == 1 and client.calls == 1
    hub.fail_next(1, httpx.ConnectError)  # never reached the server: safe to send again
    client.create_note(ticket_id, "<p>twice</p>")
    assert len(hub.records["notes"]) == 2
    hub.fail_next(1, 504)
    with pytest.raises(HubSpotError) as info:
        client.create_note(ticket_id, "<p>maybe</p>")
    assert info.value.status_code == 504 and info.value.retryable


def test_a_ticket_create_with_a_unique_key_survives_a_lost_answer(client: HubSpotClient, hub: HubSpotDouble) -> None:
    hub.add_ticket_property("rotadesk_key", unique=True)
    hub.lose_next(1)
    ticket = client.create_ticket(
        "Bug", "", "0", "1", extra_properties={"rotadesk_key": "m1"}, unique_property="rotadesk_key"
    )
    assert ticket.existed and len(hub.records["tickets"]) == 1
    assert ticket.properties["rotadesk_key"] == "m1"


def test_headroom_headers_are_exposed(client: HubSpotClient) -> None:
    client.portal_id()
    assert client.last_rate_limit["x-hubspot-ratelimit-max"] == "100"
    assert client.last_rate_limit["x-hubspot-ratelimit-remaining"] == "99"
    assert "x-hubspot-ratelimit-daily-remaining" in client.last_rate_limit
