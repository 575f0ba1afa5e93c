"""Linear's GraphQL API: the calls Rotadesk makes, returning dataclasses.

Errors come back as ``LinearError``; ``RATELIMITED`` is recognised by its extension code (Linear sends it
with HTTP 400 as well as 429) and retried after the wait Linear names, 5xx answers and timeouts with jittered
backoff, both a bounded number of times. The API key never appears in a message or a log line.
The client may be shared by threads; the dataclasses live in :mod:`core.linear_models` and are re-exported here.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from core import linear_queries as q
from core.errors import ConfigError, LinearError, LinearFeatureDisabled, LinearRateLimited
from core.linear_models import (
    AssignedIssue,
    Attachment,
    Comment,
    Customer,
    CustomerNeed,
    Cycle,
    Document,
    Issue,
    Label,
    State,
    Team,
    User,
    Viewer,
    assigned_from,
    attachment_from,
    comment_from,
    customer_from,
    cycle_from,
    document_from,
    iso_z,
    issue_from,
    need_from,
    user_from,
)
from core.ratelimit import wait_from_headers
from core.settings import Settings, env_name

__all__ = [
    "AssignedIssue", "Attachment", "Comment", "Customer", "CustomerNeed", "Cycle", "Document", "INT32_MAX", "Issue",
    "Label", "LinearClient", "LinearFeatureDisabled", "State", "Team", "User", "Viewer",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
INT32_MAX = 2**31 - 1
DEFAULT_RATE_LIMIT_WAIT = 2.0  # RATELIMITED without any header to go by
USER_MISS_TTL = 900.0  # seconds a "no such user" answer stands; people join the workspace while the worker runs
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]{0,9}-[0-9]{1,9}")  # a team key and a number, such as ENG-42
FEATURE_OFF_CODES = frozenset({"FORBIDDEN", "FEATURE_NOT_ACCESSIBLE", "forbidden", "feature not accessible"})
# An issue's customer needs, for a retry to see whether its need landed (100 is far above what one issue gathers).
ISSUE_NEEDS = """
query IssueNeeds($id: String!) {
  issue(id: $id) { needs(first: 100) { nodes { id customer { id } issue { id } attachment { id } } } }
}
"""


class LinearClient:
    """A small client over Linear's GraphQL endpoint; reference data is cached per instance."""

    def __init__(
        self,
        api_key: str,
        *,
        url: str = "https://api.linear.app/graphql",
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_retries: int = 4,
        max_wait: float = 60.0,
        retry_budget: float = 180.0,
    ) -> None:
        if not api_key:
            raise ConfigError(env_name("linear_api_key"), "is empty")
        self.url = url
        self._sleep, self._clock = sleep, clock
        self.max_retries, self.max_wait, self.retry_budget = max_retries, max_wait, retry_budget
        # Personal keys go as they are; OAuth tokens already carry their "Bearer " prefix.
        headers = {"Authorization": api_key, "User-Agent": "rotadesk"}
        self._http = httpx.Client(headers=headers, timeout=timeout, transport=transport)
        # Signed upload URLs get the file and its headers only: never the API key.
        self._uploads = httpx.Client(headers={"User-Agent": "rotadesk"}, timeout=max(timeout, 60.0),
                                     transport=transport)
        self.calls = 0
        self.last_rate_limit: dict[str, str] = {}
        self._teams: dict[str, Team] = {}
        self._states: dict[str, list[State]] = {}
        self._labels: dict[str, dict[str, Label]] = {}
        self._users: dict[str, User] = {}
        self._user_misses: dict[str, float] = {}
        self._count_lock = threading.Lock()
        self._labels_lock = threading.RLock()  # linking threads share the label cache

    @classmethod
    def from_settings(cls, settings: Settings, transport: httpx.BaseTransport | None = None) -> LinearClient:
        return cls(settings.linear_api_key, url=settings.linear_api_url, transport=transport)

    def __enter__(self) -> LinearClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        self._uploads.close()

    def __repr__(self) -> str:
        return f"LinearClient(url={self.url!r})"

    # Reference data, cached
    def viewer(self) -> Viewer:
        v = self._execute(q.VIEWER, {})["viewer"]
        org = v.get("organization") or {}
        return Viewer(v["id"], v["name"], v["email"], org.get("name", ""), org.get("urlKey", ""))

    def team_by_key(self, key: str) -> Team:
        key = key.upper()
        if key not in self._teams:
            nodes = self._execute(q.TEAM_BY_KEY, {"key": key})["teams"]["nodes"]
            found = next((n for n in nodes if n["key"].upper() == key), None)
            if found is None:
                raise LinearError(f"no team with key {key!r} is visible to this API key")
            self._teams[key] = Team(found["id"], found["key"], found["name"])
        return self._teams[key]

    def workflow_states(self, team_id: str) -> list[State]:
        if team_id not in self._states:
            nodes = self._paginate(q.WORKFLOW_STATES, {"teamId": team_id}, "workflowStates")
            states = [State(n["id"], n["name"], n["type"], n.get("position") or 0.0) for n in nodes]
            self._states[team_id] = sorted(states, key=lambda s: s.position)
        return list(self._states[team_id])

    def state_by_name(self, team_id: str, name: str) -> State:
        for state in self.workflow_states(team_id):
            if state.name.casefold() == name.casefold():
                return state
        raise LinearError(f"team has no workflow state named {name!r}")

    def labels(self, team_id: str) -> list[Label]:
        with self._labels_lock:
            if team_id not in self._labels:
                nodes = self._paginate(q.LABELS, {"teamId": team_id}, "issueLabels")
                self._labels[team_id] = {n["name"].casefold(): Label(n["id"], n["name"], n["color"]) for n in nodes}
            return list(self._labels[team_id].values())

    def refresh_labels(self, team_id: str) -> list[Label]:
        """The team's labels read afresh (someone may have added or removed one since they were cached)."""
        with self._labels_lock:
            self._labels.pop(team_id, None)
            return self.labels(team_id)

    def ensure_label(self, team_id: str, name: str, color: str = "#bec2c8") -> Label:
        """The label called ``name`` (any case), created when the team has none."""
        with self._labels_lock:
            self.labels(team_id)
            found = self._labels[team_id].get(name.casefold())
            if found is None:
                data = self._execute(q.LABEL_CREATE, {"input": {"teamId": team_id, "name": name, "color": color}})
                n = _payload(data, "issueLabelCreate", "issueLabel")
                found = self._labels[team_id][name.casefold()] = Label(n["id"], n["name"], n["color"])
            return found

    def user_by_email(self, email: str) -> User | None:
        key = email.strip().lower()
        if key in self._users:
            return self._users[key]
        missed = self._user_misses.get(key)
        if missed is not None and self._clock() - missed < USER_MISS_TTL:
            return None
        nodes = self._execute(q.USER_BY_EMAIL, {"email": key})["users"]["nodes"]
        found = next((n for n in nodes if (n.get("email") or "").lower() == key), None)
        if found is None:
            self._user_misses[key] = self._clock()
            return None
        self._users[key] = user_from(found)
        return self._users[key]

    # Issues
    def create_issue(
        self,
        team_id: str,
        title: str,
        description: str,
        priority: int,
        label_ids: Sequence[str],
        state_id: str | None = None,
        assignee_id: str | None = None,
        issue_id: str | None = None,
    ) -> Issue:
        """Create an issue whose id we choose, so a retry (or a re-run) finds it instead of duplicating it."""
        issue_id = issue_id or str(uuid.uuid4())
        data: dict[str, Any] = {"id": issue_id, "teamId": team_id, "title": title, "description": description}
        data.update(priority=priority, labelIds=list(label_ids))
        data.update(_present(stateId=state_id, assigneeId=assignee_id))

        def attempt(n: int) -> Issue:
            if n:  # an earlier attempt may have reached Linear before the answer was lost
                existing = self.find_issue(issue_id)
                if existing is not None:
                    return existing
            answer = self._post(q.ISSUE_CREATE, {"input": data})
            return issue_from(_payload(answer, "issueCreate", "issue"))

        try:
            return self._retrying(attempt)
        except LinearError as exc:
            if exc.retryable:
                raise
            existing = self.find_issue(issue_id)  # a duplicate id: created by an earlier run
            if existing is None:
                raise
            return existing

    def find_issue(self, id_or_identifier: str) -> Issue | None:
        data = self._execute(q.ISSUE, {"id": id_or_identifier}, missing_ok=True)
        return None if data is None else issue_from(data["issue"])

    def get_issue(self, id_or_identifier: str) -> Issue:
        found = self.find_issue(id_or_identifier)
        if found is None:
            raise LinearError(f"issue {id_or_identifier} not found")
        return found

    def update_issue(self, issue_id: str, **changes: Any) -> Issue:
        """Apply ``IssueUpdateInput`` fields given in snake or camel case (``state_id=...``, ``labelIds=...``)."""
        data = {_camel(k): v for k, v in changes.items() if v is not None}
        answer = self._execute(q.ISSUE_UPDATE, {"id": issue_id, "input": data})
        return issue_from(_payload(answer, "issueUpdate", "issue"))

    def issues_updated_since(
        self, team_id: str, since: datetime, state_types: Sequence[str] | None = ("completed", "canceled")
    ) -> Iterator[Issue]:
        """Issues of the team updated at or after ``since``; ``state_types=None`` drops the state filter."""
        flt: dict[str, Any] = {"team": {"id": {"eq": team_id}}, "updatedAt": {"gte": iso_z(since)}}
        if state_types:
            flt["state"] = {"type": {"in": list(state_types)}}
        for node in self._paginate(q.ISSUES, {"filter": flt}, "issues"):
            issue = issue_from(node)
            # The filter already says this; checking again keeps a lenient server from flooding the caller.
            if issue.updated_at >= since and (not state_types or issue.state_type in state_types):
                yield issue

    def search_issues(self, team_id: str, text: str, *, limit: int = 10, open_only: bool = True) -> list[Issue]:
        """The team's issues whose identifier is ``text`` or whose title contains it, newest first."""
        text = " ".join(text.split())[:200]
        if not text:
            return []
        flt: dict[str, Any] = {"team": {"id": {"eq": team_id}}, "title": {"containsIgnoreCase": text}}
        if open_only:
            flt["state"] = {"type": {"nin": ["completed", "canceled"]}}
        nodes = self._execute(q.ISSUES_MATCHING, {"filter": flt, "first": limit})["issues"]["nodes"]
        found = [issue_from(n) for n in nodes]
        by_identifier = self.find_issue(text) if _IDENTIFIER.fullmatch(text) else None
        if by_identifier is not None and all(i.id != by_identifier.id for i in found):
            found.insert(0, by_identifier)
        return found[:limit]

    def mark_duplicate(self, issue_id: str, of_issue_id: str, relation_id: str) -> None:
        """Relate ``issue_id`` to ``of_issue_id`` as its duplicate; ``relation_id`` makes a repeat a no-op."""
        data = {"id": relation_id, "issueId": issue_id, "relatedIssueId": of_issue_id, "type": "duplicate"}
        try:
            self._execute(q.ISSUE_RELATION_CREATE, {"input": data})
        except LinearError as exc:
            if exc.retryable or "already exists" not in str(exc).lower():
                raise
    def assigned_activity(self, user_id: str, since: datetime) -> Iterator[AssignedIssue]:
        """Issues assigned to ``user_id`` that changed since ``since`` or are in progress, with their activity."""
        flt = {"assignee": {"id": {"eq": user_id}},
               "or": [{"updatedAt": {"gte": iso_z(since)}}, {"state": {"type": {"eq": "started"}}}]}
        for node in self._paginate(q.ASSIGNED_ACTIVITY, {"filter": flt, "userId": user_id}, "issues"):
            yield assigned_from(node)

    # Attachments and comments
    def create_attachment(
        self, issue_id: str, title: str, url: str, subtitle: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Attachment:
        data = {"issueId": issue_id, "title": title, "url": url, **_present(subtitle=subtitle, metadata=metadata)}
        answer = self._execute(q.ATTACHMENT_CREATE, {"input": data})
        return attachment_from(_payload(answer, "attachmentCreate", "attachment"))

    def attachments_for_url(self, url: str) -> list[Attachment]:
        nodes = self._execute(q.ATTACHMENTS_FOR_URL, {"url": url})["attachmentsForURL"]["nodes"]
        return [attachment_from(n) for n in nodes]

    def create_comment(self, issue_id: str, body: str, comment_id: str | None = None) -> Comment:
        """Comment on an issue; with ``comment_id`` (a UUID) a retry or a re-run finds the comment instead."""
        data = {"issueId": issue_id, "body": body, **_present(id=comment_id)}
        if comment_id is None:
            answer = self._execute(q.COMMENT_CREATE, {"input": data})
            return comment_from(_payload(answer, "commentCreate", "comment"))
        return self._create_once(comment_id, self.find_comment, lambda: comment_from(
            _payload(self._post(q.COMMENT_CREATE, {"input": data}), "commentCreate", "comment")))

    def find_comment(self, comment_id: str) -> Comment | None:
        data = self._execute(q.COMMENT, {"id": comment_id}, missing_ok=True)
        return None if data is None else comment_from(data["comment"])

    def update_comment(self, comment_id: str, body: str) -> Comment:
        answer = self._execute(q.COMMENT_UPDATE, {"id": comment_id, "input": {"body": body}})
        return comment_from(_payload(answer, "commentUpdate", "comment"))

    def cycles(self, team_id: str, since: datetime) -> list[Cycle] | None:
        """The team's cycles ending at or after ``since``, by start; ``None`` when the team does not use cycles."""
        first = self._execute(q.TEAM_CYCLES, {"teamId": team_id, "since": iso_z(since), "after": None})["team"]
        if not first.get("cyclesEnabled"):
            return None
        nodes = self._paginate(q.TEAM_CYCLES, {"teamId": team_id, "since": iso_z(since)}, "team.cycles")
        return sorted((cycle_from(n) for n in nodes), key=lambda c: c.starts_at)

    # Documents
    def create_document(self, project_id: str, title: str, content: str, document_id: str) -> Document:
        """A document in the project under the id we choose, so a retry or a re-run finds it instead."""
        data = {"id": document_id, "projectId": project_id, "title": title, "content": content}
        return self._create_once(document_id, self.find_document, lambda: document_from(
            _payload(self._post(q.DOCUMENT_CREATE, {"input": data}), "documentCreate", "document")))

    def find_document(self, document_id: str) -> Document | None:
        data = self._execute(q.DOCUMENT, {"id": document_id}, missing_ok=True)
        return None if data is None else document_from(data["document"])

    def update_document(self, document_id: str, title: str, content: str) -> Document:
        answer = self._execute(q.DOCUMENT_UPDATE, {"id": document_id, "input": {"title": title, "content": content}})
        return document_from(_payload(answer, "documentUpdate", "document"))

    def _create_once(self, key: str, find: Callable[[str], T | None], create: Callable[[], T]) -> T:
        """Create something whose id is ``key``; an attempt after one whose answer was lost reads it back first."""
        def attempt(n: int) -> T:
            if n:
                existing = find(key)
                if existing is not None:
                    return existing
            return create()

        try:
            return self._retrying(attempt)
        except LinearError as exc:
            if exc.retryable:
                raise
            existing = find(key)  # a duplicate id: created by an earlier run
            if existing is None:
                raise
            return existing

    def latest_comment_starting_with(self, issue_id: str, marker: str) -> Comment | None:
        nodes = self._paginate(q.COMMENTS_STARTING_WITH, {"issueId": issue_id, "prefix": marker}, "issue.comments")
        comments = [comment_from(n) for n in nodes if (n.get("body") or "").startswith(marker)]
        return max(comments, key=lambda c: c.created_at, default=None)

    # Files
    def upload_file(self, filename: str, content_type: str, data: bytes) -> str:
        """Put ``data`` in Linear's storage and return its asset URL, for linking in Markdown.

        ``fileUpload`` hands out a signed URL; the bytes go there in a PUT with the headers it names. Both are
        safe to repeat: an unused signed URL expires, and a repeated PUT writes the same object again.
        """
        variables = {"contentType": content_type, "filename": filename, "size": len(data)}
        payload = self._execute(q.FILE_UPLOAD, variables)["fileUpload"] or {}
        upload = payload.get("uploadFile")
        if not payload.get("success") or not upload:
            raise LinearError("fileUpload did not succeed")
        headers = {"Content-Type": content_type, "Cache-Control": "public, max-age=31536000",
                   **{h["key"]: h["value"] for h in upload.get("headers") or []}}
        self._retrying(lambda _n: self._put(upload["uploadUrl"], data, headers))
        return upload["assetUrl"]

    def _put(self, url: str, data: bytes, headers: dict[str, str]) -> None:
        with self._count_lock:
            self.calls += 1
        try:
            response = self._uploads.put(url, content=data, headers=headers)
        except httpx.TimeoutException as exc:
            raise LinearError("file upload timed out", retryable=True) from exc
        except httpx.RequestError as exc:
            raise LinearError(f"file upload failed: {type(exc).__name__}", retryable=True) from exc
        if response.status_code >= 300:
            # A refused signature (expired, wrong headers) needs a new URL: the step's next attempt asks for one.
            retryable = response.status_code >= 500 or response.status_code == 429
            raise LinearError(f"file upload: HTTP {response.status_code}", status_code=response.status_code,
                              retryable=retryable)

    # Customers (the "customer requests" feature)
    def customer_upsert(
        self,
        external_id: str,
        name: str,
        domains: Sequence[str] = (),
        revenue: float | None = None,
        size: int | None = None,
        tier_name: str | None = None,
    ) -> Customer:
        revenue_int = None if revenue is None else min(int(revenue), INT32_MAX)  # Linear's Int is 32-bit
        data = {"externalId": external_id, "name": name, "domains": list(domains)}
        data.update(_present(revenue=revenue_int, size=size, tierName=tier_name))
        answer = self._execute(q.CUSTOMER_UPSERT, {"input": data}, feature="customer requests")
        return customer_from(_payload(answer, "customerUpsert", "customer"))

    def customer_need_create(
        self,
        issue_id: str,
        *,
        customer_id: str | None = None,
        customer_external_id: str | None = None,
        attachment_id: str | None = None,
        attachment_url: str | None = None,
        body: str | None = None,
        priority: int = 0,
    ) -> CustomerNeed:
        """Link a customer to an issue (``priority`` 1 marks it important), optionally through an attachment."""
        if (customer_id is None) == (customer_external_id is None):
            raise ValueError("give exactly one of customer_id and customer_external_id")
        data = {"issueId": issue_id, "priority": priority}
        data.update(_present(customerId=customer_id, customerExternalId=customer_external_id, body=body))
        data.update(_present(attachmentId=attachment_id, attachmentUrl=attachment_url))
        answer = self._execute(q.CUSTOMER_NEED_CREATE, {"input": data}, feature="customer requests")
        return need_from(_payload(answer, "customerNeedCreate", "need"))

    def customer_needs(self, issue_id: str) -> list[CustomerNeed]:
        """The customer needs linked to an issue (empty when the issue is unknown)."""
        data = self._execute(ISSUE_NEEDS, {"id": issue_id}, missing_ok=True, feature="customer requests")
        issue = (data or {}).get("issue") or {}
        return [need_from(n) for n in (issue.get("needs") or {}).get("nodes", [])]

    # Transport
    def _execute(self, query: str, variables: dict[str, Any], *, missing_ok: bool = False, feature: str = "") -> Any:
        return self._retrying(lambda _n: self._post(query, variables, missing_ok=missing_ok, feature=feature))

    def _paginate(self, query: str, variables: dict[str, Any], root: str) -> Iterator[dict[str, Any]]:
        """Every node of the connection at ``root`` (a dotted path such as ``issue.comments``), page by page."""
        after: str | None = None
        while True:
            page = self._execute(query, {**variables, "after": after})
            for key in root.split("."):
                page = page[key]
            yield from page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]

    def _retrying(self, attempt: Callable[[int], T]) -> T:
        started, failures = self._clock(), 0
        while True:
            try:
                return attempt(failures)
            except LinearRateLimited as exc:
                last, wait = exc, exc.retry_after
                if failures >= self.max_retries or wait > self.max_wait:
                    raise
            except LinearError as exc:
                if not exc.retryable or failures >= self.max_retries:
                    raise
                last, wait = exc, random.uniform(0.5, 1.0) * min(30.0, 2.0**failures)
            if self._clock() - started + wait > self.retry_budget:
                raise LinearError(f"gave up after {failures + 1} attempts ({last})", retryable=True) from last
            failures += 1
            log.info("Linear: retrying in %.1f s (attempt %d)", wait, failures + 1)
            self._sleep(wait)

    def _post(self, query: str, variables: dict[str, Any], *, missing_ok: bool = False, feature: str = "") -> Any:
        with self._count_lock:
            self.calls += 1
        try:
            response = self._http.post(self.url, json={"query": query, "variables": variables})
        except httpx.TimeoutException as exc:
            raise LinearError(f"{_operation(query)} timed out", retryable=True) from exc
        except httpx.RequestError as exc:
            raise LinearError(f"{_operation(query)} failed: {type(exc).__name__}", retryable=True) from exc
        self.last_rate_limit = {k: v for k, v in response.headers.items() if k.lower().startswith("x-ratelimit-")}
        try:
            body = response.json()
        except ValueError:
            body = None
        status = response.status_code
        if isinstance(body, dict) and body.get("errors"):
            error = body["errors"][0]
            ext = error.get("extensions") or {}
            code, kind = ext.get("code") or "", ext.get("type") or ""
            said = ext.get("userPresentableMessage") or error.get("message") or "unknown error"
            text = f"{_operation(query)}: {said}"
            if code == "RATELIMITED" or kind == "ratelimited":
                raise LinearRateLimited(text, retry_after=_rate_limit_wait(response), status_code=status)
            if missing_ok and code == "INPUT_ERROR":
                return None
            if feature and (code in FEATURE_OFF_CODES or kind in FEATURE_OFF_CODES):
                raise LinearFeatureDisabled(f"{feature} switched off in this workspace ({text})", status_code=status)
            raise LinearError(f"{text} ({code or kind or 'error'}, HTTP {status})", status_code=status,
                              retryable=status >= 500)
        if status >= 500 or status == 429:
            raise LinearError(f"{_operation(query)}: HTTP {status}", status_code=status, retryable=True)
        if status >= 400 or not isinstance(body, dict) or body.get("data") is None:
            raise LinearError(f"{_operation(query)}: unexpected answer (HTTP {status})", status_code=status)
        return body["data"]


def _rate_limit_wait(response: httpx.Response) -> float:
    """Seconds to wait: ``retry-after`` if given, else until the spent quota resets (epoch ms)."""
    headers = response.headers
    resets = ("X-RateLimit-Requests-Reset",)
    if headers.get("x-ratelimit-complexity-remaining") == "0":
        resets = ("X-RateLimit-Complexity-Reset",) + resets
    # The server's own Date keeps our clock's skew out of the wait.
    try:
        now = parsedate_to_datetime(headers["date"]).timestamp()
    except (KeyError, TypeError, ValueError):
        now = time.time()
    wait = wait_from_headers(headers, now_epoch=now, reset_headers=resets)
    return DEFAULT_RATE_LIMIT_WAIT if wait is None else wait


def _payload(data: dict[str, Any], mutation: str, entity: str) -> dict[str, Any]:
    payload = data.get(mutation) or {}
    if not payload.get("success") or not payload.get(entity):
        raise LinearError(f"{mutation} did not succeed")
    return payload[entity]


def _present(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _operation(query: str) -> str:
    match = re.search(r"\b(query|mutation)\s+(\w+)", query)
    return match.group(2) if match else "request"
