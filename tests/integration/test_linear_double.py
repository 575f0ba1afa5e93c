"""The Linear double itself: it validates like Linear, answers in Linear's shapes and keeps Linear's rules."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.doubles.hubspot import FakeClock
from tests.doubles.linear import API_KEY, LinearDouble

URL = "https://api.linear.app/graphql"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1_790_000_000.0)


@pytest.fixture
def double(clock: FakeClock) -> LinearDouble:
    return LinearDouble(clock=clock)


@pytest.fixture
def http(double: LinearDouble) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(double.handler), headers={"Authorization": API_KEY}) as client:
        yield client


def post(http: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    return http.post(URL, json={"query": query, "variables": variables or {}})


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json()["errors"]]


def test_an_invalid_document_is_refused_like_linear_refuses_it(http: httpx.Client, double: LinearDouble) -> None:
    response = post(http, "query Bad($id: String!) { issue(id: $id) { id titel team { key } } }", {"id": "ENG-1"})
    assert response.status_code == 400
    assert codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
    error = response.json()["errors"][0]
    assert "Cannot query field 'titel' on type 'Issue'" in error["message"]
    assert error["locations"] and error["extensions"]["statusCode"] == 400
    assert "data" not in response.json() and double.issues == {}


def test_wrong_argument_types_and_unknown_input_fields_are_validation_errors(http: httpx.Client) -> None:
    response = post(http, 'mutation { issueCreate(input: {teamId: 5, titl: "x"}) { success } }')
    assert response.status_code == 400 and set(codes(response)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert len(codes(response)) == 2


def test_a_syntax_error_is_a_parse_failure(http: httpx.Client) -> None:
    response = post(http, "query { viewer { id ")
    assert response.status_code == 400 and codes(response) == ["GRAPHQL_PARSE_FAILED"]


def test_missing_or_wrong_key_is_an_authentication_error(double: LinearDouble) -> None:
    for headers in ({}, {"Authorization": "Bearer " + API_KEY}, {"Authorization": "nope"}):
        with httpx.Client(transport=httpx.MockTransport(double.handler), headers=headers) as client:
            response = post(client, "query { viewer { id } }")
        assert response.status_code == 400 and codes(response) == ["AUTHENTICATION_ERROR"]
        assert response.json()["errors"][0]["extensions"]["type"] == "authentication error"


def test_required_fields_the_double_does_not_model_are_still_filled(http: httpx.Client, double: LinearDouble) -> None:
    double.add_issue("Slow dashboard", priority=1)
    query = """query { issue(id: "ENG-1") {
        id identifier number priority priorityLabel branchName createdAt updatedAt url boardOrder labelIds
        sharedAccess { isShared } reactionData subscribers { nodes { id } pageInfo { hasNextPage } }
        team { key organization { name urlKey customersEnabled workingDays } } state { name type color position }
        creator { email isMe } children { nodes { id } } } }"""
    response = post(http, query)
    assert response.status_code == 200 and "errors" not in response.json()
    issue = response.json()["data"]["issue"]
    assert (issue["identifier"], issue["number"], issue["priorityLabel"]) == ("ENG-1", 1.0, "Urgent")
    assert issue["branchName"] == "eng-1-slow-dashboard"
    assert issue["state"]["name"] == "Triage" and issue["creator"] == {"email": "rota-bot@acme.test", "isMe": True}
    assert issue["team"]["organization"]["customersEnabled"] is True
    assert issue["createdAt"].endswith("Z") and issue["children"]["nodes"] == []
    assert isinstance(issue["sharedAccess"]["isShared"], bool)


def test_unmodelled_root_fields_say_so(http: httpx.Client) -> None:
    response = post(http, "query { projects { nodes { id } } }")
    assert response.status_code == 400
    assert "not supported by the double" in response.json()["errors"][0]["message"]


def test_missing_entities_are_input_errors(http: httpx.Client) -> None:
    response = post(http, "query($id: String!) { issue(id: $id) { id } }", {"id": str(uuid.uuid4())})
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INPUT_ERROR" and error["message"] == "Entity not found: Issue"
    assert response.json()["data"] is None


def test_a_client_chosen_id_is_honoured_once(http: httpx.Client, double: LinearDouble) -> None:
    team_id = double.team("ENG")["id"]
    mutation = "mutation($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier } } }"
    chosen = str(uuid.uuid4())
    first = post(http, mutation, {"input": {"id": chosen, "teamId": team_id, "title": "A"}}).json()
    assert first["data"]["issueCreate"] == {"success": True, "issue": {"id": chosen, "identifier": "ENG-1"}}
    again = post(http, mutation, {"input": {"id": chosen, "teamId": team_id, "title": "A"}})
    assert codes(again) == ["INPUT_ERROR"] and "already exists" in again.json()["errors"][0]["message"]
    not_uuid = post(http, mutation, {"input": {"id": "my-id", "teamId": team_id, "title": "B"}})
    assert codes(not_uuid) == ["INPUT_ERROR"] and len(double.issues) == 1


def test_set_state_stamps_completion_and_reopening_clears_it(double: LinearDouble, clock: FakeClock) -> None:
    issue = double.add_issue("Crash on save")
    assert issue["stateId"] == double.state(issue["teamId"], "Triage")["id"]
    clock.advance(60)
    double.set_state("ENG-1", "Done")
    assert issue["completedAt"] and issue["updatedAt"] > issue["createdAt"]
    double.set_state(issue["id"], "Duplicate")
    assert issue["completedAt"] is None and issue["canceledAt"]


def test_team_without_triage_puts_new_issues_in_backlog(double: LinearDouble) -> None:
    double.add_team("OPS", "Operations", triage=False)
    assert double.states[double.add_issue("Disk full", team_key="OPS")["stateId"]]["name"] == "Backlog"


def test_customer_rules(http: httpx.Client, double: LinearDouble) -> None:
    mutation = (
        "mutation($input: CustomerUpsertInput!) "
        "{ customerUpsert(input: $input) { success customer { id name tier { name } } } }"
    )
    acme = post(
        http, mutation, {"input": {"externalId": "1", "name": "Acme", "domains": ["acme.com"], "tierName": "Gold"}}
    ).json()
    hooli = post(http, mutation, {"input": {"externalId": "2", "name": "Hooli", "domains": ["hooli.com"]}}).json()
    clash = post(http, mutation, {"input": {"externalId": "2", "domains": ["acme.com"]}})
    assert (
        codes(clash) == ["INPUT_ERROR"]
        and "acme.com already belongs to customer Acme" in clash.json()["errors"][0]["message"]
    )
    by_id = post(
        http, mutation, {"input": {"id": acme["data"]["customerUpsert"]["customer"]["id"], "name": "Acme Inc"}}
    ).json()
    assert by_id["data"]["customerUpsert"]["customer"]["name"] == "Acme Inc"
    assert by_id["data"]["customerUpsert"]["customer"]["tier"] == {"name": "Gold"}
    assert hooli["data"]["customerUpsert"]["customer"]["tier"] is None and len(double.customers) == 2


def test_customer_requests_switched_off_are_forbidden(http: httpx.Client, double: LinearDouble) -> None:
    double.customer_requests_enabled = False
    response = post(http, 'mutation { customerUpsert(input: {name: "Acme"}) { success } }')
    error = response.json()["errors"][0]
    assert (error["extensions"]["code"], error["extensions"]["type"], error["extensions"]["statusCode"]) == (
        "FORBIDDEN",
        "forbidden",
        403,
    )
    assert double.customers == {}


def test_rate_limit_headers_on_every_answer_and_ratelimited_error(
    http: httpx.Client, double: LinearDouble, clock: FakeClock
) -> None:
    double.rate_limit, double.rate_window, double.ratelimit_status = 2, 60.0, 429
    answers = [post(http, "query { viewer { id } }") for _ in range(3)]
    assert [a.headers["X-RateLimit-Requests-Remaining"] for a in answers] == ["1", "0", "0"]
    assert {a.headers["X-RateLimit-Requests-Reset"] for a in answers} == {str(int((clock() + 60) * 1000))}
    assert answers[2].status_code == 429 and codes(answers[2]) == ["RATELIMITED"]
    clock.advance(60)
    assert post(http, "query { viewer { id } }").status_code == 200


def test_fail_next_answers_like_a_broken_gateway(http: httpx.Client, double: LinearDouble) -> None:
    double.fail_next(1, status=502)
    broken = post(http, "query { viewer { id } }")
    assert broken.status_code == 502 and broken.headers["content-type"] == "text/html"
    assert post(http, "query { viewer { id } }").status_code == 200
    assert len(double.requests) == 2


def test_filters_pagination_and_cursors(http: httpx.Client, double: LinearDouble) -> None:
    for n in range(7):
        double.add_issue(f"Issue {n}", state_name="Done" if n % 2 else "Todo")
    query = """query($after: String) { issues(first: 2, after: $after, filter: {state: {type: {eq: "completed"}}}) {
        nodes { identifier } edges { cursor } pageInfo { hasNextPage endCursor } } }"""
    seen, after = [], None
    while True:
        page = post(http, query, {"after": after}).json()["data"]["issues"]
        seen += [n["identifier"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == ["ENG-2", "ENG-4", "ENG-6"]


def test_the_real_http_server_answers_the_same(double: LinearDouble) -> None:
    url, stop = double.serve()
    try:
        response = httpx.post(
            url, json={"query": "query { viewer { email } }"}, headers={"Authorization": API_KEY}, timeout=5
        )
        invalid = httpx.post(
            url, json={"query": "query { viewer { mail } }"}, headers={"Authorization": API_KEY}, timeout=5
        )
    finally:
        stop()
    assert response.json() == {"data": {"viewer": {"email": "rota-bot@acme.test"}}}
    assert "X-RateLimit-Requests-Limit" in response.headers
    assert invalid.status_code == 400 and codes(invalid) == ["GRAPHQL_VALIDATION_FAILED"]
