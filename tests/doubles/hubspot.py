"""An in-memory HubSpot that honours /work/shared/specs/hubspot-contract.md to the letter.

Use ``httpx.MockTransport(double.handler)`` in tests, or ``url, stop = double.serve()`` for a real local HTTP
server (same handler) in end-to-end tests and benchmarks. Time comes from an injectable ``clock`` (see
:class:`FakeClock`) so tests can move past the search index delay and the rate-limit windows.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

import httpx

from tests.doubles import http
from tests.doubles.hubspot_files import FileFault, FileManager

TOKEN = "pat-na1-test-token"
OBJECT_TYPES = ("contacts", "companies", "tickets", "notes", "tasks", "emails")
_WRITABLE = {
    "contacts": "email firstname lastname company phone jobtitle hubspot_owner_id",
    "companies": "name domain annualrevenue industry hubspot_owner_id",
    "tickets": "subject content hs_pipeline hs_pipeline_stage hs_ticket_priority hubspot_owner_id hs_ticket_category "
    "source_type",
    "notes": "hs_timestamp hs_note_body hubspot_owner_id hs_attachment_ids",
    "tasks": "hs_timestamp hs_task_subject hs_task_body hs_task_status hs_task_priority hs_task_type "
    "hubspot_owner_id",
    "emails": "hs_timestamp hs_email_direction hs_email_subject hs_email_text hs_email_html hs_email_status "
    "hubspot_owner_id hs_attachment_ids",
}
_READ_ONLY = ("hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate")
_OPTIONS = {
    ("tickets", "hs_ticket_priority"): {"LOW", "MEDIUM", "HIGH", "URGENT"},
    ("tasks", "hs_task_status"): {"NOT_STARTED", "IN_PROGRESS", "WAITING", "DEFERRED", "COMPLETED"},
    ("tasks", "hs_task_priority"): {"NONE", "LOW", "MEDIUM", "HIGH"},
    ("tasks", "hs_task_type"): {"EMAIL", "CALL", "TODO"},
    ("emails", "hs_email_direction"): {"EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"},
}
_REQUIRED = {
    "tickets": ("subject", "hs_pipeline_stage"),
    "notes": ("hs_timestamp",),
    "tasks": ("hs_timestamp",),
    "emails": ("hs_timestamp",),
}
# associationTypeId -> (from type, to type, inverse id); HUBSPOT_DEFINED only.
ASSOCIATION_TYPES = {
    1: ("contacts", "companies", 2),
    2: ("companies", "contacts", 1),
    279: ("contacts", "companies", 280),
    280: ("companies", "contacts", 279),
    15: ("contacts", "tickets", 16),
    16: ("tickets", "contacts", 15),
    25: ("companies", "tickets", 26),
    26: ("tickets", "companies", 25),
    339: ("tickets", "companies", 340),
    340: ("companies", "tickets", 339),
    227: ("tickets", "notes", 228),
    228: ("notes", "tickets", 227),
    229: ("tickets", "tasks", 230),
    230: ("tasks", "tickets", 229),
    223: ("tickets", "emails", 224),
    224: ("emails", "tickets", 223),
}
NOTE_BODY_LIMIT = 65_536  # every string property: an email's text, a note's body, a ticket's content
_FILES_PATH = re.compile(r"^/files/(?:v3|\d{4}-\d{2})/files(?:/(?P<rest>.*))?$")
_SINGULAR = {t: t[:-1] for t in OBJECT_TYPES} | {"companies": "company"}
_PATH = re.compile(
    r"^/crm/(?:(?P<ver>v3|v4)/(?P<fam>objects|associations|properties|pipelines|owners)"
    r"|(?P<fam2>objects|associations|properties|pipelines|owners)/(?P<date>\d{4}-\d{2}))(?:/(?P<rest>.*))?$"
)


class FakeClock:
    """A clock tests move by hand; ``sleep`` advances it, so a client's waits cost no real time."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Recorded:
    """One request the double received."""

    method: str
    path: str
    params: dict[str, str]
    body: Any
    headers: dict[str, str] = field(repr=False)


class _Reply(Exception):
    """Raised inside the double to answer early with ``response``."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response


def error(
    status: int, category: str, message: str, errors: list[dict[str, Any]] | None = None, **extra: Any
) -> httpx.Response:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        "errors": errors or [],
        **extra,
    }
    return httpx.Response(status, json=body)


def _fail(status: int, category: str, message: str, errors: list[dict[str, Any]] | None = None) -> _Reply:
    return _Reply(error(status, category, message, errors))


def _invalid(problems: list[dict[str, Any]]) -> _Reply:
    return _fail(
        400,
        "VALIDATION_ERROR",
        "Property values were not valid: " + json.dumps(problems),
        [{"message": p["message"], "code": p["error"]} for p in problems],
    )


class HubSpotDouble:
    """A HubSpot portal in memory with HubSpot's validation, eventual search and rate limits."""

    def __init__(
        self,
        token: str = TOKEN,
        *,
        portal_id: int = 4242,
        clock: Callable[[], float] = time.monotonic,
        search_delay: float = 2.0,
        max_per_interval: int = 100,
        interval: float = 10.0,
        search_per_second: int = 5,
        daily_limit: int = 250_000,
        time_scale: float = 1.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.token, self.portal_id, self.clock, self.search_delay = token, portal_id, clock, search_delay
        self.wall = wall  # epoch seconds for createdate / hs_lastmodifieddate (tests pass a fixed one)
        self.max_per_interval, self.interval = max_per_interval, interval * time_scale
        self.search_per_second, self.search_window, self.daily_limit = search_per_second, 1.0 * time_scale, daily_limit
        self.daily_used = 0
        self.requests: list[Recorded] = []
        self.records: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in OBJECT_TYPES}
        self.links: dict[tuple[str, str, str, str], set[int]] = {}
        self.properties: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in OBJECT_TYPES}
        self.groups: dict[str, set[str]] = {t: {f"{_SINGULAR[t]}information"} for t in OBJECT_TYPES}
        self.owners: list[dict[str, Any]] = []
        self.pipelines = [
            _pipeline(
                "0",
                "Support Pipeline",
                [
                    ("1", "New", "OPEN"),
                    ("2", "Waiting on contact", "OPEN"),
                    ("3", "Waiting on us", "OPEN"),
                    ("4", "Closed", "CLOSED"),
                ],
            )
        ]
        self._ids = itertools.count(1001)
        self.file_manager = FileManager(portal_id)
        self._faults: deque[int | type[Exception]] = deque()
        self._lost_answers = 0
        self._chaos: tuple[random.Random, float] | None = None
        self._hits: deque[float] = deque()
        self._search_hits: deque[float] = deque()
        self._lock = threading.RLock()
        for object_type, names in _WRITABLE.items():
            for name in names.split():
                self._define(object_type, name)
            for name in _READ_ONLY:
                self._define(object_type, name, read_only=True)

    # -- seeding ---------------------------------------------------------------------------------
    def _define(
        self,
        object_type: str,
        name: str,
        *,
        read_only: bool = False,
        unique: bool = False,
        group: str | None = None,
        label: str = "",
    ) -> dict[str, Any]:
        options = sorted(_OPTIONS.get((object_type, name), ()))
        definition = {
            "name": name,
            "label": label or name,
            "type": "enumeration" if options else "string",
            "fieldType": "select" if options else "text",
            "groupName": group or f"{_SINGULAR[object_type]}information",
            "hasUniqueValue": unique,
            "options": [{"label": o.title(), "value": o} for o in options],
            "modificationMetadata": {"readOnlyValue": read_only},
        }
        self.properties[object_type][name] = definition
        return definition

    def add_ticket_property(self, name: str, *, unique: bool = False, group: str = "rotadesk") -> None:
        self.groups["tickets"].add(group)
        self._define("tickets", name, unique=unique, group=group)

    def add_record(self, object_type: str, properties: dict[str, str], *, searchable: bool = True) -> str:
        with self._lock:
            record_id = str(next(self._ids))
            stamp = _iso(self.wall())
            self.records[object_type][record_id] = {
                "id": record_id, "properties": {"hs_object_id": record_id, "createdate": stamp,
                                                "hs_lastmodifieddate": stamp, "lastmodifieddate": stamp,
                                                **properties},
                "createdAt": stamp, "updatedAt": stamp, "archived": False,
                "_searchable_at": float("-inf") if searchable else self.clock() + self.search_delay,
            }
            return record_id

    def add_contact(self, email: str, first: str = "", last: str = "") -> str:
        return self.add_record("contacts", {"email": email, "firstname": first, "lastname": last})

    def add_company(
        self,
        domain: str,
        name: str = "",
        tier: str | None = None,
        revenue: float | None = None,
        *,
        tier_property: str = "tier",
    ) -> str:
        if tier_property not in self.properties["companies"]:
            self._define("companies", tier_property)
        props = {"domain": domain, "name": name or domain}
        if tier is not None:
            props[tier_property] = tier
        if revenue is not None:
            props["annualrevenue"] = str(revenue)
        return self.add_record("companies", props)

    def add_owner(self, email: str, first: str = "", last: str = "") -> str:
        owner_id = str(next(self._ids) + 50_000)
        self.owners.append(
            {
                "id": owner_id,
                "email": email,
                "firstName": first,
                "lastName": last,
                "userId": int(owner_id) + 1,
                "type": "PERSON",
                "archived": False,
            }
        )
        return owner_id

    def add_ticket(
        self,
        subject: str,
        *,
        stage: str = "1",
        pipeline: str = "0",
        contact_id: str | None = None,
        company_id: str | None = None,
        **props: str,
    ) -> str:
        ticket_id = self.add_record(
            "tickets", {"subject": subject, "hs_pipeline": pipeline, "hs_pipeline_stage": stage, **props}
        )
        if contact_id:
            self.link("tickets", ticket_id, "contacts", contact_id, 16)
        if company_id:
            self.link("tickets", ticket_id, "companies", company_id, 26)
        return ticket_id

    def touch(self, object_type: str, record_id: str, properties: dict[str, str]) -> None:
        """Change a record as a person in HubSpot would: its modified dates move, and search sees it after a lag."""
        with self._lock:
            record, now = self.records[object_type][record_id], self.clock()
            stale = record.get("_stale")
            before = stale[0] if stale and stale[1] > now else dict(record["properties"])
            record["_stale"] = (before, now + self.search_delay)  # search answers with these until the index catches up
            stamp = _iso(self.wall())
            record["properties"].update({**properties, "hs_lastmodifieddate": stamp, "lastmodifieddate": stamp})
            record["updatedAt"] = stamp

    def link(self, from_type: str, from_id: str, to_type: str, to_id: str, type_id: int) -> None:
        inverse = ASSOCIATION_TYPES[type_id][2]
        self.links.setdefault((from_type, str(from_id), to_type, str(to_id)), set()).add(type_id)
        self.links.setdefault((to_type, str(to_id), from_type, str(from_id)), set()).add(inverse)

    def linked(self, from_type: str, from_id: str, to_type: str) -> list[str]:
        return sorted((k[3] for k in self.links if k[:3] == (from_type, str(from_id), to_type)), key=int)

    def fail_next(self, n: int = 1, status: int | type[Exception] = 503) -> None:
        """Answer the next ``n`` requests with ``status`` (or drop them by raising an httpx error class)."""
        self._faults.extend([status] * n)

    def lose_next(self, n: int = 1) -> None:
        """Carry out the next ``n`` requests but lose their answers (the client sees a read timeout)."""
        self._lost_answers += n

    def inject_faults(self, rate: float, seed: int = 0) -> None:
        """From now on fail ``rate`` of requests at random, like a flaky network in front of HubSpot: dropped before
        the request arrives, dropped after it was carried out, 5xx before or after carrying it out, or 429."""
        self._chaos = (random.Random(seed), rate)
        self.faults_injected: dict[str, int] = {}

    def _chaos_fault(self) -> str | None:
        if self._chaos is None:
            return None
        rng, rate = self._chaos
        if rng.random() >= rate:
            return None
        kind = rng.choice(("drop_before", "drop_after", "5xx_before", "5xx_after", "429"))
        self.faults_injected[kind] = self.faults_injected.get(kind, 0) + 1
        return kind

    def spend(self, n: int, *, search: bool = False) -> None:
        """Use up ``n`` requests of the current window, as another app on the portal would."""
        for _ in range(n):
            self._rate_limit(search)

    def exhaust_daily(self) -> None:
        self.daily_used = self.daily_limit

    def calls_to(self, method: str, fragment: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and fragment in r.path]

    # -- entry point -----------------------------------------------------------------------------
    def handler(self, request: httpx.Request) -> httpx.Response:
        raw = request.read()
        body = _parse_body(raw) if not request.url.path.startswith("/files/") else None
        with self._lock:
            self.requests.append(
                Recorded(request.method, request.url.path, dict(request.url.params), body, dict(request.headers))
            )
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return error(
                    401,
                    "INVALID_AUTHENTICATION",
                    "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
                )
            if self._faults:
                fault = self._faults.popleft()
                if isinstance(fault, int):
                    return error(
                        fault, "INTERNAL_ERROR" if fault >= 500 else "ERROR", "Internal error, try again later."
                    )
                raise fault("connection dropped by the double", request=request)
            is_search = request.method == "POST" and request.url.path.endswith("/search")
            chaos = self._chaos_fault()
            if chaos == "drop_before":
                raise httpx.ConnectError("connection refused by the double", request=request)
            if chaos == "5xx_before":
                return error(502, "INTERNAL_ERROR", "Bad gateway.")
            if chaos == "429":
                return _limit_response("You have reached your ten_secondly_rolling limit.", "TEN_SECONDLY_ROLLING",
                                       self._headroom())
            limited = self._rate_limit(is_search)
            if limited is not None:
                return limited
            try:
                files = _FILES_PATH.match(request.url.raw_path.decode().split("?")[0])
                if files:
                    rest = [unquote(p) for p in (files["rest"] or "").split("/") if p]
                    response = self.file_manager.handle(request.method, rest, request, raw)
                else:
                    response = self._route(
                        request.method, request.url.raw_path.decode().split("?")[0], dict(request.url.params), body
                    )
            except _Reply as reply:
                response = reply.response
            except FileFault as fault:
                response = error(fault.status, fault.category, fault.message)
            if not is_search:
                response.headers.update(self._headroom())
            if self._lost_answers:
                self._lost_answers -= 1
                raise httpx.ReadTimeout("answer lost by the double", request=request)
            if chaos == "drop_after":
                raise httpx.RemoteProtocolError("connection dropped after the write", request=request)
            if chaos == "5xx_after":  # a gateway gave up while HubSpot carried the request out
                return error(self._chaos[0].choice((500, 502, 503, 504)), "INTERNAL_ERROR", "Internal error.")
            return response

    def _rate_limit(self, search: bool) -> httpx.Response | None:
        now = self.clock()
        if self.daily_used >= self.daily_limit:
            return _limit_response("You have reached your daily limit.", "DAILY", self._headroom())
        hits, cap, span = (
            (self._search_hits, self.search_per_second, self.search_window)
            if search
            else (self._hits, self.max_per_interval, self.interval)
        )
        while hits and hits[0] <= now - span:
            hits.popleft()
        if len(hits) >= cap:
            if search:
                return _limit_response("You have reached your secondly limit.", "SECONDLY", {})
            return _limit_response(
                "You have reached your ten_secondly_rolling limit.", "TEN_SECONDLY_ROLLING", self._headroom()
            )
        hits.append(now)
        self.daily_used += 1
        return None

    def _headroom(self) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Max": str(self.max_per_interval),
            "X-HubSpot-RateLimit-Remaining": str(max(0, self.max_per_interval - len(self._hits))),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.interval * 1000)),
            "X-HubSpot-RateLimit-Daily": str(self.daily_limit),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.daily_limit - self.daily_used)),
        }

    def _route(self, method: str, path: str, params: dict[str, str], body: Any) -> httpx.Response:
        if path == "/account-info/v3/details" and method == "GET":
            return httpx.Response(
                200,
                json={
                    "portalId": self.portal_id,
                    "timeZone": "US/Eastern",
                    "uiDomain": "app.hubspot.com",
                    "accountType": "STANDARD",
                },
            )
        match = _PATH.match(path)
        if not match:
            raise _fail(404, "OBJECT_NOT_FOUND", f"No route for {method} {path}")
        family, v4 = match["fam"] or match["fam2"], match["ver"] == "v4" or bool(match["date"])
        parts = [unquote(p) for p in (match["rest"] or "").split("/") if p]
        if match["ver"] == "v4" and family not in ("objects", "associations"):
            raise _fail(404, "OBJECT_NOT_FOUND", f"No route for {method} {path}")
        if family == "objects":
            return self._objects(method, parts, params, body, v4)
        if family == "properties":
            return self._properties(method, parts, body)
        if family == "pipelines" and method == "GET" and parts == ["tickets"]:
            return httpx.Response(200, json={"results": self.pipelines})
        if family == "owners" and method == "GET" and not parts:
            owners = [
                o for o in self.owners if not params.get("email") or o["email"].lower() == params["email"].lower()
            ]
            return httpx.Response(200, json=_page(owners, params, 100))
        raise _fail(404, "OBJECT_NOT_FOUND", f"No route for {method} {path}")

    # -- objects ---------------------------------------------------------------------------------
    def _objects(self, method: str, parts: list[str], params: dict[str, str], body: Any, v4: bool) -> httpx.Response:
        if not parts or parts[0] not in OBJECT_TYPES:
            raise _fail(400, "VALIDATION_ERROR", f"Unable to infer object type from: {parts[0] if parts else ''}")
        object_type, rest = parts[0], parts[1:]
        if method == "POST" and rest == []:
            return self._create(object_type, _require_dict(body))
        if method == "POST" and rest == ["search"]:
            return self._search(object_type, _require_dict(body))
        if method == "POST" and rest == ["batch", "read"]:
            return self._batch_read(object_type, _require_dict(body))
        if method == "POST" and rest == ["batch", "upsert"]:
            return self._batch_upsert(object_type, _require_dict(body))
        if len(rest) == 1 and method in ("GET", "PATCH"):
            record = self._find(object_type, rest[0], params.get("idProperty"))
            if method == "PATCH":
                self._update(object_type, record, _require_dict(body))
            wanted = ",".join(record["properties"]) if method == "PATCH" else params.get("properties", "")
            return httpx.Response(200, json=self._view(object_type, record, wanted, params.get("associations", "")))
        if len(rest) == 3 and rest[1] == "associations" and method == "GET":
            return self._associations(object_type, rest[0], rest[2], params, v4)
        raise _fail(404, "OBJECT_NOT_FOUND", "resource not found")

    def _find(self, object_type: str, key: str, id_property: str | None) -> dict[str, Any]:
        if id_property:
            definition = self.properties[object_type].get(id_property)
            if not definition or not (
                definition["hasUniqueValue"] or (object_type, id_property) == ("contacts", "email")
            ):
                raise _fail(400, "VALIDATION_ERROR", f"{id_property} is not a unique property of {object_type}")
            for record in self.records[object_type].values():
                if str(record["properties"].get(id_property, "")).lower() == key.lower():
                    return record
        elif key in self.records[object_type]:
            return self.records[object_type][key]
        raise _fail(404, "OBJECT_NOT_FOUND", "resource not found")

    def _view(self, object_type: str, record: dict[str, Any], wanted: str, associations: str = "") -> dict[str, Any]:
        names = [n for n in wanted.split(",") if n] or list(_WRITABLE[object_type].split()[:4])
        names += [
            "hs_object_id",
            "createdate",
            "hs_lastmodifieddate" if object_type == "tickets" else "lastmodifieddate",
        ]
        props = {n: record["properties"].get(n) for n in names if n in self.properties[object_type]}
        view = {k: record[k] for k in ("id", "createdAt", "updatedAt", "archived")} | {"properties": props}
        linked = {
            to: {
                "results": [
                    {"id": i, "type": f"{_SINGULAR[object_type]}_to_{_SINGULAR[to]}"}
                    for i in self.linked(object_type, record["id"], to)
                ]
            }
            for to in associations.split(",")
            if to in OBJECT_TYPES and self.linked(object_type, record["id"], to)
        }
        if linked:
            view["associations"] = linked
        return view

    def _create(self, object_type: str, body: dict[str, Any]) -> httpx.Response:
        props = self._check_properties(object_type, body.get("properties"), creating=True)
        if "associations" not in body or not isinstance(body["associations"], list):
            raise _fail(400, "VALIDATION_ERROR", "Invalid input JSON: associations is required (send [] for none)")
        links = [self._check_association(object_type, a) for a in body["associations"]]
        if object_type == "contacts" and props.get("email"):
            for record in self.records["contacts"].values():
                if str(record["properties"].get("email", "")).lower() == props["email"].lower():
                    raise _fail(409, "CONFLICT", f"Contact already exists. Existing ID: {record['id']}")
        self._check_unique(object_type, props, None)
        if object_type == "tickets":
            props.setdefault("hs_pipeline", "0")
        record_id = self.add_record(object_type, props, searchable=False)
        for to_type, to_id, type_id in links:
            self.link(object_type, record_id, to_type, to_id, type_id)
        return httpx.Response(201, json=self._view(object_type, self.records[object_type][record_id], ",".join(props)))

    def _update(self, object_type: str, record: dict[str, Any], body: dict[str, Any]) -> None:
        props = self._check_properties(object_type, body.get("properties"), creating=False)
        self._check_unique(object_type, props, record["id"])
        if object_type == "tickets" and "hs_pipeline_stage" in props:
            self._check_stage(
                props.get("hs_pipeline") or record["properties"].get("hs_pipeline", "0"), props["hs_pipeline_stage"]
            )
        self.touch(object_type, record["id"], props)

    def _check_properties(self, object_type: str, props: Any, *, creating: bool) -> dict[str, str]:
        if not isinstance(props, dict):
            raise _fail(400, "VALIDATION_ERROR", "Invalid input JSON: properties must be an object")
        problems = []
        for name, value in props.items():
            definition = self.properties[object_type].get(name)
            if definition is None:
                problems.append(
                    {
                        "isValid": False,
                        "message": f'Property "{name}" does not exist',
                        "error": "PROPERTY_DOESNT_EXIST",
                        "name": name,
                    }
                )
            elif definition["modificationMetadata"]["readOnlyValue"]:
                problems.append(
                    {
                        "isValid": False,
                        "message": f'"{name}" is a read only property; its value cannot be set.',
                        "error": "READ_ONLY_VALUE",
                        "name": name,
                    }
                )
            elif not isinstance(value, str):
                problems.append(
                    {
                        "isValid": False,
                        "message": f"{value!r} is not a string; send every property value as a string",
                        "error": "INVALID_TYPE",
                        "name": name,
                    }
                )
            elif value and definition["options"] and value not in {o["value"] for o in definition["options"]}:
                problems.append(
                    {
                        "isValid": False,
                        "message": f"{value} was not one of the allowed options",
                        "error": "INVALID_OPTION",
                        "name": name,
                    }
                )
            elif name == "hubspot_owner_id" and value and value not in {o["id"] for o in self.owners}:
                problems.append(
                    {
                        "isValid": False,
                        "message": f"{value} is not a valid owner id",
                        "error": "INVALID_OWNER_ID",
                        "name": name,
                    }
                )
            elif len(value) > NOTE_BODY_LIMIT:
                problems.append(
                    {
                        "isValid": False,
                        "message": f"{name} is longer than {NOTE_BODY_LIMIT} characters",
                        "error": "INVALID_LENGTH",
                        "name": name,
                    }
                )
            elif name == "hs_attachment_ids" and value and not all(
                self.file_manager.exists(i) for i in value.split(";")
            ):
                problems.append(
                    {
                        "isValid": False,
                        "message": f"{value} is not a list of existing file ids separated by ;",
                        "error": "INVALID_FILE_ID",
                        "name": name,
                    }
                )
        if creating:
            problems += [
                {"isValid": False, "message": f"{name} is required", "error": "REQUIRED_PROPERTY", "name": name}
                for name in _REQUIRED.get(object_type, ()) if not props.get(name)
            ]
        if problems:
            raise _invalid(problems)
        if creating and object_type == "tickets":
            self._check_stage(props.get("hs_pipeline", "0"), props["hs_pipeline_stage"])
        return dict(props)

    def _check_stage(self, pipeline_id: str, stage_id: str) -> None:
        for pipeline in self.pipelines:
            if pipeline["id"] == pipeline_id:
                if any(s["id"] == stage_id for s in pipeline["stages"]):
                    return
                raise _invalid(
                    [
                        {
                            "isValid": False,
                            "message": f"{stage_id} is not a stage of pipeline {pipeline_id}",
                            "error": "INVALID_OPTION",
                            "name": "hs_pipeline_stage",
                        }
                    ]
                )
        raise _invalid(
            [
                {
                    "isValid": False,
                    "message": f"{pipeline_id} is not a valid pipeline",
                    "error": "INVALID_OPTION",
                    "name": "hs_pipeline",
                }
            ]
        )

    def _check_unique(self, object_type: str, props: dict[str, str], own_id: str | None) -> None:
        for name, value in props.items():
            if not value or not self.properties[object_type][name]["hasUniqueValue"]:
                continue
            for record in self.records[object_type].values():
                if record["id"] != own_id and record["properties"].get(name) == value:
                    raise _fail(
                        409,
                        "CONFLICT",
                        f'A {_SINGULAR[object_type]} with the unique value "{value}" for property "{name}" '
                        f'already exists. Existing ID: {record["id"]}',
                    )

    def _check_association(self, object_type: str, association: Any) -> tuple[str, str, int]:
        try:
            to_id = str(association["to"]["id"])
            (kind,) = association["types"]
            category, type_id = kind["associationCategory"], int(kind["associationTypeId"])
        except (KeyError, TypeError, ValueError):
            raise _fail(
                400,
                "VALIDATION_ERROR",
                "Invalid association: expected {to:{id}, types:[{associationCategory, associationTypeId}]}",
            ) from None
        spec = ASSOCIATION_TYPES.get(type_id)
        if category != "HUBSPOT_DEFINED" or spec is None or spec[0] != object_type:
            raise _fail(
                400, "VALIDATION_ERROR", f"{category} association type {type_id} is not valid from {object_type}"
            )
        if to_id not in self.records[spec[1]]:
            raise _fail(
                400, "VALIDATION_ERROR", f"One or more associations are invalid: {spec[1]} {to_id} does not exist"
            )
        return spec[1], to_id, type_id

    def _batch_read(self, object_type: str, body: dict[str, Any]) -> httpx.Response:
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or len(inputs) > 100:
            raise _fail(400, "VALIDATION_ERROR", "inputs must be a list of at most 100 items")
        found, missing = [], []
        for item in inputs:
            try:
                found.append(
                    self._view(
                        object_type,
                        self._find(object_type, str(item["id"]), body.get("idProperty")),
                        ",".join(body.get("properties") or []),
                    )
                )
            except _Reply:
                missing.append(str(item.get("id")))
        result: dict[str, Any] = {
            "status": "COMPLETE",
            "results": found,
            "startedAt": _iso(self.wall()),
            "completedAt": _iso(self.wall()),
        }
        if not missing:
            return httpx.Response(200, json=result)
        result["numErrors"] = 1
        result["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "context": {"ids": missing},
                "message": f"Could not get some {_SINGULAR[object_type].upper()} objects, they may be deleted or "
                "not exist. Check that ids are valid.",
            }
        ]
        return httpx.Response(207, json=result)

    def _batch_upsert(self, object_type: str, body: dict[str, Any]) -> httpx.Response:
        """Create or update each input by a unique property (a contact's email counts as one); all or nothing."""
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not 0 < len(inputs) <= 100:
            raise _fail(400, "VALIDATION_ERROR", "inputs must be a list of 1 to 100 items")
        plan = []
        for item in inputs:
            if not isinstance(item, dict) or not item.get("idProperty") or not item.get("id"):
                raise _fail(400, "VALIDATION_ERROR", "every input needs idProperty, id and properties")
            key, name = str(item["id"]), str(item["idProperty"])
            props = self._check_properties(object_type, item.get("properties") or {}, creating=False)
            try:
                record = self._find(object_type, key, name)
            except _Reply as reply:
                if reply.response.status_code != 404:
                    raise
                record = None
            self._check_unique(object_type, props, record["id"] if record else None)
            plan.append((record, key, name, props))
        results = []
        for record, key, name, props in plan:
            if record is None:
                props = {name: key, **props}
                record = self.records[object_type][self.add_record(object_type, props, searchable=False)]
                created = True
            else:
                self.touch(object_type, record["id"], props)
                created = False
            results.append(self._view(object_type, record, ",".join(props)) | {"new": created})
        return httpx.Response(200, json={"status": "COMPLETE", "results": results, "startedAt": _iso(self.wall()),
                                         "completedAt": _iso(self.wall())})

    def _associations(
        self, object_type: str, record_id: str, to_type: str, params: dict[str, str], v4: bool
    ) -> httpx.Response:
        if to_type not in OBJECT_TYPES:
            raise _fail(400, "VALIDATION_ERROR", f"Unknown object type {to_type}")
        rows = []
        for to_id in self.linked(object_type, record_id, to_type):
            types = sorted(self.links[(object_type, record_id, to_type, to_id)])
            if v4:
                rows.append(
                    {
                        "toObjectId": int(to_id),
                        "associationTypes": [
                            {"category": "HUBSPOT_DEFINED", "typeId": t, "label": None} for t in types
                        ],
                    }
                )
            else:
                rows.append({"id": to_id, "type": f"{_SINGULAR[object_type]}_to_{_SINGULAR[to_type]}"})
        return httpx.Response(200, json=_page(rows, params, 500))

    # -- search ----------------------------------------------------------------------------------
    def _search(self, object_type: str, body: dict[str, Any]) -> httpx.Response:
        limit, after = int(body.get("limit", 10)), int(body.get("after") or 0)
        if not 0 < limit <= 200:
            raise _fail(400, "VALIDATION_ERROR", "limit must be between 1 and 200")
        if after + limit > 10_000:
            raise _fail(400, "VALIDATION_ERROR", "The maximum number of results a search can return is 10,000")
        now = self.clock()
        groups = body.get("filterGroups") or [{"filters": []}]
        indexed = [
            {**r, "properties": r["_stale"][0]} if r.get("_stale") and r["_stale"][1] > now else r
            for r in self.records[object_type].values()
        ]
        hits = [
            r
            for r in indexed
            if r["_searchable_at"] <= now
            and not r["archived"]
            and any(all(self._matches(object_type, r, f) for f in g.get("filters", [])) for g in groups)
        ]
        hits.sort(key=lambda r: int(r["id"]))
        for rule in reversed(body.get("sorts") or []):
            name = rule.get("propertyName", "") if isinstance(rule, dict) else str(rule)
            if name not in self.properties[object_type]:
                raise _fail(400, "VALIDATION_ERROR", f"Cannot sort on unknown property {name}")
            hits.sort(key=lambda r, n=name: _sortable(r["properties"].get(n)),
                      reverse=isinstance(rule, dict) and rule.get("direction") == "DESCENDING")
        names = ",".join(body.get("properties") or [])
        page = {"total": len(hits), "results": [self._view(object_type, r, names) for r in hits[after : after + limit]]}
        if after + limit < len(hits):
            page["paging"] = {"next": {"after": str(after + limit)}}
        return httpx.Response(200, json=page)

    def _matches(self, object_type: str, record: dict[str, Any], rule: dict[str, Any]) -> bool:
        name, operator = rule.get("propertyName", ""), rule.get("operator", "EQ")
        if name.startswith("associations."):
            to_type = {v: k for k, v in _SINGULAR.items()}.get(name.split(".", 1)[1], "")
            return str(rule.get("value")) in self.linked(object_type, record["id"], to_type)
        if name not in self.properties[object_type]:
            raise _fail(
                400, "VALIDATION_ERROR", f"There was a problem with the request: property {name} does not exist"
            )
        value = str(record["properties"].get(name) or "").lower()
        wanted = str(rule.get("value", "")).lower()
        checks = {
            "EQ": lambda: value == wanted, "NEQ": lambda: value != wanted, "HAS_PROPERTY": lambda: bool(value),
            "NOT_HAS_PROPERTY": lambda: not value, "CONTAINS_TOKEN": lambda: wanted.strip("*") in value,
            "IN": lambda: value in {str(v).lower() for v in rule.get("values", [])},
            "NOT_IN": lambda: value not in {str(v).lower() for v in rule.get("values", [])},
            "GT": lambda: _ordered(value, wanted, lambda a, b: a > b),
            "GTE": lambda: _ordered(value, wanted, lambda a, b: a >= b),
            "LT": lambda: _ordered(value, wanted, lambda a, b: a < b),
            "LTE": lambda: _ordered(value, wanted, lambda a, b: a <= b),
            "BETWEEN": lambda: _ordered(value, wanted, lambda a, b: a >= b)
            and _ordered(value, str(rule.get("highValue", "")).lower(), lambda a, b: a <= b),
        }
        if operator not in checks:
            raise _fail(400, "VALIDATION_ERROR", f"Unsupported operator {operator}")
        return checks[operator]()

    # -- properties ------------------------------------------------------------------------------
    def _properties(self, method: str, parts: list[str], body: Any) -> httpx.Response:
        if not parts or parts[0] not in OBJECT_TYPES:
            raise _fail(400, "VALIDATION_ERROR", "Unknown object type")
        object_type, rest = parts[0], parts[1:]
        if rest[:1] == ["groups"]:
            return self._groups(method, object_type, rest[1:], body)
        if method == "GET" and not rest:
            return httpx.Response(200, json={"results": list(self.properties[object_type].values())})
        if method == "GET" and len(rest) == 1:
            if rest[0] not in self.properties[object_type]:
                raise _fail(404, "OBJECT_NOT_FOUND", f"Unable to find property {rest[0]} for object type {object_type}")
            return httpx.Response(200, json=self.properties[object_type][rest[0]])
        if method == "POST" and not rest:
            return self._create_property(object_type, _require_dict(body))
        raise _fail(404, "OBJECT_NOT_FOUND", "resource not found")

    def _create_property(self, object_type: str, body: dict[str, Any]) -> httpx.Response:
        name = str(body.get("name", ""))
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
        if missing or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise _fail(
                400, "VALIDATION_ERROR", f"Invalid property definition (missing {missing} or bad name {name!r})"
            )
        if body["groupName"] not in self.groups[object_type]:
            raise _fail(400, "VALIDATION_ERROR", f"Property group {body['groupName']} does not exist")
        if name in self.properties[object_type]:
            raise _fail(409, "CONFLICT", f"Property {name} already exists")
        unique = bool(body.get("hasUniqueValue"))
        if unique and sum(p["hasUniqueValue"] for p in self.properties[object_type].values()) >= 10:
            raise _fail(400, "VALIDATION_ERROR", "An object can have at most ten unique properties")
        return httpx.Response(
            201, json=self._define(object_type, name, unique=unique, group=body["groupName"], label=body["label"])
        )

    def _groups(self, method: str, object_type: str, rest: list[str], body: Any) -> httpx.Response:
        if method == "GET" and len(rest) == 1:
            if rest[0] not in self.groups[object_type]:
                raise _fail(404, "OBJECT_NOT_FOUND", f"Unable to find group {rest[0]}")
            return httpx.Response(200, json={"name": rest[0], "label": rest[0], "displayOrder": -1, "archived": False})
        if method == "POST" and not rest:
            body = _require_dict(body)
            if not body.get("name") or not body.get("label"):
                raise _fail(400, "VALIDATION_ERROR", "name and label are required")
            if body["name"] in self.groups[object_type]:
                raise _fail(409, "CONFLICT", f"Group {body['name']} already exists")
            self.groups[object_type].add(body["name"])
            return httpx.Response(
                201,
                json={
                    "name": body["name"],
                    "label": body["label"],
                    "displayOrder": body.get("displayOrder", -1),
                    "archived": False,
                },
            )
        raise _fail(404, "OBJECT_NOT_FOUND", "resource not found")

    # -- real server -----------------------------------------------------------------------------
    def serve(self, port: int = 0) -> tuple[str, Callable[[], None]]:
        """Run :meth:`handler` as an HTTP server on localhost; returns its base URL and a stop function."""
        return http.serve(lambda request: self.handler(request), "", port)  # late-bound: tests wrap handler


def _limit_response(message: str, policy: str, headers: dict[str, str]) -> httpx.Response:
    body = {
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "groupName": "publicapi",
    }
    return httpx.Response(
        429, json=body, headers={**headers, "X-HubSpot-RateLimit-Remaining": "0"} if headers else None
    )


def _pipeline(pipeline_id: str, label: str, stages: list[tuple[str, str, str]]) -> dict[str, Any]:
    rows = [
        {"id": s, "label": lbl, "displayOrder": i, "archived": False, "metadata": {"ticketState": state}}
        for i, (s, lbl, state) in enumerate(stages)
    ]
    return {"id": pipeline_id, "label": label, "displayOrder": 0, "archived": False, "stages": rows}


def _page(rows: list[Any], params: dict[str, str], max_limit: int) -> dict[str, Any]:
    limit, after = min(int(params.get("limit") or max_limit), max_limit), int(params.get("after") or 0)
    page: dict[str, Any] = {"results": rows[after : after + limit]}
    if after + limit < len(rows):
        page["paging"] = {"next": {"after": str(after + limit)}}
    return page


def _parse_body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _require_dict(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _fail(400, "VALIDATION_ERROR", "Invalid input JSON: expected an object")
    return body


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _sortable(value: Any) -> tuple[int, float | str]:
    number = _as_number(str(value or ""))
    return (0, number) if number is not None else (1, str(value or ""))


def _as_number(text: str) -> float | None:
    """A number, or a date as epoch milliseconds (HubSpot takes dates in filters either way)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return None


def _ordered(value: str, wanted: str, compare: Callable[[float, float], bool]) -> bool:
    a, b = _as_number(value), _as_number(wanted)
    return a is not None and b is not None and compare(a, b)

