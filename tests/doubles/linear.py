"""An in-memory Linear that validates and executes every document against Linear's own schema.

Each request is parsed, validated (``GRAPHQL_VALIDATION_FAILED`` on a bad document, as Linear answers) and
executed by graphql-core over ``tests/fixtures/linear/schema.graphql`` with resolvers over dicts, so answers
have exactly Linear's shapes. Non-null fields the double does not model are filled with plausible values.
Use ``httpx.MockTransport(double.handler)``, or ``url, stop = double.serve()`` for a real local server.
Time comes from an injectable ``clock`` (epoch seconds), e.g. ``tests.doubles.hubspot.FakeClock``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import formatdate
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    execute_sync,
    get_named_type,
    is_abstract_type,
    parse,
    validate,
)

from tests.doubles import http

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "linear" / "schema.graphql"
API_KEY = "lin_api_testkey0123456789"
PUBLIC_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "yahoo.com",
        "icloud.com",
        "proton.me",
        "aol.com",
        "gmx.de",
    }
)
PRIORITY_LABELS = {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}
DEFAULT_STATES = (
    ("Triage", "triage", "#fc7840"), ("Backlog", "backlog", "#bec2c8"), ("Todo", "unstarted", "#e2e2e2"),
    ("In Progress", "started", "#f2c94c"), ("Done", "completed", "#5e6ad2"), ("Canceled", "canceled", "#95a2b3"),
    ("Duplicate", "canceled", "#95a2b3"),
)
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT")
UPLOAD_HOST = "uploads.linear.test"  # where signed upload URLs point (Linear's own are on Google Cloud Storage)
ASSET_BASE = "https://uploads.linear.app"
UPLOAD_TTL = 60.0  # seconds a signed upload URL stays valid


@lru_cache(maxsize=1)
def linear_schema() -> GraphQLSchema:
    """Linear's schema, built once per process (the file is 1.2 MB)."""
    return build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))


class LinearFailure(GraphQLError):
    """A Linear-style error raised inside a resolver."""

    def __init__(self, message: str, code: str, kind: str, status: int, user_message: str | None = None) -> None:
        ext = {
            "type": kind,
            "code": code,
            "statusCode": status,
            "userError": status < 500,
            "userPresentableMessage": user_message or message,
        }
        super().__init__(message, extensions=ext)


def not_found(entity: str) -> LinearFailure:
    return LinearFailure(
        f"Entity not found: {entity}", "INPUT_ERROR", "invalid input", 400, f"Could not find referenced {entity}."
    )


def invalid(message: str) -> LinearFailure:
    return LinearFailure(f"Argument Validation Error: {message}", "INPUT_ERROR", "invalid input", 400, message)


def forbidden(message: str) -> LinearFailure:
    return LinearFailure(message, "FORBIDDEN", "forbidden", 403)


def gql_error(message: str, code: str, kind: str, status: int) -> dict[str, Any]:
    return {
        "message": message,
        "extensions": {
            "type": kind,
            "code": code,
            "statusCode": status,
            "userError": True,
            "userPresentableMessage": message,
        },
    }


# (parent type, field) -> (target type, how to reach it from a stored dict); used by fields and filters.
RELATIONS: dict[tuple[str, str], tuple[str, Callable[[LinearDouble, dict[str, Any]], Any]]] = {
    ("Issue", "team"): ("Team", lambda d, n: d.teams[n["teamId"]]),
    ("Issue", "state"): ("WorkflowState", lambda d, n: d.states[n["stateId"]]),
    ("Issue", "assignee"): ("User", lambda d, n: d.users.get(n.get("assigneeId") or "")),
    ("Issue", "creator"): ("User", lambda d, n: d.users.get(n.get("creatorId") or "")),
    ("Issue", "labels"): ("IssueLabel", lambda d, n: [d.labels[i] for i in n["labelIds"]]),
    ("Issue", "comments"): ("Comment", lambda d, n: [c for c in d.comments.values() if c["issueId"] == n["id"]]),
    ("Issue", "attachments"): (
        "Attachment",
        lambda d, n: [a for a in d.attachments.values() if a["issueId"] == n["id"]],
    ),
    ("Issue", "needs"): ("CustomerNeed", lambda d, n: [x for x in d.needs.values() if x["issueId"] == n["id"]]),
    ("Issue", "history"): ("IssueHistory", lambda d, n: [h for h in d.history.values() if h["issueId"] == n["id"]]),
    ("IssueHistory", "issue"): ("Issue", lambda d, n: d.issues[n["issueId"]]),
    ("IssueHistory", "actor"): ("User", lambda d, n: d.users.get(n.get("actorId") or "")),
    ("IssueHistory", "fromState"): ("WorkflowState", lambda d, n: d.states.get(n.get("fromStateId") or "")),
    ("IssueHistory", "toState"): ("WorkflowState", lambda d, n: d.states.get(n.get("toStateId") or "")),
    ("Team", "states"): ("WorkflowState", lambda d, n: [s for s in d.states.values() if s["teamId"] == n["id"]]),
    ("Team", "labels"): ("IssueLabel", lambda d, n: [x for x in d.labels.values() if x.get("teamId") == n["id"]]),
    ("Team", "issues"): ("Issue", lambda d, n: [i for i in d.issues.values() if i["teamId"] == n["id"]]),
    ("Team", "cycles"): ("Cycle", lambda d, n: [c for c in d.cycles.values() if c["teamId"] == n["id"]]),
    ("Cycle", "team"): ("Team", lambda d, n: d.teams[n["teamId"]]),
    ("Team", "organization"): ("Organization", lambda d, n: d.organization),
    ("User", "organization"): ("Organization", lambda d, n: d.organization),
    ("IssueLabel", "organization"): ("Organization", lambda d, n: d.organization),
    ("WorkflowState", "team"): ("Team", lambda d, n: d.teams[n["teamId"]]),
    ("IssueLabel", "team"): ("Team", lambda d, n: d.teams.get(n.get("teamId") or "")),
    ("Comment", "issue"): ("Issue", lambda d, n: d.issues.get(n["issueId"])),
    ("Comment", "user"): ("User", lambda d, n: d.users.get(n.get("userId") or "")),
    ("Attachment", "issue"): ("Issue", lambda d, n: d.issues[n["issueId"]]),
    ("Customer", "tier"): ("CustomerTier", lambda d, n: d.tiers.get(n.get("tierId") or "")),
    ("Customer", "needs"): ("CustomerNeed", lambda d, n: [x for x in d.needs.values() if x["customerId"] == n["id"]]),
    ("Document", "project"): ("Project", lambda d, n: d.projects.get(n.get("projectId") or "")),
    ("Document", "creator"): ("User", lambda d, n: d.users.get(n.get("creatorId") or "")),
    ("CustomerNeed", "customer"): ("Customer", lambda d, n: d.customers.get(n["customerId"])),
    ("CustomerNeed", "issue"): ("Issue", lambda d, n: d.issues.get(n.get("issueId") or "")),
    ("CustomerNeed", "attachment"): ("Attachment", lambda d, n: d.attachments.get(n.get("attachmentId") or "")),
    ("IssueRelation", "issue"): ("Issue", lambda d, n: d.issues[n["issueId"]]),
    ("IssueRelation", "relatedIssue"): ("Issue", lambda d, n: d.issues[n["relatedIssueId"]]),
}


class LinearDouble:
    """A Linear workspace in memory: one organization, team ``ENG`` with the usual workflow states, one user."""

    def __init__(self, *, clock: Callable[[], float] = time.time, api_keys: tuple[str, ...] = (API_KEY,)) -> None:
        self.clock = clock
        self.api_keys = set(api_keys)
        self.requests: list[dict[str, Any]] = []
        self.customer_requests_enabled = True
        self.rate_limit: int | None = None  # requests per window; None: never limited
        self.rate_window = 3600.0
        self.ratelimit_status = 400
        self.send_retry_after = False
        self._window_start: float | None = None
        self._window_count = 0
        self._faults: list[tuple[int, bool, bool]] = []
        self._lock = threading.RLock()
        self._last_ts = ""
        self.organization: dict[str, Any] = {
            "id": _uid(),
            "name": "Acme Software",
            "urlKey": "acme",
            "customersEnabled": True,
            "createdAt": self.now(),
        }
        self.teams: dict[str, dict[str, Any]] = {}
        self.states: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self.attachments: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.tiers: dict[str, dict[str, Any]] = {}
        self.needs: dict[str, dict[str, Any]] = {}
        self.relations: dict[str, dict[str, Any]] = {}
        self.projects: dict[str, dict[str, Any]] = {}
        self.cycles: dict[str, dict[str, Any]] = {}
        self.documents: dict[str, dict[str, Any]] = {}
        self.history: dict[str, dict[str, Any]] = {}  # one IssueHistory entry per state move, as Linear records them
        self.upload_base = f"https://{UPLOAD_HOST}"  # served (see serve), the double's own /uploads
        self.uploads: dict[str, dict[str, Any]] = {}  # signed-URL key -> the file it was handed out for
        self.assets: dict[str, dict[str, Any]] = {}  # asset URL -> {filename, contentType, data}, once PUT
        self.viewer = self.add_user("Rota Bot", "rota-bot@acme.test")
        self.add_team("ENG", "Engineering")

    # Seeding and inspection
    def now(self) -> str:
        """An ISO timestamp from the clock, strictly increasing so orderings are stable."""
        stamp = (
            datetime.fromtimestamp(self.clock(), timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )
        if stamp <= self._last_ts:
            last = datetime.fromisoformat(self._last_ts.replace("Z", "+00:00"))
            stamp = (
                datetime.fromtimestamp(last.timestamp() + 0.001, timezone.utc)
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z")
            )
        self._last_ts = stamp
        return stamp

    def _entity(self, **fields: Any) -> dict[str, Any]:
        stamp = self.now()
        return {"id": _uid(), "createdAt": stamp, "updatedAt": stamp, **fields}

    def add_team(self, key: str, name: str, *, triage: bool = True) -> dict[str, Any]:
        team = self._entity(key=key, name=name, displayName=name, triageEnabled=triage, timezone="UTC", issueSeq=0,
                            cyclesEnabled=False)
        self.teams[team["id"]] = team
        for position, (state_name, kind, color) in enumerate(DEFAULT_STATES):
            if kind != "triage" or triage:
                state = self._entity(
                    name=state_name, type=kind, color=color, position=float(position), teamId=team["id"]
                )
                self.states[state["id"]] = state
        return team

    def add_user(self, name: str, email: str, *, active: bool = True) -> dict[str, Any]:
        user = self._entity(name=name, displayName=name.split()[0].lower(), email=email, active=active)
        user["url"] = f"https://linear.app/{self.organization['urlKey']}/profiles/{user['displayName']}"
        self.users[user["id"]] = user
        return user

    def add_cycle(self, starts_at: datetime, ends_at: datetime, *, team_key: str = "ENG",
                  name: str | None = None) -> dict[str, Any]:
        """A cycle of the team (switching cycles on for it, as creating one in Linear needs)."""
        team = self.team(team_key)
        team["cyclesEnabled"] = True
        number = 1 + sum(1 for c in self.cycles.values() if c["teamId"] == team["id"])
        cycle = self._entity(teamId=team["id"], number=float(number), name=name, startsAt=_stamp(starts_at),
                             endsAt=_stamp(ends_at))
        self.cycles[cycle["id"]] = cycle
        return cycle

    def add_project(self, name: str) -> dict[str, Any]:
        project = self._entity(name=name, slugId=_slug(name), description="", color="#5e6ad2", icon=None)
        project["url"] = f"https://linear.app/{self.organization['urlKey']}/project/{project['slugId']}"
        self.projects[project["id"]] = project
        return project

    def add_label(self, name: str, *, team_key: str | None = "ENG", color: str = "#bec2c8") -> dict[str, Any]:
        label = self._entity(
            name=name, color=color, isGroup=False, teamId=self.team(team_key)["id"] if team_key else None
        )
        self.labels[label["id"]] = label
        return label

    def add_issue(
        self, title: str, *, team_key: str = "ENG", state_name: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        team = self.team(team_key)
        state_id = self.state(team["id"], state_name)["id"] if state_name else None
        return self._create_issue({"teamId": team["id"], "title": title, "stateId": state_id, **fields})

    def team(self, key_or_id: str) -> dict[str, Any]:
        for team in self.teams.values():
            if key_or_id in (team["id"], team["key"]):
                return team
        raise not_found("Team")

    def state(self, team_id: str, name: str) -> dict[str, Any]:
        for state in self.states.values():
            if state["teamId"] == team_id and state["name"].casefold() == name.casefold():
                return state
        raise not_found("WorkflowState")

    def issue(self, id_or_identifier: str) -> dict[str, Any]:
        for issue in self.issues.values():
            if id_or_identifier in (issue["id"], issue["identifier"]):
                return issue
        raise not_found("Issue")

    def set_state(self, issue_id: str, state_name: str, *, actor_id: str | None = None) -> dict[str, Any]:
        """Move an issue to a workflow state, as a person in Linear would (``actor_id``: who; else the API user)."""
        issue = self.issue(issue_id)
        self._apply_state(issue, self.state(issue["teamId"], state_name)["id"], actor_id=actor_id)
        issue["updatedAt"] = self.now()
        return issue

    def add_comment(self, issue_id: str, body: str, *, user_id: str) -> dict[str, Any]:
        """A comment someone wrote on an issue in Linear (the issue's ``updatedAt`` moves with it)."""
        issue = self.issue(issue_id)
        comment = self._entity(issueId=issue["id"], body=body, userId=user_id, bodyData="{}")
        comment["url"] = f"{issue['url']}#comment-{comment['id'][:8]}"
        self.comments[comment["id"]] = comment
        issue["updatedAt"] = comment["createdAt"]
        return comment

    def fail_next(self, n: int, status: int = 503, *, timeout: bool = False, processed: bool = False) -> None:
        """Answer the next ``n`` requests with ``status`` (or a read timeout); ``processed`` runs them first."""
        self._faults.extend([(status, timeout, processed)] * n)

    def operations(self) -> list[str]:
        return [r["operation"] for r in self.requests]

    # HTTP
    def handler(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            if request.url.host == UPLOAD_HOST or request.url.path.startswith("/uploads/"):
                return self._upload_put(request)
            self._record(request)
            fault = self._faults.pop(0) if self._faults else None
            if fault and not fault[2]:
                return self._fault(request, fault)
            response = self._handle(request)
            return self._fault(request, fault) if fault else response

    def _upload_put(self, request: httpx.Request) -> httpx.Response:
        """A PUT to a signed URL from ``fileUpload``: checked as Google Cloud Storage checks a signed PUT."""
        self.requests.append({"operation": f"{request.method} upload", "query": "", "variables": {},
                              "authorization": request.headers.get("authorization", "")})
        fault = self._faults.pop(0) if self._faults else None
        if fault and not fault[2]:
            return self._fault(request, fault)
        key = request.url.path.strip("/").removeprefix("uploads/")
        pending = self.uploads.get(key)

        def refuse(status: int, code: str) -> httpx.Response:
            return httpx.Response(status, text=f"<Error><Code>{code}</Code></Error>",
                                  headers={"content-type": "application/xml"})

        if request.method != "PUT":
            return refuse(405, "MethodNotAllowed")
        if pending is None or request.url.params.get("X-Goog-Signature") != pending["signature"]:
            return refuse(403, "SignatureDoesNotMatch")
        if self.clock() > pending["expires"]:
            return refuse(400, "ExpiredToken")
        if "authorization" in request.headers:
            return refuse(400, "InvalidArgument")  # a signed URL carries its own credentials
        for header in pending["headers"]:
            if request.headers.get(header["key"]) != header["value"]:
                return refuse(403, "SignatureDoesNotMatch")
        if request.headers.get("content-type") != pending["contentType"]:
            return refuse(403, "SignatureDoesNotMatch")
        data = request.content
        if len(data) != pending["size"]:
            return refuse(400, "EntityTooLarge" if len(data) > pending["size"] else "EntityTooSmall")
        self.assets[pending["assetUrl"]] = {"filename": pending["filename"], "contentType": pending["contentType"],
                                            "data": bytes(data)}
        response = httpx.Response(200, text="")
        return self._fault(request, fault) if fault else response

    def _fault(self, request: httpx.Request, fault: tuple[int, bool, bool]) -> httpx.Response:
        status, timeout, _ = fault
        if timeout:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(
            status, text="<html><body>upstream unavailable</body></html>", headers={"content-type": "text/html"}
        )

    def _record(self, request: httpx.Request) -> None:
        body = _body(request)
        query = body.get("query") or ""
        match = re.search(r"\b(?:query|mutation)\s+(\w+)", query)
        self.requests.append(
            {
                "operation": match.group(1) if match else "",
                "query": query,
                "variables": body.get("variables") or {},
                "authorization": request.headers.get("authorization", ""),
            }
        )

    def _handle(self, request: httpx.Request) -> httpx.Response:
        body = _body(request)
        query, variables = body.get("query") or "", body.get("variables") or {}
        headers = self._rate_headers()
        if request.headers.get("authorization") not in self.api_keys:
            error = gql_error(
                "Authentication required, not authenticated", "AUTHENTICATION_ERROR", "authentication error", 401
            )
            return self._json(400, {"errors": [error]}, headers)
        if self.rate_limit is not None and self._window_count > self.rate_limit:
            error = gql_error("Rate limit exceeded", "RATELIMITED", "ratelimited", 429)
            if self.send_retry_after:
                headers["Retry-After"] = str(max(1, round(self._window_start + self.rate_window - self.clock())))
            return self._json(self.ratelimit_status, {"errors": [error]}, headers)
        return self._execute(query, variables, body.get("operationName"), headers)

    def _execute(
        self, query: str, variables: dict[str, Any], operation: str | None, headers: dict[str, str]
    ) -> httpx.Response:
        try:
            document = parse(query)
        except GraphQLError as exc:
            return self._json(400, {"errors": [_formatted(exc, "GRAPHQL_PARSE_FAILED")]}, headers)
        problems = validate(linear_schema(), document)
        if problems:
            return self._json(400, {"errors": [_formatted(p, "GRAPHQL_VALIDATION_FAILED") for p in problems]}, headers)
        result = execute_sync(linear_schema(), document, root_value=self, variable_values=variables,
                              operation_name=operation, field_resolver=self._resolve)
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [_formatted(e, "INTERNAL_SERVER_ERROR") for e in result.errors]
            failed = result.data is None or all(v is None for v in result.data.values())
            return self._json(400 if failed else 200, payload, headers)
        return self._json(200, payload, headers)

    def _rate_headers(self) -> dict[str, str]:
        now = self.clock()
        if self._window_start is None or now >= self._window_start + self.rate_window:
            self._window_start, self._window_count = now, 0
        self._window_count += 1
        limit = self.rate_limit if self.rate_limit is not None else 5000
        return {
            "X-RateLimit-Requests-Limit": str(limit),
            "X-RateLimit-Requests-Remaining": str(max(0, limit - self._window_count)),
            "X-RateLimit-Requests-Reset": str(int((self._window_start + self.rate_window) * 1000)),
            "Date": formatdate(now, usegmt=True),
        }

    @staticmethod
    def _json(status: int, payload: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return httpx.Response(status, json=payload, headers=headers)

    def serve(self, port: int = 0) -> tuple[str, Callable[[], None]]:
        """Run :meth:`handler` as an HTTP server on localhost; returns its GraphQL URL and a stop function."""
        url, stop = http.serve(lambda request: self.handler(request), "/graphql", port)  # late-bound: tests wrap it
        self.upload_base = url.removesuffix("/graphql") + "/uploads"  # signed upload URLs point back here
        return url, stop

    # Field resolution
    def _resolve(self, source: Any, info: Any, **args: Any) -> Any:
        parent = info.parent_type.name
        if parent in ("Query", "Mutation"):
            handler = getattr(self, f"q_{info.field_name}", None)
            if handler is None:
                raise LinearFailure(
                    f"{info.field_name} is not supported by the double", "INTERNAL_SERVER_ERROR", "internal error", 500
                )
            return handler(**args)
        relation = RELATIONS.get((parent, info.field_name))
        if relation is not None:
            value = relation[1](self, source)
        elif isinstance(source, dict) and info.field_name in source:
            value = source[info.field_name]
        else:
            value = self._computed(parent, info.field_name, source)
        if value is None:
            return self._plausible(info.return_type, source)
        named = get_named_type(info.return_type)
        if named.name.endswith("Connection") and isinstance(value, list):
            return self._connection(value, named.name[: -len("Connection")], args)
        return value

    def _computed(self, parent: str, name: str, source: dict[str, Any]) -> Any:
        if parent == "Issue" and name == "priorityLabel":
            return PRIORITY_LABELS[int(source["priority"])]
        if parent == "Issue" and name == "branchName":
            return f"{source['identifier'].lower()}-{_slug(source['title'])}"
        if parent == "User" and name == "isMe":
            return source["id"] == self.viewer["id"]
        if parent == "Customer" and name == "approximateNeedCount":
            return float(sum(1 for x in self.needs.values() if x["customerId"] == source["id"]))
        if parent == "Organization" and name == "customersEnabled":
            return self.customer_requests_enabled
        return None

    def _connection(self, nodes: list[dict[str, Any]], typename: str, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("filter"):
            nodes = [n for n in nodes if self.matches(typename, n, args["filter"])]
        if not args.get("includeArchived"):
            nodes = [n for n in nodes if not n.get("archivedAt")]
        order = "updatedAt" if args.get("orderBy") == "updatedAt" else "createdAt"
        nodes = sorted(nodes, key=lambda n: n.get(order) or "", reverse=True)  # newest first, as Linear lists
        start = 0
        if args.get("after"):
            ids = [n["id"] for n in nodes]
            if args["after"] not in ids:
                raise invalid("after cursor is not valid")
            start = ids.index(args["after"]) + 1
        first = args.get("first") or 50
        if first > 250:
            raise invalid("first must be at most 250")
        page = nodes[start : start + first]
        return {
            "nodes": page,
            "edges": [{"node": n, "cursor": n["id"]} for n in page],
            "pageInfo": {"hasNextPage": start + first < len(nodes), "hasPreviousPage": start > 0,
                         "startCursor": page[0]["id"] if page else None, "endCursor": page[-1]["id"] if page else None},
        }

    def matches(self, typename: str, node: dict[str, Any] | None, flt: dict[str, Any]) -> bool:
        """Linear's filter semantics over stored dicts: comparators, ``and``/``or``, nested relations, ``null``."""
        for key, cond in flt.items():
            if key == "and":
                ok = all(self.matches(typename, node, f) for f in cond)
            elif key == "or":
                ok = any(self.matches(typename, node, f) for f in cond)
            elif key == "null":
                ok = (node is None) == cond
            elif node is None:
                ok = False
            elif (typename, key) in RELATIONS:
                target, reach = RELATIONS[(typename, key)]
                related = reach(self, node)
                ok = (
                    self.matches(target, related, cond)
                    if not isinstance(related, list)
                    else any(self.matches(target, r, cond) for r in related)
                )
            else:
                ok = _compare(node.get(key), cond)
            if not ok:
                return False
        return True

    def _plausible(self, gtype: Any, source: Any) -> Any:
        """A stand-in for a non-null field the double does not model; ``None`` for nullable ones."""
        if not isinstance(gtype, GraphQLNonNull):
            return None
        inner = gtype.of_type
        if isinstance(inner, GraphQLList):
            return []
        if isinstance(inner, GraphQLEnumType):
            return next(iter(inner.values))
        if is_abstract_type(inner):
            return {"__typename": linear_schema().get_possible_types(inner)[0].name}
        if isinstance(inner, GraphQLObjectType):
            return {}
        stamp = source.get("createdAt") if isinstance(source, dict) else None
        return {"ID": _uid(), "Boolean": False, "Int": 0, "Float": 0.0, "DateTime": stamp or self.now(), "JSON": {},
                "JSONObject": {}, "TimelessDate": (stamp or self.now())[:10]}.get(inner.name, "")

    # Root queries (``q_<field>``)
    def q_viewer(self) -> dict[str, Any]:
        return self.viewer

    def q_organization(self) -> dict[str, Any]:
        return self.organization

    def q_teams(self, **args: Any) -> dict[str, Any]:
        return self._connection(list(self.teams.values()), "Team", args)

    def q_team(self, id: str) -> dict[str, Any]:
        return self.team(id)

    def q_workflowStates(self, **args: Any) -> dict[str, Any]:
        return self._connection(list(self.states.values()), "WorkflowState", args)

    def q_issueLabels(self, **args: Any) -> dict[str, Any]:
        return self._connection(list(self.labels.values()), "IssueLabel", args)

    def q_users(self, **args: Any) -> dict[str, Any]:
        users = [u for u in self.users.values() if u["active"] or args.get("includeDisabled")]
        return self._connection(users, "User", args)

    def q_issue(self, id: str) -> dict[str, Any]:
        return self.issue(id)

    def q_issues(self, **args: Any) -> dict[str, Any]:
        return self._connection(list(self.issues.values()), "Issue", args)

    def q_comments(self, **args: Any) -> dict[str, Any]:
        return self._connection(list(self.comments.values()), "Comment", args)

    def q_attachmentsForURL(self, url: str, **args: Any) -> dict[str, Any]:
        return self._connection([a for a in self.attachments.values() if a["url"] == url], "Attachment", args)

    def q_customers(self, **args: Any) -> dict[str, Any]:
        self._customers_on()
        return self._connection(list(self.customers.values()), "Customer", args)

    # Root mutations
    def _payload(self, **entity: Any) -> dict[str, Any]:
        return {"success": True, "lastSyncId": float(len(self.requests)), **entity}

    def q_fileUpload(self, contentType: str, filename: str, size: int, makePublic: bool | None = None,
                     metaData: Any = None) -> dict[str, Any]:
        if size <= 0:
            raise invalid("size must be positive")
        key = f"{self.organization['id']}/{_uid()}/{_uid()}"
        headers = [{"key": "x-goog-content-length-range", "value": f"{size},{size}"}]
        pending = {"uploadUrl": "", "assetUrl": f"{ASSET_BASE}/{key}", "contentType": contentType,
                   "filename": filename, "size": size, "headers": headers, "metaData": metaData,
                   "signature": uuid.uuid4().hex, "expires": self.clock() + UPLOAD_TTL}
        pending["uploadUrl"] = f"{self.upload_base}/{key}?X-Goog-Signature={pending['signature']}"
        self.uploads[key] = pending
        return self._payload(uploadFile=pending)

    def q_issueCreate(self, input: dict[str, Any]) -> dict[str, Any]:
        return self._payload(issue=self._create_issue(input))

    def q_issueUpdate(self, id: str, input: dict[str, Any]) -> dict[str, Any]:
        issue = self.issue(id)
        changes = dict(input)
        if "stateId" in changes:
            self._apply_state(issue, self._check_state(issue["teamId"], changes.pop("stateId")))
        labels = list(changes.pop("labelIds", issue["labelIds"]))
        labels += [i for i in changes.pop("addedLabelIds", []) if i not in labels]
        removed = set(changes.pop("removedLabelIds", []))
        issue["labelIds"] = self._check_labels([i for i in labels if i not in removed])
        if changes.get("assigneeId") and changes["assigneeId"] not in self.users:
            raise not_found("User")
        if "priority" in changes:
            changes["priority"] = self._check_priority(changes["priority"])
        if changes.get("teamId") not in (None, issue["teamId"]):
            raise LinearFailure(
                "moving issues between teams is not supported by the double",
                "INTERNAL_SERVER_ERROR",
                "internal error",
                500,
            )
        issue.update(changes)
        issue["updatedAt"] = self.now()
        return self._payload(issue=issue)

    def _create_issue(self, data: dict[str, Any]) -> dict[str, Any]:
        team = self.team(data["teamId"])
        issue_id = data.get("id") or _uid()
        _check_uuid(issue_id)
        if issue_id in self.issues:
            raise LinearFailure(
                "Entity already exists: Issue",
                "INPUT_ERROR",
                "invalid input",
                400,
                "An issue with this id already exists.",
            )
        if not data.get("title"):
            raise invalid("title should not be empty")
        state_id = self._check_state(team["id"], data.get("stateId") or self._default_state(team))
        if data.get("assigneeId") and data["assigneeId"] not in self.users:
            raise not_found("User")
        team["issueSeq"] += 1
        number = team["issueSeq"]
        identifier = f"{team['key']}-{number}"
        fields = {k: v for k, v in data.items() if k not in ("teamId", "stateId", "labelIds", "priority", "id")}
        issue = self._entity(
            **fields,
            id=issue_id,
            teamId=team["id"],
            number=float(number),
            identifier=identifier,
            url=f"https://linear.app/{self.organization['urlKey']}/issue/{identifier}/{_slug(data['title'])}",
            priority=self._check_priority(data.get("priority") or 0),
            labelIds=self._check_labels(data.get("labelIds") or []),
            creatorId=self.viewer["id"],
            sortOrder=-float(number),
            prioritySortOrder=0.0,
            boardOrder=0.0,
        )
        issue.setdefault("description", None)
        self._apply_state(issue, state_id)
        self.issues[issue_id] = issue
        return issue

    def _default_state(self, team: dict[str, Any]) -> str:
        ordered = sorted((s for s in self.states.values() if s["teamId"] == team["id"]), key=lambda s: s["position"])
        for kind in ("triage", "backlog", "unstarted"):
            for state in ordered:
                if state["type"] == kind:
                    return state["id"]
        return ordered[0]["id"]

    def _check_state(self, team_id: str, state_id: str) -> str:
        state = self.states.get(state_id)
        if state is None:
            raise not_found("WorkflowState")
        if state["teamId"] != team_id:
            raise invalid("workflow state does not belong to the issue's team")
        return state_id

    def _check_labels(self, label_ids: list[str]) -> list[str]:
        for label_id in label_ids:
            if label_id not in self.labels:
                raise not_found("IssueLabel")
        return list(label_ids)

    @staticmethod
    def _check_priority(priority: Any) -> float:
        if priority not in (0, 1, 2, 3, 4):
            raise invalid("priority must be between 0 and 4")
        return float(priority)

    def _apply_state(self, issue: dict[str, Any], state_id: str, *, actor_id: str | None = None) -> None:
        kind, stamp = self.states[state_id]["type"], self.now()
        if issue.get("stateId") and issue["stateId"] != state_id:  # a move, not the state an issue is created in
            entry = self._entity(issueId=issue["id"], fromStateId=issue["stateId"], toStateId=state_id,
                                 actorId=actor_id or self.viewer["id"])
            entry["createdAt"] = entry["updatedAt"] = stamp
            self.history[entry["id"]] = entry
        issue["stateId"] = state_id
        issue["completedAt"] = stamp if kind == "completed" else None
        issue["canceledAt"] = stamp if kind == "canceled" else None
        if kind == "started" and not issue.get("startedAt"):
            issue["startedAt"] = stamp

    def q_issueLabelCreate(self, input: dict[str, Any]) -> dict[str, Any]:
        team_id = self.team(input["teamId"])["id"] if input.get("teamId") else None
        for label in self.labels.values():
            if label["name"].casefold() == input["name"].casefold() and label.get("teamId") in (None, team_id):
                raise invalid("a label with this name already exists")
        label = self._entity(
            name=input["name"],
            color=input.get("color") or "#bec2c8",
            description=input.get("description"),
            isGroup=bool(input.get("isGroup")),
            teamId=team_id,
        )
        self.labels[label["id"]] = label
        return self._payload(issueLabel=label)

    def q_attachmentCreate(self, input: dict[str, Any]) -> dict[str, Any]:
        issue = self.issue(input["issueId"])
        if not input["url"].strip():
            raise invalid("url should not be empty")
        found = self._attachment(issue["id"], input["url"], input["title"])
        found.update(
            title=input["title"],
            subtitle=input.get("subtitle"),
            metadata=input.get("metadata") or {},
            updatedAt=self.now(),
        )
        return self._payload(attachment=found)

    def _attachment(self, issue_id: str, url: str, title: str) -> dict[str, Any]:
        """The attachment with ``url`` on the issue, created when missing: one per (issue, url), as Linear keeps it."""
        for attachment in self.attachments.values():
            if attachment["issueId"] == issue_id and attachment["url"] == url:
                return attachment
        attachment = self._entity(
            issueId=issue_id, url=url, title=title, subtitle=None, metadata={}, groupBySource=False
        )
        self.attachments[attachment["id"]] = attachment
        return attachment

    def q_commentCreate(self, input: dict[str, Any]) -> dict[str, Any]:
        if not input.get("issueId"):
            raise LinearFailure(
                "comments on anything but issues are not supported by the double",
                "INTERNAL_SERVER_ERROR",
                "internal error",
                500,
            )
        issue = self.issue(input["issueId"])
        if not (input.get("body") or "").strip():
            raise invalid("body should not be empty")
        comment_id = self._new_id(input.get("id"), self.comments, "Comment")
        comment = self._entity(id=comment_id, issueId=issue["id"], body=input["body"], userId=self.viewer["id"],
                               bodyData="{}")
        comment["url"] = f"{issue['url']}#comment-{comment['id'][:8]}"
        self.comments[comment["id"]] = comment
        return self._payload(comment=comment)

    def q_issueRelationCreate(self, input: dict[str, Any]) -> dict[str, Any]:
        relation_id = input.get("id") or _uid()
        _check_uuid(relation_id)
        if relation_id in self.relations:
            raise LinearFailure("Entity already exists: IssueRelation", "INPUT_ERROR", "invalid input", 400,
                                "An issue relation with this id already exists.")
        issue, related = self.issue(input["issueId"]), self.issue(input["relatedIssueId"])
        if issue["id"] == related["id"]:
            raise invalid("an issue cannot be related to itself")
        relation = self._entity(issueId=issue["id"], relatedIssueId=related["id"], type=input["type"])
        relation["id"] = relation_id
        self.relations[relation_id] = relation
        return self._payload(issueRelation=relation)
    def _new_id(self, chosen: str | None, existing: dict[str, Any], entity: str) -> str:
        """A client-chosen id (a UUID, refused when taken, as Linear does) or a fresh one."""
        if not chosen:
            return _uid()
        _check_uuid(chosen)
        if chosen in existing:
            raise LinearFailure(f"Entity already exists: {entity}", "INPUT_ERROR", "invalid input", 400,
                                f"A {entity.lower()} with this id already exists.")
        return chosen

    def q_comment(self, id: str | None = None, hash: str | None = None) -> dict[str, Any]:
        return self.comments.get(id or "") or _raise(not_found("Comment"))

    def q_commentUpdate(self, id: str, input: dict[str, Any]) -> dict[str, Any]:
        comment = self.comments.get(id) or _raise(not_found("Comment"))
        if "body" in input:
            if not (input["body"] or "").strip():
                raise invalid("body should not be empty")
            comment.update(body=input["body"], editedAt=self.now())
        comment["updatedAt"] = self.now()
        return self._payload(comment=comment)

    def q_document(self, id: str) -> dict[str, Any]:
        for document in self.documents.values():
            if id in (document["id"], document["slugId"]):
                return document
        raise not_found("Document")

    def q_documentCreate(self, input: dict[str, Any]) -> dict[str, Any]:
        parents = [k for k in ("projectId", "issueId", "initiativeId", "cycleId", "teamId", "releaseId")
                   if input.get(k)]
        if parents != ["projectId"]:
            raise LinearFailure("the double keeps documents in projects only", "INTERNAL_SERVER_ERROR",
                                "internal error", 500)
        if input["projectId"] not in self.projects:
            raise not_found("Project")
        if not (input.get("title") or "").strip():
            raise invalid("title should not be empty")
        document_id = self._new_id(input.get("id"), self.documents, "Document")
        slug = f"{_slug(input['title'])}-{document_id.replace('-', '')[:12]}"
        document = self._entity(id=document_id, title=input["title"], content=input.get("content") or "",
                                projectId=input["projectId"], creatorId=self.viewer["id"], slugId=slug,
                                sortOrder=0.0, icon=input.get("icon"), color=input.get("color"))
        document["url"] = f"https://linear.app/{self.organization['urlKey']}/document/{slug}"
        self.documents[document_id] = document
        return self._payload(document=document)

    def q_documentUpdate(self, id: str, input: dict[str, Any]) -> dict[str, Any]:
        document = self.q_document(id)
        if "title" in input and not (input["title"] or "").strip():
            raise invalid("title should not be empty")
        document.update({k: input[k] for k in ("title", "content", "icon", "color") if k in input})
        document["updatedAt"] = self.now()
        return self._payload(document=document)

    def _customers_on(self) -> None:
        if not self.customer_requests_enabled:
            raise forbidden("Customer requests are not enabled for this workspace")

    def q_customerUpsert(self, input: dict[str, Any]) -> dict[str, Any]:
        self._customers_on()
        domains = [d.strip().lower() for d in input.get("domains") or []]
        for domain in domains:
            if domain in PUBLIC_DOMAINS:
                raise invalid(f"{domain} is a public email domain and can't be used for a customer")
        customer = self._match_customer(input, domains)
        for other in self.customers.values():
            clash = set(other["domains"]) & set(domains)
            if other is not customer and clash:
                raise invalid(f"domain {sorted(clash)[0]} already belongs to customer {other['name']}")
        if customer is None:
            if not input.get("name"):
                raise invalid("name should not be empty")
            customer = self._entity(name=input["name"], domains=[], externalIds=[], slugId=_slug(input["name"]))
            customer["url"] = f"https://linear.app/{self.organization['urlKey']}/customer/{customer['slugId']}"
            self.customers[customer["id"]] = customer
        customer["domains"] += [d for d in domains if d not in customer["domains"]]
        if input.get("externalId") and input["externalId"] not in customer["externalIds"]:
            customer["externalIds"].append(input["externalId"])
        if input.get("tierName"):
            customer["tierId"] = self._tier(input["tierName"])["id"]
        elif input.get("tierId"):
            customer["tierId"] = (
                self.tiers[input["tierId"]]["id"]
                if input["tierId"] in self.tiers
                else _raise(not_found("CustomerTier"))
            )
        customer.update(
            {k: input[k] for k in ("name", "revenue", "size", "ownerId", "logoUrl") if input.get(k) is not None}
        )
        customer["updatedAt"] = self.now()
        return self._payload(customer=customer)

    def _match_customer(self, input: dict[str, Any], domains: list[str]) -> dict[str, Any] | None:
        if input.get("id"):
            return self.customers.get(input["id"]) or _raise(not_found("Customer"))
        for customer in self.customers.values():
            if input.get("externalId") and input["externalId"] in customer["externalIds"]:
                return customer
        for customer in self.customers.values():
            if set(customer["domains"]) & set(domains):
                return customer
        return None

    def _tier(self, name: str) -> dict[str, Any]:
        for tier in self.tiers.values():
            if tier["name"].casefold() == name.casefold():
                return tier
        tier = self._entity(name=name, displayName=name, color="#5e6ad2", position=float(len(self.tiers)))
        self.tiers[tier["id"]] = tier
        return tier

    def q_customerNeedCreate(self, input: dict[str, Any]) -> dict[str, Any]:
        self._customers_on()
        if input.get("customerId"):
            customer = self.customers.get(input["customerId"]) or _raise(not_found("Customer"))
        elif input.get("customerExternalId"):
            customer = next(
                (c for c in self.customers.values() if input["customerExternalId"] in c["externalIds"]), None
            ) or _raise(not_found("Customer"))
        else:
            raise invalid("customerId or customerExternalId is required")
        issue = self.issue(input["issueId"]) if input.get("issueId") else None
        attachment = None
        if input.get("attachmentId"):
            attachment = self.attachments.get(input["attachmentId"]) or _raise(not_found("Attachment"))
            issue = issue or self.issues[attachment["issueId"]]
        elif input.get("attachmentUrl"):
            if issue is None:
                raise invalid("issueId is required with attachmentUrl")
            attachment = self._attachment(issue["id"], input["attachmentUrl"], input["attachmentUrl"])
        if issue is None:
            raise invalid("issueId or attachmentId is required")
        if input.get("priority", 0) not in (0, 1):
            raise invalid("priority must be 0 or 1")
        need = self._entity(
            customerId=customer["id"],
            issueId=issue["id"],
            attachmentId=attachment["id"] if attachment else None,
            body=input.get("body"),
            priority=float(input.get("priority") or 0),
        )
        self.needs[need["id"]] = need
        return self._payload(need=need)


def _body(request: httpx.Request) -> dict[str, Any]:
    try:
        body = json.loads(request.content or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _uid() -> str:
    return str(uuid.uuid4())


def _raise(error: Exception) -> Any:
    raise error


def _check_uuid(value: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError:
        raise invalid("id must be a UUID") from None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "issue"


def _norm(value: Any) -> Any:
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def _compare(value: Any, cond: dict[str, Any]) -> bool:
    """One comparator object (``{eq: ..}``, ``{in: [..]}``, ``{gte: ..}``...) against a stored value."""
    v = _norm(value)
    text = "" if value is None else str(value)
    checks: dict[str, Callable[[Any], bool]] = {
        "eq": lambda t: v == _norm(t),
        "neq": lambda t: v != _norm(t),
        "in": lambda t: v in [_norm(x) for x in t],
        "nin": lambda t: v not in [_norm(x) for x in t],
        "eqIgnoreCase": lambda t: text.casefold() == t.casefold(),
        "neqIgnoreCase": lambda t: text.casefold() != t.casefold(),
        "startsWith": lambda t: text.startswith(t),
        "startsWithIgnoreCase": lambda t: text.casefold().startswith(t.casefold()),
        "endsWith": lambda t: text.endswith(t),
        "contains": lambda t: t in text,
        "containsIgnoreCase": lambda t: t.casefold() in text.casefold(),
        "notContains": lambda t: t not in text,
        "gt": lambda t: v is not None and v > _dated(t),
        "gte": lambda t: v is not None and v >= _dated(t),
        "lt": lambda t: v is not None and v < _dated(t),
        "lte": lambda t: v is not None and v <= _dated(t),
        "null": lambda t: (value is None) == t,
    }
    for op, target in cond.items():
        if op not in checks:
            raise LinearFailure(
                f"comparator {op} is not supported by the double", "INTERNAL_SERVER_ERROR", "internal error", 500
            )
        if not checks[op](target):
            return False
    return True


def _dated(target: Any) -> Any:
    if isinstance(target, str) and target.startswith(("P", "-P")):
        raise LinearFailure(
            "relative durations are not supported by the double", "INTERNAL_SERVER_ERROR", "internal error", 500
        )
    return _norm(target)


def _formatted(error: GraphQLError, code: str) -> dict[str, Any]:
    formatted = error.formatted
    ext = formatted.setdefault("extensions", {})
    if "code" not in ext:
        internal = code == "INTERNAL_SERVER_ERROR"
        ext.update(
            type="internal error" if internal else "graphql error",
            code=code,
            statusCode=500 if internal else 400,
            userError=not internal,
            userPresentableMessage=error.message,
        )
    return formatted
