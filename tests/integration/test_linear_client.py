"""LinearClient against the schema-executing Linear double."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from core.errors import ConfigError, LinearError, LinearRateLimited
from core.linear import INT32_MAX, USER_MISS_TTL, LinearClient, LinearFeatureDisabled
from core.settings import Settings
from tests.doubles.hubspot import FakeClock
from tests.doubles.linear import API_KEY, LinearDouble

START = 1_790_000_000.0  # 2026-09-21, epoch seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=START)


@pytest.fixture
def double(clock: FakeClock) -> LinearDouble:
    return LinearDouble(clock=clock)


@pytest.fixture
def client(double: LinearDouble, clock: FakeClock) -> Iterator[LinearClient]:
    with LinearClient(API_KEY, transport=httpx.MockTransport(double.handler), sleep=clock.sleep, clock=clock) as c:
        yield c


@pytest.fixture
def eng(client: LinearClient) -> str:
    return client.team_by_key("ENG").id


def new_issue(client: LinearClient, team_id: str, title: str = "Export fails for Globex", **kwargs: object):
    return client.create_issue(team_id, title, "Steps to reproduce", 2, [], **kwargs)


def test_viewer_names_the_user_and_workspace(client: LinearClient) -> None:
    viewer = client.viewer()
    assert (viewer.email, viewer.organization, viewer.url_key) == ("rota-bot@acme.test", "Acme Software", "acme")


def test_personal_key_is_sent_without_bearer_and_oauth_token_as_given(double: LinearDouble) -> None:
    double.api_keys.add("Bearer oauth-token-1")
    for key in (API_KEY, "Bearer oauth-token-1"):
        with LinearClient(key, transport=httpx.MockTransport(double.handler)) as c:
            c.viewer()
    assert [r["authorization"] for r in double.requests] == [API_KEY, "Bearer oauth-token-1"]


def test_team_and_states_are_cached_per_client(client: LinearClient, double: LinearDouble) -> None:
    team = client.team_by_key("eng")
    states = client.workflow_states(team.id)
    assert team.key == "ENG" and team.name == "Engineering"
    assert [s.name for s in states] == ["Triage", "Backlog", "Todo", "In Progress", "Done", "Canceled", "Duplicate"]
    assert {s.name: s.type for s in states}["Duplicate"] == "canceled"
    calls = client.calls
    assert client.team_by_key("ENG") == team
    assert client.state_by_name(team.id, "done").type == "completed"
    assert client.calls == calls == len(double.requests) == 2


def test_unknown_team_and_state_are_clear_errors(client: LinearClient, eng: str) -> None:
    with pytest.raises(LinearError, match="no team with key 'OPS'"):
        client.team_by_key("ops")
    with pytest.raises(LinearError, match="no workflow state named 'Shipped'"):
        client.state_by_name(eng, "Shipped")


def test_ensure_label_creates_a_missing_label_once(client: LinearClient, double: LinearDouble, eng: str) -> None:
    double.add_label("customer", team_key=None)  # a workspace label is usable too
    assert client.ensure_label(eng, "Customer", "#f00").id in double.labels
    created = client.ensure_label(eng, "support-escalation", "#ff0000")
    again = client.ensure_label(eng, "Support-Escalation", "#00ff00")
    assert created == again and created.color == "#ff0000"
    assert double.operations().count("LabelCreate") == 1
    assert {label.name for label in client.labels(eng)} == {"customer", "support-escalation"}


def test_user_by_email_ignores_case_caches_hits_and_asks_again_after_a_miss(
    client: LinearClient, double: LinearDouble, clock: FakeClock
) -> None:
    ada = double.add_user("Ada Lovelace", "ada@acme.test")
    assert client.user_by_email("ADA@acme.test").id == ada["id"]
    assert client.user_by_email("ada@acme.test").id == ada["id"]
    assert client.user_by_email("new@acme.test") is None
    joined = double.add_user("New Hire", "new@acme.test")  # joins the workspace while the worker runs
    assert client.user_by_email("new@acme.test") is None  # a miss stands for a while: no query per escalation
    clock.advance(USER_MISS_TTL + 1)
    assert client.user_by_email("new@acme.test").id == joined["id"]
    assert double.operations().count("UserByEmail") == 3


def test_a_user_with_another_address_is_not_taken_for_the_one_asked_for() -> None:
    answer = {
        "data": {
            "users": {
                "nodes": [
                    {
                        "id": "u1",
                        "name": "Someone Else",
                        "displayName": "se",
                        "email": "someone@acme.test",
                        "active": True,
                    }
                ]
            }
        }
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answer))
    with LinearClient(API_KEY, transport=transport) as client:
        assert client.user_by_email("ada@acme.test") is None


def _issue_node(n: int, updated: str, state_type: str) -> dict:
    return {
        "id": f"i{n}",
        "identifier": f"ENG-{n}",
        "url": f"https://linear.app/x/issue/ENG-{n}",
        "title": "t",
        "description": "",
        "priority": 0,
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": updated,
        "completedAt": None,
        "canceledAt": None,
        "state": {"id": "s", "name": state_type, "type": state_type},
        "team": {"id": "team", "key": "ENG"},
        "assignee": None,
        "labels": {"nodes": []},
    }


def test_a_server_that_ignores_filters_cannot_flood_the_caller() -> None:
    """Only what was asked for comes back, even from a server that answers every query with everything."""
    nodes = [
        _issue_node(1, "2026-03-02T10:00:00.000Z", "completed"),
        _issue_node(2, "2026-03-01T10:00:00.000Z", "completed"),
        _issue_node(3, "2026-03-02T11:00:00.000Z", "started"),
    ]
    answers = {
        "Issues": {"issues": {"nodes": nodes, "pageInfo": {"hasNextPage": False, "endCursor": None}}},
        "TeamByKey": {
            "teams": {
                "nodes": [{"id": "t0", "key": "OPS", "name": "Ops"}, {"id": "t1", "key": "ENG", "name": "Engineering"}]
            }
        },
        "CommentsStartingWith": {
            "issue": {
                "comments": {
                    "nodes": [
                        {
                            "id": "c1",
                            "body": "Customer note: fixed",
                            "createdAt": "2026-03-02T09:00:00.000Z",
                            "url": "u",
                            "user": None,
                        },
                        {
                            "id": "c2",
                            "body": "internal: later",
                            "createdAt": "2026-03-02T10:00:00.000Z",
                            "url": "u",
                            "user": None,
                        },
                    ],
                    "pageInfo": {"hasNextPage": False, "endCursor": None},
                }
            }
        },
    }

    def lenient(request: httpx.Request) -> httpx.Response:
        operation = request.read().decode().split("query ", 1)[1].split("(", 1)[0].split()[0]
        return httpx.Response(200, json={"data": answers[operation]})

    with LinearClient(API_KEY, transport=httpx.MockTransport(lenient)) as client:
        since = datetime(2026, 3, 2, tzinfo=timezone.utc)
        assert [i.identifier for i in client.issues_updated_since("t1", since, ("completed",))] == ["ENG-1"]
        assert client.team_by_key("eng").id == "t1"
        assert client.latest_comment_starting_with("i1", "Customer note:").id == "c1"


def test_create_issue_lands_in_triage_with_our_id_and_labels(
    client: LinearClient, double: LinearDouble, eng: str
) -> None:
    label = client.ensure_label(eng, "bug", "#eb5757")
    chosen = str(uuid.uuid4())
    issue = client.create_issue(eng, "Export fails", "Details **here**", 1, [label.id], issue_id=chosen)
    assert issue.id == chosen and issue.identifier == "ENG-1"
    assert (issue.state_name, issue.state_type, issue.priority, issue.labels) == ("Triage", "triage", 1, ("bug",))
    assert issue.url == "https://linear.app/acme/issue/ENG-1/export-fails"
    assert double.issues[chosen]["description"] == "Details **here**"


def test_create_issue_with_state_and_assignee(client: LinearClient, double: LinearDouble, eng: str) -> None:
    ada = double.add_user("Ada Lovelace", "ada@acme.test")
    todo = client.state_by_name(eng, "Todo")
    issue = new_issue(client, eng, state_id=todo.id, assignee_id=ada["id"])
    assert (issue.state_name, issue.assignee_email, issue.assignee_name) == ("Todo", "ada@acme.test", "Ada Lovelace")


def test_create_issue_retry_after_a_lost_answer_finds_the_issue(
    client: LinearClient, double: LinearDouble, eng: str, clock: FakeClock
) -> None:
    double.fail_next(1, timeout=True, processed=True)  # Linear created it, but the answer never arrived
    issue = new_issue(client, eng)
    assert len(double.issues) == 1 and issue.id in double.issues
    assert double.operations()[-2:] == ["IssueCreate", "Issue"]
    assert len(clock.sleeps) == 1 and 0 < clock.sleeps[0] <= 1.0


def test_create_issue_again_with_the_same_id_returns_the_existing_issue(
    client: LinearClient, double: LinearDouble, eng: str
) -> None:
    chosen = str(uuid.uuid4())
    first = new_issue(client, eng, issue_id=chosen)
    second = new_issue(client, eng, issue_id=chosen)  # a re-run after a crash
    assert second.identifier == first.identifier and len(double.issues) == 1


def test_create_issue_retries_a_503_before_anything_was_created(
    client: LinearClient, double: LinearDouble, eng: str
) -> None:
    double.fail_next(2, status=503)
    issue = new_issue(client, eng)
    assert issue.identifier == "ENG-1"
    # The lookup before the retry hit the second 503 and was itself retried.
    assert double.operations()[1:] == ["IssueCreate", "Issue", "Issue", "IssueCreate"]


def test_get_issue_by_identifier_or_id_and_missing(client: LinearClient, eng: str) -> None:
    issue = new_issue(client, eng)
    assert client.get_issue(issue.identifier).id == issue.id
    assert client.get_issue(issue.id).identifier == "ENG-1"
    assert client.find_issue("ENG-999") is None
    with pytest.raises(LinearError, match="ENG-999 not found"):
        client.get_issue("ENG-999")


def test_update_issue_moves_state_and_sets_fields(
    client: LinearClient, double: LinearDouble, eng: str, clock: FakeClock
) -> None:
    issue = new_issue(client, eng)
    clock.advance(60)
    done = client.state_by_name(eng, "Done")
    updated = client.update_issue(issue.id, state_id=done.id, title="Export fails (fixed)", priority=3)
    assert (updated.state_type, updated.title, updated.priority) == ("completed", "Export fails (fixed)", 3)
    assert updated.completed_at is not None and updated.updated_at - issue.updated_at > timedelta(seconds=59)


def test_attachment_is_idempotent_per_url(client: LinearClient, double: LinearDouble, eng: str) -> None:
    issue = new_issue(client, eng)
    url = "https://app.hubspot.com/contacts/123/ticket/456"
    meta = {
        "attributes": [{"name": "Tier", "value": "Enterprise"}],
        "messages": [{"subject": "Export", "body": "It fails", "timestamp": "2026-09-21T10:00:00Z"}],
    }
    first = client.create_attachment(issue.id, "HubSpot #456", url, "Opened {openedAt__since}", meta)
    second = client.create_attachment(issue.id, "HubSpot #456 (Globex)", url)
    assert second.id == first.id and second.title == "HubSpot #456 (Globex)"
    assert first.metadata == meta and first.subtitle == "Opened {openedAt__since}"
    found = client.attachments_for_url(url)
    assert [(a.id, a.issue_identifier) for a in found] == [(first.id, "ENG-1")]
    assert client.attachments_for_url("https://app.hubspot.com/contacts/123/ticket/999") == []


def test_latest_comment_starting_with_the_marker(client: LinearClient, eng: str, clock: FakeClock) -> None:
    issue, other = new_issue(client, eng), new_issue(client, eng, "Another")
    client.create_comment(issue.id, "Customer note: first draft")
    clock.advance(30)
    client.create_comment(issue.id, "Customer note: the export now handles 10k rows.")
    clock.advance(30)
    client.create_comment(issue.id, "internal: deployed")
    client.create_comment(other.id, "Customer note: other issue")
    latest = client.latest_comment_starting_with(issue.id, "Customer note:")
    assert latest is not None and latest.body == "Customer note: the export now handles 10k rows."
    assert latest.user_email == "rota-bot@acme.test"
    assert client.latest_comment_starting_with(new_issue(client, eng, "Third").id, "Customer note:") is None


def test_customer_upsert_merges_by_domain_and_creates_the_tier(client: LinearClient, double: LinearDouble) -> None:
    first = client.customer_upsert(
        "hs-1", "Globex", ["globex.com"], revenue=5_000_000_000, size=250, tier_name="Enterprise"
    )
    second = client.customer_upsert("hs-1b", "Globex Corp", ["GLOBEX.com", "globex.io"])
    assert second.id == first.id and len(double.customers) == 1
    assert second.external_ids == ("hs-1", "hs-1b") and second.domains == ("globex.com", "globex.io")
    assert first.tier == second.tier == "Enterprise" and len(double.tiers) == 1
    assert double.customers[first.id]["revenue"] == INT32_MAX  # Linear's Int is 32-bit


def test_customer_need_links_issue_customer_and_attachment(
    client: LinearClient, double: LinearDouble, eng: str
) -> None:
    issue = new_issue(client, eng)
    customer = client.customer_upsert("hs-7", "Initech", ["initech.com"])
    url = "https://app.hubspot.com/contacts/1/ticket/7"
    need = client.customer_need_create(
        issue.id, customer_external_id="hs-7", attachment_url=url, body="Blocks payroll", priority=1
    )
    assert (need.customer_id, need.issue_id) == (customer.id, issue.id)
    assert double.attachments[need.attachment_id]["url"] == url
    assert double.needs[need.id]["priority"] == 1.0
    with pytest.raises(ValueError):
        client.customer_need_create(issue.id, body="no customer")


def test_customer_needs_lists_an_issues_needs(client: LinearClient, double: LinearDouble, eng: str) -> None:
    issue, other = new_issue(client, eng), new_issue(client, eng, "Another bug")
    assert client.customer_needs(issue.id) == []
    customer = client.customer_upsert("hs-7", "Initech", ["initech.com"])
    attachment = client.create_attachment(issue.id, "Ticket", "https://app.hubspot.com/contacts/1/record/0-5/7")
    need = client.customer_need_create(issue.id, customer_id=customer.id, attachment_id=attachment.id)
    client.customer_need_create(other.id, customer_id=customer.id)
    assert client.customer_needs(issue.id) == [need]
    assert need.attachment_id == attachment.id and need.issue_id == issue.id
    assert client.customer_needs(str(uuid.uuid4())) == []  # an unknown issue has none


def test_refresh_labels_sees_a_label_added_elsewhere(client: LinearClient, double: LinearDouble, eng: str) -> None:
    assert client.labels(eng) == []
    double.add_label("bug")
    assert client.labels(eng) == []  # cached
    assert [label.name for label in client.refresh_labels(eng)] == ["bug"]
    assert client.ensure_label(eng, "BUG").name == "bug" and "LabelCreate" not in double.operations()


def test_customer_features_switched_off_raise_feature_disabled(
    client: LinearClient, double: LinearDouble, eng: str
) -> None:
    issue = new_issue(client, eng)
    double.customer_requests_enabled = False
    with pytest.raises(LinearFeatureDisabled, match="customer requests switched off") as caught:
        client.customer_upsert("hs-1", "Globex", ["globex.com"])
    assert caught.value.retryable is False
    with pytest.raises(LinearFeatureDisabled):
        client.customer_need_create(issue.id, customer_id=str(uuid.uuid4()))


def test_public_mail_domains_are_refused(client: LinearClient) -> None:
    with pytest.raises(LinearError, match="gmail.com is a public email domain"):
        client.customer_upsert("hs-2", "Someone", ["gmail.com"])


def test_issues_updated_since_pages_through_done_and_canceled(
    client: LinearClient, double: LinearDouble, eng: str, clock: FakeClock
) -> None:
    old = double.add_issue("Old", state_name="Done")
    clock.advance(3600)
    since = datetime.fromtimestamp(clock(), timezone.utc)
    ids = {double.add_issue(f"Bug {n}", state_name="Done")["id"] for n in range(55)}
    ids.add(double.add_issue("Dropped", state_name="Duplicate")["id"])
    in_progress = double.add_issue("Busy", state_name="In Progress")
    calls = client.calls
    found = list(client.issues_updated_since(eng, since))
    assert {i.id for i in found} == ids and old["id"] not in ids
    assert client.calls - calls == 2  # 50 + 6 over two pages
    everything = {i.id for i in client.issues_updated_since(eng, since, state_types=None)}
    assert everything == ids | {in_progress["id"]}


def test_issue_moved_out_of_done_shows_up_without_state_filter(
    client: LinearClient, double: LinearDouble, eng: str, clock: FakeClock
) -> None:
    issue = double.add_issue("Regression", state_name="Done")
    clock.advance(600)
    since = datetime.fromtimestamp(clock(), timezone.utc)
    double.set_state(issue["id"], "In Progress")
    assert list(client.issues_updated_since(eng, since)) == []
    [reopened] = client.issues_updated_since(eng, since, state_types=None)
    assert (reopened.state_name, reopened.completed_at) == ("In Progress", None)


@pytest.mark.parametrize("status", [400, 429])
def test_ratelimited_waits_until_the_reset_then_retries(
    client: LinearClient, double: LinearDouble, clock: FakeClock, status: int
) -> None:
    double.rate_limit, double.rate_window, double.ratelimit_status = 2, 50.0, status
    client.viewer()
    clock.advance(20)
    client.viewer()
    assert client.viewer().email == "rota-bot@acme.test"
    assert clock.sleeps == [pytest.approx(30.0, abs=1.0)]
    assert client.calls == 4 and client.last_rate_limit["x-ratelimit-requests-remaining"] == "1"


def test_ratelimited_honours_retry_after(client: LinearClient, double: LinearDouble, clock: FakeClock) -> None:
    double.rate_limit, double.rate_window, double.send_retry_after = 1, 30.0, True
    client.viewer()
    client.viewer()
    assert clock.sleeps == [30.0]


def test_ratelimited_longer_than_max_wait_raises_for_the_caller_to_defer(
    client: LinearClient, double: LinearDouble, clock: FakeClock
) -> None:
    double.rate_limit, double.rate_window = 1, 3600.0
    client.viewer()
    with pytest.raises(LinearRateLimited) as caught:
        client.viewer()
    assert caught.value.retry_after == pytest.approx(3600.0, abs=1.0) and caught.value.retryable
    assert clock.sleeps == []


def test_persistent_5xx_gives_up_after_bounded_jittered_retries(
    client: LinearClient, double: LinearDouble, clock: FakeClock
) -> None:
    double.fail_next(10, status=502)
    with pytest.raises(LinearError, match="HTTP 502") as caught:
        client.viewer()
    assert caught.value.retryable and caught.value.status_code == 502
    assert client.calls == client.max_retries + 1
    assert all(0.5 * 2**n <= wait <= 2**n for n, wait in enumerate(clock.sleeps))


def test_a_refused_key_is_a_clear_error_that_never_shows_the_key(
    double: LinearDouble, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "lin_api_SECRETSECRETSECRET"
    caplog.set_level(logging.DEBUG)
    with LinearClient(secret, transport=httpx.MockTransport(double.handler), sleep=lambda s: None) as c:
        with pytest.raises(LinearError, match="Authentication required") as caught:
            c.viewer()
        double.fail_next(2, status=503)
        with pytest.raises(LinearError):
            c.viewer()
        assert secret not in repr(c)
    assert "AUTHENTICATION_ERROR" in str(caught.value)
    assert secret not in str(caught.value) and secret not in repr(caught.value)
    assert secret not in caplog.text


def test_unsuccessful_mutation_payload_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "data": {
                    "commentCreate": {
                        "success": False,
                        "comment": {"id": "c", "body": "x", "createdAt": "2026-01-01T00:00:00.000Z", "url": ""},
                    }
                }
            },
        )

    with LinearClient(API_KEY, transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(LinearError, match="commentCreate did not succeed"):
            c.create_comment("issue", "body")


def test_from_settings_uses_url_and_key(double: LinearDouble) -> None:
    settings = Settings(linear_api_key=API_KEY, linear_api_url="https://linear.example/graphql")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return double.handler(request)

    with LinearClient.from_settings(settings, transport=httpx.MockTransport(handler)) as c:
        assert c.viewer().name == "Rota Bot"
    assert seen == ["https://linear.example/graphql"]
    with pytest.raises(ConfigError, match="LINEAR_API_KEY"):
        LinearClient.from_settings(Settings())


def test_through_a_real_http_server() -> None:
    double = LinearDouble()
    url, stop = double.serve()
    try:
        with LinearClient(API_KEY, url=url, timeout=5.0) as c:
            team = c.team_by_key("ENG")
            issue = c.create_issue(team.id, "Over the wire", "body", 3, [])
            assert c.get_issue(issue.identifier).title == "Over the wire"
            assert c.last_rate_limit["x-ratelimit-requests-remaining"] == "4997"
    finally:
        stop()


def test_retries_stop_at_the_time_budget(double: LinearDouble, clock: FakeClock) -> None:
    double.fail_next(10, timeout=True)
    with LinearClient(
        API_KEY, transport=httpx.MockTransport(double.handler), sleep=clock.sleep, clock=clock, retry_budget=2.5
    ) as c:
        with pytest.raises(LinearError, match="gave up after .* timed out") as caught:
            c.viewer()
    assert caught.value.retryable and sum(clock.sleeps) <= 2.5 and c.calls >= 2
