"""The HubSpot double enforces the contract: raw httpx calls against it, plus one run over real HTTP."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from core.hubspot import HubSpotClient
from tests.doubles.hubspot import TOKEN, FakeClock, HubSpotDouble

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hub(clock: FakeClock) -> HubSpotDouble:
    return HubSpotDouble(clock=clock)


@pytest.fixture
def http(hub: HubSpotDouble):
    with httpx.Client(base_url="https://api.hubapi.com", headers=AUTH, transport=httpx.MockTransport(hub.handler)) as c:
        yield c


def ticket(subject: str = "Bug", stage: str = "1", associations: list | None = None, **props: object) -> dict:
    return {
        "properties": {"subject": subject, "hs_pipeline": "0", "hs_pipeline_stage": stage, **props},
        "associations": associations or [],
    }


def assoc(to_id: str, type_id: int, category: str = "HUBSPOT_DEFINED") -> dict:
    return {"to": {"id": to_id}, "types": [{"associationCategory": category, "associationTypeId": type_id}]}


def assert_error(response: httpx.Response, status: int, category: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"status", "message", "correlationId", "category", "errors"}
    assert (body["status"], body["category"]) == ("error", category)
    return body


def test_requests_need_the_bearer_token(hub: HubSpotDouble) -> None:
    with httpx.Client(transport=httpx.MockTransport(hub.handler)) as anonymous:
        body = assert_error(
            anonymous.get("https://api.hubapi.com/account-info/v3/details"), 401, "INVALID_AUTHENTICATION"
        )
        wrong = anonymous.get(
            "https://api.hubapi.com/account-info/v3/details", headers={"Authorization": "Bearer nope"}
        )
    assert wrong.status_code == 401 and "nope" not in wrong.text and TOKEN not in body["message"]


@pytest.mark.parametrize(
    ("props", "code"),
    [
        ({"hs_ticket_priority": 3}, "INVALID_TYPE"),
        ({"no_such": "x"}, "PROPERTY_DOESNT_EXIST"),
        ({"hs_object_id": "5"}, "READ_ONLY_VALUE"),
        ({"hs_ticket_priority": "SOON"}, "INVALID_OPTION"),
        ({"hubspot_owner_id": "123"}, "INVALID_OWNER_ID"),
    ],
)
def test_bad_property_values_are_rejected(http: httpx.Client, props: dict, code: str) -> None:
    body = assert_error(http.post("/crm/v3/objects/tickets", json=ticket(**props)), 400, "VALIDATION_ERROR")
    assert body["errors"][0]["code"] == code


def test_required_ticket_fields_and_the_associations_key(http: httpx.Client) -> None:
    no_subject = {"properties": {"hs_pipeline_stage": "1"}, "associations": []}
    no_stage = {"properties": {"subject": "x"}, "associations": []}
    assert (
        assert_error(http.post("/crm/v3/objects/tickets", json=no_subject), 400, "VALIDATION_ERROR")["errors"][0][
            "code"
        ]
        == "REQUIRED_PROPERTY"
    )
    assert (
        assert_error(http.post("/crm/v3/objects/tickets", json=no_stage), 400, "VALIDATION_ERROR")["errors"][0]["code"]
        == "REQUIRED_PROPERTY"
    )
    assert_error(
        http.post("/crm/v3/objects/tickets", json={"properties": ticket()["properties"]}), 400, "VALIDATION_ERROR"
    )
    assert_error(http.post("/crm/v3/objects/tickets", json=ticket(stage="99")), 400, "VALIDATION_ERROR")
    created = http.post("/crm/v3/objects/tickets", json=ticket())
    assert created.status_code == 201
    assert set(created.json()) >= {"id", "properties", "createdAt", "updatedAt", "archived"}


def test_association_types_and_targets_are_checked(http: httpx.Client, hub: HubSpotDouble) -> None:
    contact, company = hub.add_contact("a@acme.com"), hub.add_company("acme.com")
    assert_error(
        http.post("/crm/v3/objects/tickets", json=ticket(associations=[assoc(contact, 15)])), 400, "VALIDATION_ERROR"
    )
    assert_error(
        http.post("/crm/v3/objects/tickets", json=ticket(associations=[assoc(contact, 999)])), 400, "VALIDATION_ERROR"
    )
    assert_error(
        http.post("/crm/v3/objects/tickets", json=ticket(associations=[assoc(contact, 16, "USER_DEFINED")])),
        400,
        "VALIDATION_ERROR",
    )
    assert_error(
        http.post("/crm/v3/objects/tickets", json=ticket(associations=[assoc("424242", 16)])), 400, "VALIDATION_ERROR"
    )
    ok = http.post("/crm/v3/objects/tickets", json=ticket(associations=[assoc(contact, 16), assoc(company, 339)]))
    assert ok.status_code == 201
    ticket_id = ok.json()["id"]
    assert hub.linked("contacts", contact, "tickets") == [ticket_id]
    assert hub.links[("companies", company, "tickets", ticket_id)] == {340}
    v4 = http.get(f"/crm/v4/objects/tickets/{ticket_id}/associations/contacts").json()
    assert v4["results"] == [
        {"toObjectId": int(contact), "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 16, "label": None}]}
    ]
    note = {"properties": {"hs_timestamp": "1", "hs_note_body": "x"}, "associations": [assoc(ticket_id, 16)]}
    assert_error(http.post("/crm/v3/objects/notes", json=note), 400, "VALIDATION_ERROR")


def test_duplicates_conflict(http: httpx.Client, hub: HubSpotDouble) -> None:
    existing = hub.add_contact("bob@acme.com")
    body = assert_error(
        http.post("/crm/v3/objects/contacts", json={"properties": {"email": "BOB@acme.com"}, "associations": []}),
        409,
        "CONFLICT",
    )
    assert body["message"] == f"Contact already exists. Existing ID: {existing}"
    hub.add_ticket_property("rotadesk_key", unique=True)
    assert http.post("/crm/v3/objects/tickets", json=ticket(rotadesk_key="k")).status_code == 201
    assert_error(http.post("/crm/v3/objects/tickets", json=ticket(rotadesk_key="k")), 409, "CONFLICT")
    assert (
        http.get("/crm/v3/objects/tickets/k", params={"idProperty": "rotadesk_key"}).json()["properties"]["subject"]
        == "Bug"
    )
    assert_error(http.get("/crm/v3/objects/tickets/Bug", params={"idProperty": "subject"}), 400, "VALIDATION_ERROR")


def test_new_records_reach_search_after_the_delay(http: httpx.Client, hub: HubSpotDouble, clock: FakeClock) -> None:
    http.post("/crm/v3/objects/contacts", json={"properties": {"email": "new@acme.com"}, "associations": []})
    query = {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "new@acme.com"}]}]}
    assert http.post("/crm/v3/objects/contacts/search", json=query).json()["total"] == 0
    clock.advance(hub.search_delay - 0.1)
    assert http.post("/crm/v3/objects/contacts/search", json=query).json()["total"] == 0
    clock.advance(0.1)
    assert (
        http.post("/crm/v3/objects/contacts/search", json=query).json()["results"][0]["properties"]["email"]
        == "new@acme.com"
    )


def test_search_limits_and_paging(http: httpx.Client, hub: HubSpotDouble) -> None:
    for n in range(250):
        hub.add_contact(f"c{n}@acme.com")
    assert_error(http.post("/crm/v3/objects/contacts/search", json={"limit": 201}), 400, "VALIDATION_ERROR")
    assert_error(
        http.post("/crm/v3/objects/contacts/search", json={"limit": 100, "after": "9950"}), 400, "VALIDATION_ERROR"
    )
    first = http.post("/crm/v3/objects/contacts/search", json={"limit": 200}).json()
    assert (len(first["results"]), first["paging"]["next"]["after"], first["total"]) == (200, "200", 250)
    last = http.post("/crm/v3/objects/contacts/search", json={"limit": 200, "after": "200"}).json()
    assert len(last["results"]) == 50 and "paging" not in last


def test_both_path_styles_reach_the_same_data(http: httpx.Client, hub: HubSpotDouble) -> None:
    created = http.post("/crm/objects/2026-03/tickets", json=ticket("Dated")).json()
    assert http.get(f"/crm/v3/objects/tickets/{created['id']}").json()["properties"]["subject"] == "Dated"
    assert http.get("/crm/pipelines/2026-03/tickets").json() == http.get("/crm/v3/pipelines/tickets").json()
    assert http.get("/crm/properties/2026-03/tickets/subject").json()["name"] == "subject"
    assert_error(http.get("/crm/properties/2026-03/tickets/nope"), 404, "OBJECT_NOT_FOUND")
    assert http.get(f"/crm/objects/2026-03/tickets/{created['id']}/associations/contacts").json() == {"results": []}


def test_batch_read_reports_missing_ids(http: httpx.Client, hub: HubSpotDouble) -> None:
    hub.add_contact("bob@acme.com")
    both = http.post(
        "/crm/v3/objects/contacts/batch/read",
        json={"idProperty": "email", "inputs": [{"id": "bob@acme.com"}, {"id": "x@y.z"}]},
    )
    assert both.status_code == 207
    assert both.json()["errors"][0]["context"]["ids"] == ["x@y.z"] and len(both.json()["results"]) == 1
    assert_error(
        http.post("/crm/v3/objects/contacts/batch/read", json={"inputs": [{"id": "1"}] * 101}), 400, "VALIDATION_ERROR"
    )


def test_batch_upsert_creates_or_updates_by_a_unique_property(http: httpx.Client, hub: HubSpotDouble) -> None:
    bob = hub.add_contact("bob@acme.com", "Bob", "Jones")
    inputs = [{"idProperty": "email", "id": "BOB@acme.com", "properties": {"lastname": "Ray"}},
              {"idProperty": "email", "id": "new@acme.com", "properties": {"firstname": "New"}}]
    answer = http.post("/crm/v3/objects/contacts/batch/upsert", json={"inputs": inputs})
    assert answer.status_code == 200
    (old, new) = answer.json()["results"]
    assert (old["id"], old["new"], new["new"]) == (bob, False, True)
    assert hub.records["contacts"][bob]["properties"]["lastname"] == "Ray"
    assert {k: hub.records["contacts"][new["id"]]["properties"][k] for k in ("email", "firstname")} == {
        "email": "new@acme.com", "firstname": "New"}
    found = http.post("/crm/v3/objects/contacts/search", json={"filterGroups": [{"filters": [
        {"propertyName": "email", "operator": "EQ", "value": "new@acme.com"}]}]}).json()
    assert found["total"] == 0  # a new record reaches search only after the index delay
    assert_error(http.post("/crm/v3/objects/contacts/batch/upsert", json={"inputs": [
        {"idProperty": "firstname", "id": "Bob", "properties": {}}]}), 400, "VALIDATION_ERROR")
    assert_error(http.post("/crm/v3/objects/contacts/batch/upsert", json={"inputs": [
        {"idProperty": "email", "id": "x@y.z", "properties": {"nope": "1"}}]}), 400, "VALIDATION_ERROR")
    assert_error(http.post("/crm/v3/objects/contacts/batch/upsert", json={"inputs": inputs * 51}), 400,
                 "VALIDATION_ERROR")
    assert len(hub.records["contacts"]) == 2  # refused batches changed nothing


def test_ten_secondly_limit_body_headers_and_recovery(http: httpx.Client, hub: HubSpotDouble, clock: FakeClock) -> None:
    hub.max_per_interval = 3
    answers = [http.get("/account-info/v3/details") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-HubSpot-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[0].headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    body = answers[3].json()
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert (body["errorType"], body["policyName"], body["status"]) == ("RATE_LIMIT", "TEN_SECONDLY_ROLLING", "error")
    clock.advance(10.0)
    assert http.get("/account-info/v3/details").status_code == 200


def test_time_scale_shrinks_the_windows(clock: FakeClock) -> None:
    hub = HubSpotDouble(clock=clock, max_per_interval=2, time_scale=0.01)
    with httpx.Client(headers=AUTH, transport=httpx.MockTransport(hub.handler)) as http:
        codes = [http.get("https://api.hubapi.com/account-info/v3/details").status_code for _ in range(3)]
        clock.advance(0.1)
        assert http.get("https://api.hubapi.com/account-info/v3/details").status_code == 200
    assert codes == [200, 200, 429]


def test_daily_and_search_limits(http: httpx.Client, hub: HubSpotDouble) -> None:
    hub.search_per_second = 2
    searches = [http.post("/crm/v3/objects/contacts/search", json={}) for _ in range(3)]
    assert [s.status_code for s in searches] == [200, 200, 429]
    assert searches[2].json()["message"] == "You have reached your secondly limit."
    assert not any(k.lower().startswith("x-hubspot-ratelimit") for k in searches[0].headers)
    hub.exhaust_daily()
    daily = http.get("/account-info/v3/details")
    assert daily.status_code == 429 and daily.json()["policyName"] == "DAILY"
    assert daily.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"


def test_fault_injection_and_request_log(http: httpx.Client, hub: HubSpotDouble) -> None:
    hub.fail_next(2, 503)
    codes = [http.get("/crm/v3/pipelines/tickets").status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    hub.fail_next(1, httpx.ConnectError)
    with pytest.raises(httpx.ConnectError):
        http.get("/crm/v3/pipelines/tickets")
    assert [r.path for r in hub.requests] == ["/crm/v3/pipelines/tickets"] * 4
    assert hub.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_custom_properties_need_a_group_and_are_capped(http: httpx.Client) -> None:
    prop = {
        "name": "rotadesk_key",
        "label": "Key",
        "type": "string",
        "fieldType": "text",
        "groupName": "rotadesk",
        "hasUniqueValue": True,
    }
    assert_error(http.post("/crm/v3/properties/tickets", json=prop), 400, "VALIDATION_ERROR")
    assert (
        http.post("/crm/v3/properties/tickets/groups", json={"name": "rotadesk", "label": "Rotadesk"}).status_code
        == 201
    )
    assert http.post("/crm/v3/properties/tickets", json=prop).json()["hasUniqueValue"] is True
    assert_error(http.post("/crm/v3/properties/tickets", json=prop), 409, "CONFLICT")
    for n in range(9):
        assert http.post("/crm/v3/properties/tickets", json={**prop, "name": f"k{n}"}).status_code == 201
    assert_error(http.post("/crm/v3/properties/tickets", json={**prop, "name": "eleventh"}), 400, "VALIDATION_ERROR")


def test_the_double_over_real_http() -> None:
    hub = HubSpotDouble()
    contact = hub.add_contact("bob@acme.com", "Bob")
    url, stop = hub.serve()
    try:
        with HubSpotClient(TOKEN, base_url=url, prefix="/crm/2026-03", timeout=5.0) as client:
            assert client.portal_id() == 4242
            created = client.create_ticket("Over the wire", "<p>hi</p>", "0", "1", "LOW", contact_id=contact)
            assert client.get_ticket(created.id).contact_ids == (contact,)
            hub.fail_next(1, httpx.RemoteProtocolError)  # the server hangs up without answering
            assert client.get_ticket(created.id).subject == "Over the wire"
            client.log_email(created.id, "Subject", "Body", datetime(2026, 3, 2, tzinfo=timezone.utc))
            assert client.find_contact_by_email("bob@acme.com").firstname == "Bob"
            assert client.last_rate_limit["x-hubspot-ratelimit-max"] == "100"
    finally:
        stop()
    assert len(hub.records["emails"]) == 1


# -- Files API (issue 14: full texts too long for a property) ----------------------------------------------------------
def _upload(http: httpx.Client, data: dict, version: str = "v3") -> httpx.Response:
    return http.post(f"/files/{version}/files", files={"file": ("m.txt", b"full text", "text/plain")}, data=data)


def test_an_upload_needs_options_with_access_and_exactly_one_folder(http: httpx.Client) -> None:
    options = '{"access": "PRIVATE"}'
    assert _upload(http, {"folderPath": "/r"}).status_code == 400  # no options
    assert _upload(http, {"folderPath": "/r", "options": '{"access": "OPEN"}'}).status_code == 400
    assert _upload(http, {"options": options}).status_code == 400  # no folder
    assert _upload(http, {"options": options, "folderPath": "/r", "folderId": "1"}).status_code == 400
    assert http.post("/files/v3/files", json={"options": options}).status_code == 415


def test_an_uploaded_file_is_read_by_id_and_by_path_in_both_path_styles(http: httpx.Client, hub: HubSpotDouble) -> None:
    created = _upload(http, {"folderPath": "/rotadesk/messages", "fileName": "email-1.txt",
                             "options": '{"access": "PRIVATE", "overwrite": true}'}, "2026-03")
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["extension"], body["path"]) == ("email-1", "txt", "/rotadesk/messages/email-1.txt")
    assert http.get(f"/files/v3/files/{body['id']}").json()["id"] == body["id"]
    assert http.get("/files/v3/files/stat/rotadesk/messages/email-1.txt").json()["file"]["id"] == body["id"]
    assert http.get("/files/v3/files/stat/rotadesk/messages/other.txt").status_code == 404
    again = _upload(http, {"folderPath": "/rotadesk/messages", "fileName": "email-1.txt",
                           "options": '{"access": "PRIVATE", "overwrite": true}'})
    assert again.json()["id"] == body["id"] and len(hub.file_manager.files) == 1  # overwrite keeps the path's file
    renamed = _upload(http, {"folderPath": "/rotadesk/messages", "fileName": "email-1.txt",
                             "options": '{"access": "PRIVATE"}'})
    assert renamed.json()["path"] == "/rotadesk/messages/email-1-1.txt"


def test_a_note_may_only_carry_existing_file_ids(http: httpx.Client, hub: HubSpotDouble) -> None:
    ticket_id = hub.add_ticket("Bug")
    note = {"properties": {"hs_timestamp": "1", "hs_note_body": "n", "hs_attachment_ids": "999"},
            "associations": [assoc(ticket_id, 228)]}
    assert http.post("/crm/v3/objects/notes", json=note).status_code == 400
    file_id = _upload(http, {"folderPath": "/r", "options": '{"access": "PRIVATE"}'}).json()["id"]
    note["properties"]["hs_attachment_ids"] = file_id
    assert http.post("/crm/v3/objects/notes", json=note).status_code == 201
