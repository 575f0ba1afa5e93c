"""HubSpot CRM client: the calls Rotadesk makes, returning dataclasses (contract: specs/hubspot-contract.md).

Every request goes through :meth:`HubSpotClient._send`, which paces, retries and translates errors:
a daily rate limit is raised at once; ten-secondly and search limits wait and retry; 5xx answers,
timeouts and dropped connections retry a bounded number of times with jittered backoff. Tokens never
appear in messages. Reference data (portal id, pipelines, owners) is cached per client instance.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx

from core.errors import HubSpotError, HubSpotRateLimited
from core.ratelimit import Pacer, RetryPolicy, header_number, wait_from_headers

log = logging.getLogger(__name__)

NOTE_BODY_LIMIT = 65_536
TICKET_TO_CONTACT, TICKET_TO_COMPANY = 16, 26
NOTE_TO_TICKET, TASK_TO_TICKET, EMAIL_TO_TICKET = 228, 230, 224
PROPERTY_GROUP = "rotadesk"
TICKET_PROPERTIES = ("subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "hubspot_owner_id")
TASK_PROPERTIES = ("hs_task_subject", "hs_task_body", "hs_task_status", "hs_task_type", "hubspot_owner_id", "hs_timestamp")
_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)  # the request never left


@dataclass(frozen=True)
class PortalInfo:
    """The HubSpot account the token belongs to."""

    portal_id: int
    time_zone: str = "UTC"
    ui_domain: str = "app.hubspot.com"

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> PortalInfo:
        return cls(int(data["portalId"]), data.get("timeZone") or "UTC", data.get("uiDomain") or "app.hubspot.com")


@dataclass(frozen=True)
class Contact:
    """A HubSpot contact."""

    id: str
    email: str
    firstname: str = ""
    lastname: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Contact:
        p = data.get("properties") or {}
        return cls(str(data["id"]), p.get("email") or "", p.get("firstname") or "", p.get("lastname") or "")


@dataclass(frozen=True)
class Company:
    """A HubSpot company with the customer context Rotadesk shows."""

    id: str
    name: str
    domain: str
    tier: str | None = None
    revenue: float | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any], tier_property: str, revenue_property: str) -> Company:
        p = data.get("properties") or {}
        try:
            revenue = float(p[revenue_property]) if p.get(revenue_property) else None
        except ValueError:
            revenue = None
        return cls(str(data["id"]), p.get("name") or "", p.get("domain") or "", p.get(tier_property) or None, revenue)


@dataclass
class Ticket:
    """A HubSpot ticket; ``existed`` is True when a create found it already there."""

    id: str
    subject: str
    content: str = ""
    pipeline: str = ""
    stage: str = ""
    priority: str | None = None
    owner_id: str | None = None
    properties: dict[str, str | None] = field(default_factory=dict)
    contact_ids: tuple[str, ...] = ()
    company_ids: tuple[str, ...] = ()
    created_at: str | None = None
    updated_at: str | None = None
    existed: bool = False

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Ticket:
        p = dict(data.get("properties") or {})
        assoc = data.get("associations") or {}

        def linked(kind: str) -> tuple[str, ...]:
            return tuple(dict.fromkeys(str(r["id"]) for r in (assoc.get(kind) or {}).get("results", [])))

        return cls(
            str(data["id"]), p.get("subject") or "", p.get("content") or "", p.get("hs_pipeline") or "",
            p.get("hs_pipeline_stage") or "", p.get("hs_ticket_priority") or None, p.get("hubspot_owner_id") or None,
            p, linked("contacts"), linked("companies"), data.get("createdAt"), data.get("updatedAt"),
        )


@dataclass(frozen=True)
class Stage:
    """A pipeline stage; ``closed`` when HubSpot counts tickets in it as closed."""

    id: str
    label: str
    closed: bool = False


@dataclass(frozen=True)
class Pipeline:
    """A ticket pipeline and its stages in display order."""

    id: str
    label: str
    stages: tuple[Stage, ...] = ()

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Pipeline:
        raw = sorted(data.get("stages", []), key=lambda s: s.get("displayOrder", 0))
        stages = tuple(Stage(str(s["id"]), s.get("label", ""), (s.get("metadata") or {}).get("ticketState") == "CLOSED") for s in raw)
        return cls(str(data["id"]), data.get("label", ""), stages)


@dataclass(frozen=True)
class Owner:
    """A HubSpot user who can own records (``id`` is the owner id, not the user id)."""

    id: str
    email: str
    first_name: str = ""
    last_name: str = ""
    user_id: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Owner:
        user = data.get("userId")
        return cls(str(data["id"]), data.get("email") or "", data.get("firstName") or "", data.get("lastName") or "", str(user) if user else None)


@dataclass(frozen=True)
class Task:
    """A task on a ticket."""

    id: str
    subject: str
    status: str
    owner_id: str | None = None
    due: str | None = None
    body: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Task:
        p = data.get("properties") or {}
        return cls(
            str(data["id"]), p.get("hs_task_subject") or "", p.get("hs_task_status") or "",
            p.get("hubspot_owner_id") or None, p.get("hs_timestamp") or None, p.get("hs_task_body") or "",
        )


@dataclass(frozen=True)
class Note:
    """A note logged on a ticket; ``truncated`` when the body had to be cut to HubSpot's limit."""

    id: str
    body: str
    truncated: bool = False


@dataclass(frozen=True)
class EmailLog:
    """A forwarded email logged on a ticket (logged only, never sent)."""

    id: str
    subject: str


def crm_path(prefix: str, family: str, rest: str = "", *, v4: bool = False) -> str:
    """The path of ``family`` (objects, associations, properties, pipelines, owners) under ``prefix``.

    ``/crm/v3`` gives classic paths (``v4`` picks the v4 associations API); ``/crm/2026-03`` gives
    date-versioned ones, where v4 record associations hang off the objects family.
    """
    version = prefix.rstrip("/").rsplit("/", 1)[-1]
    head = f"/crm/{'v4' if v4 else version}/{family}" if version.startswith("v") else f"/crm/{family}/{version}"
    return f"{head}/{rest}" if rest else head


def ticket_url(portal_id: int | str, ticket_id: str, *, app_host: str = "app.hubspot.com") -> str:
    """The HubSpot record link of a ticket (object type 0-5)."""
    return f"https://{app_host}/contacts/{portal_id}/record/0-5/{ticket_id}"


def truncate_html(body: str, limit: int = NOTE_BODY_LIMIT) -> str:
    """``body`` cut to ``limit`` characters without leaving a broken tag or entity at the end."""
    if len(body) <= limit:
        return body
    marker = "<p>[truncated]</p>"
    cut = body[: limit - len(marker)]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    amp = cut.rfind("&")
    if amp > cut.rfind(";") and len(cut) - amp < 12:
        cut = cut[:amp]
    return cut + marker


def to_hubspot(value: Any) -> str:
    """A property value as HubSpot wants it: always a string (datetimes as epoch milliseconds)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return str(int(value.timestamp() * 1000))
    return str(value)


def _assoc(to_id: str, type_id: int) -> dict[str, Any]:
    return {"to": {"id": str(to_id)}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}


class HubSpotClient:
    """A small synchronous HubSpot client; use as a context manager or call :meth:`close`."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = "https://api.hubapi.com",
        prefix: str = "/crm/v3",
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        policy: RetryPolicy | None = None,
    ) -> None:
        self._token = token
        self.prefix = prefix
        self._now = now
        self._http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout, transport=transport
        )
        self._pacer = Pacer(sleep=sleep, clock=clock, min_intervals={"search": 0.26}, policy=policy or RetryPolicy())
        self.calls = 0
        self.last_rate_limit: dict[str, str] = {}
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()  # one request at a time, so pacing holds across threads

    @classmethod
    def from_settings(cls, settings: Any, transport: httpx.BaseTransport | None = None) -> HubSpotClient:
        return cls(settings.hubspot_token, base_url=settings.hubspot_base_url, prefix=settings.hubspot_prefix, transport=transport)

    def __enter__(self) -> HubSpotClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- transport -------------------------------------------------------------------------------
    def _send(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None, lane: str = "default", idempotent: bool = True
    ) -> httpx.Response:
        """Send with pacing and retries; a non-idempotent create is retried only when it surely never left."""
        with self._lock:
            return self._send_paced(method, path, json=json, params=params, lane=lane, idempotent=idempotent)

    def _send_paced(self, method: str, path: str, *, json: Any, params: Mapping[str, Any] | None, lane: str, idempotent: bool) -> httpx.Response:
        transient = limited = 0
        while True:
            self._pacer.wait(lane)
            self.calls += 1
            try:
                response = self._http.request(method, path, json=json, params=params)
            except _TRANSIENT as exc:
                if transient >= self._pacer.policy.retries or not (idempotent or isinstance(exc, _UNSENT)):
                    raise HubSpotError(f"could not reach HubSpot ({type(exc).__name__})", retryable=True) from exc
                log.warning("HubSpot %s %s failed (%s); retrying", method, path, type(exc).__name__)
                self._pacer.backoff(transient)
                transient += 1
                continue
            self._note_headroom(response, lane)
            if response.status_code == 429:
                error = self._rate_limited(response)
                if error.daily or limited >= self._pacer.policy.retries:
                    raise error
                log.info("HubSpot rate limit on %s; waiting %.1f s", path, error.retry_after)
                self._pacer.hold(error.retry_after, lane)
                limited += 1
                continue
            retry_5xx = idempotent or response.status_code == 503  # a 503 means the create was refused, not lost
            if response.status_code >= 500 and retry_5xx and transient < self._pacer.policy.retries:
                log.warning("HubSpot %s %s answered %s; retrying", method, path, response.status_code)
                self._pacer.backoff(transient)
                transient += 1
                continue
            if response.is_error:
                raise self._error(response)
            return response

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._send(method, path, **kwargs)
        return response.json() if response.content else {}

    def _note_headroom(self, response: httpx.Response, lane: str) -> None:
        headroom = {k: v for k, v in response.headers.items() if k.lower().startswith("x-hubspot-ratelimit-")}
        if not headroom:
            return
        self.last_rate_limit = headroom
        h = response.headers
        if lane == "search":
            self._pacer.observe(header_number(h, "X-HubSpot-RateLimit-Secondly-Remaining"), header_number(h, "X-HubSpot-RateLimit-Secondly"), 1.0, lane)
        else:
            interval = header_number(h, "X-HubSpot-RateLimit-Interval-Milliseconds")
            self._pacer.observe(
                header_number(h, "X-HubSpot-RateLimit-Remaining"), header_number(h, "X-HubSpot-RateLimit-Max"), interval / 1000 if interval else None, lane
            )

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _error(self, response: httpx.Response) -> HubSpotError:
        body = _body(response)
        category = str(body.get("category") or body.get("errorType") or "")
        message = self._scrub(str(body.get("message") or response.reason_phrase))
        error = HubSpotError(f"{response.status_code} {category or 'error'}: {message}",
                             status_code=response.status_code, retryable=response.status_code >= 500,
                             category=category, hubspot_message=message, correlation_id=body.get("correlationId"))
        return error

    def _rate_limited(self, response: httpx.Response) -> HubSpotRateLimited:
        body = _body(response)
        message = self._scrub(str(body.get("message") or "rate limited"))
        now = self._now()
        waited = wait_from_headers(response.headers, now_epoch=now.timestamp())
        if str(body.get("policyName", "")).upper() == "DAILY":
            midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)
            return HubSpotRateLimited(message, retry_after=waited or (midnight - now).total_seconds(), daily=True)
        if "secondly limit" in message and "ten_secondly" not in message:
            return HubSpotRateLimited(message, retry_after=waited if waited is not None else 1.0)
        interval = header_number(response.headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
        fallback = interval / 1000 if interval else 10.0
        return HubSpotRateLimited(message, retry_after=waited if waited is not None else fallback)

    def _path(self, family: str, rest: str = "", *, v4: bool = False) -> str:
        return crm_path(self.prefix, family, rest, v4=v4)

    def _search(self, object_type: str, filters: list[dict[str, Any]], properties: Iterable[str], *, limit: int = 100) -> Iterator[dict[str, Any]]:
        """Every record matching ``filters``, page by page (search lags new records by a few seconds)."""
        body: dict[str, Any] = {"filterGroups": [{"filters": filters}], "properties": list(properties), "limit": limit}
        while True:
            page = self._json("POST", self._path("objects", f"{object_type}/search"), json=body, lane="search")
            yield from page.get("results", [])
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                return
            body["after"] = after

    def _create(self, object_type: str, properties: Mapping[str, Any], associations: list[dict[str, Any]], *, idempotent: bool = False) -> dict[str, Any]:
        body = {"properties": {k: to_hubspot(v) for k, v in properties.items()}, "associations": associations}
        return self._json("POST", self._path("objects", object_type), json=body, idempotent=idempotent)

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        try:
            return self._json("GET", path, params=params)
        except HubSpotError as exc:
            if exc.status_code == 404:
                return None
            raise

    # -- reference data --------------------------------------------------------------------------
    def account_info(self) -> PortalInfo:
        if "portal" not in self._cache:
            self._cache["portal"] = PortalInfo.from_api(self._json("GET", "/account-info/v3/details"))
        return self._cache["portal"]

    def portal_id(self) -> int:
        return self.account_info().portal_id

    def ticket_url(self, portal_id: int | str, ticket_id: str) -> str:
        return ticket_url(portal_id, ticket_id)

    def pipelines(self) -> list[Pipeline]:
        if "pipelines" not in self._cache:
            data = self._json("GET", self._path("pipelines", "tickets"))
            self._cache["pipelines"] = [Pipeline.from_api(p) for p in data.get("results", [])]
        return self._cache["pipelines"]

    def owners(self, email: str | None = None) -> list[Owner]:
        if "owners" not in self._cache:
            self._cache["owners"] = [Owner.from_api(o) for o in self._paged(self._path("owners"), {"limit": 100})]
        owners: list[Owner] = self._cache["owners"]
        return [o for o in owners if o.email.lower() == email.lower()] if email else list(owners)

    def _paged(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        while True:
            page = self._json("GET", path, params=params)
            yield from page.get("results", [])
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                return
            params = {**params, "after": after}

    def ticket_property_exists(self, name: str) -> bool:
        return self._get(self._path("properties", f"tickets/{name}")) is not None

    def create_ticket_property(self, name: str, label: str, unique: bool = False) -> None:
        """Create a text ticket property in the ``rotadesk`` group (made if missing); existing is fine."""
        if self._get(self._path("properties", f"tickets/groups/{PROPERTY_GROUP}")) is None:
            self._json("POST", self._path("properties", "tickets/groups"), json={"name": PROPERTY_GROUP, "label": "Rotadesk", "displayOrder": -1})
        body = {"name": name, "label": label, "type": "string", "fieldType": "text", "groupName": PROPERTY_GROUP, "hasUniqueValue": unique}
        try:
            self._json("POST", self._path("properties", "tickets"), json=body)
        except HubSpotError as exc:
            if exc.status_code != 409:
                raise

    # -- contacts and companies ------------------------------------------------------------------
    def find_contact_by_email(self, email: str) -> Contact | None:
        """Search first; fall back to a batch read by email, which sees records search does not yet."""
        props = ("email", "firstname", "lastname")
        for record in self._search("contacts", [{"propertyName": "email", "operator": "EQ", "value": email}], props, limit=1):
            return Contact.from_api(record)
        body = {"idProperty": "email", "inputs": [{"id": email}], "properties": list(props)}
        results = self._json("POST", self._path("objects", "contacts/batch/read"), json=body).get("results", [])
        return Contact.from_api(results[0]) if results else None

    def get_contact(self, contact_id: str) -> Contact | None:
        data = self._get(self._path("objects", f"contacts/{contact_id}"), {"properties": "email,firstname,lastname"})
        return Contact.from_api(data) if data else None

    def create_contact(self, email: str, firstname: str = "", lastname: str = "") -> Contact:
        try:
            props = {"email": email, "firstname": firstname, "lastname": lastname}
            return Contact.from_api(self._create("contacts", props, [], idempotent=True))  # email is unique
        except HubSpotError as exc:
            found = _EXISTING_ID.search(getattr(exc, "hubspot_message", ""))
            if exc.status_code != 409 or not found:
                raise
        return self.get_contact(found.group(1)) or Contact(found.group(1), email, firstname, lastname)

    def find_company_by_domain(self, domain: str, tier_property: str = "tier", revenue_property: str = "annualrevenue") -> Company | None:
        props = ("name", "domain", tier_property, revenue_property)
        filters = [{"propertyName": "domain", "operator": "EQ", "value": domain.lower()}]
        for record in self._search("companies", filters, props, limit=1):
            return Company.from_api(record, tier_property, revenue_property)
        return None

    # -- tickets ---------------------------------------------------------------------------------
    def get_ticket(self, ticket_id: str, properties: Iterable[str] = ()) -> Ticket | None:
        data = self._get(self._path("objects", f"tickets/{ticket_id}"), _ticket_params(properties))
        return Ticket.from_api(data) if data else None

    def get_ticket_by_unique(self, property_name: str, value: str, properties: Iterable[str] = ()) -> Ticket | None:
        params = {**_ticket_params((property_name, *properties)), "idProperty": property_name}
        data = self._get(self._path("objects", f"tickets/{quote(value, safe='')}"), params)
        return Ticket.from_api(data) if data else None

    def open_tickets_for_contact(self, contact_id: str) -> list[Ticket]:
        closed = {s.id for p in self.pipelines() for s in p.stages if s.closed}
        filters = [{"propertyName": "associations.contact", "operator": "EQ", "value": str(contact_id)}]
        tickets = [Ticket.from_api(r) for r in self._search("tickets", filters, TICKET_PROPERTIES)]
        return [t for t in tickets if t.stage not in closed]

    def create_ticket(
        self,
        subject: str,
        content: str,
        pipeline: str,
        stage: str,
        priority: str | None = None,
        extra_properties: Mapping[str, Any] | None = None,
        contact_id: str | None = None,
        company_id: str | None = None,
        unique_property: str | None = None,
    ) -> Ticket:
        """Create a ticket; with ``unique_property`` (set in ``extra_properties``) a repeat returns the existing one."""
        props = {"subject": subject, "content": content, "hs_pipeline": pipeline, "hs_pipeline_stage": stage, **(extra_properties or {})}
        if priority:
            props["hs_ticket_priority"] = priority
        assocs = [_assoc(contact_id, TICKET_TO_CONTACT)] if contact_id else []
        assocs += [_assoc(company_id, TICKET_TO_COMPANY)] if company_id else []
        try:
            # With a unique key a lost answer is safe to retry: the repeat answers 409 and we look it up.
            return Ticket.from_api(self._create("tickets", props, assocs, idempotent=unique_property in props))
        except HubSpotError as exc:
            if exc.status_code != 409 or not unique_property or unique_property not in props:
                raise
            existing = self.get_ticket_by_unique(unique_property, to_hubspot(props[unique_property]))
            if existing is None:
                raise
            existing.existed = True
            return existing

    def update_ticket(self, ticket_id: str, properties: Mapping[str, Any]) -> Ticket:
        body = {"properties": {k: to_hubspot(v) for k, v in properties.items()}}
        return Ticket.from_api(self._json("PATCH", self._path("objects", f"tickets/{ticket_id}"), json=body))

    # -- engagements -----------------------------------------------------------------------------
    def create_note(self, ticket_id: str, body_html: str, owner_id: str | None = None, timestamp: datetime | None = None) -> Note:
        body = truncate_html(body_html)
        props = {"hs_timestamp": timestamp or self._now(), "hs_note_body": body}
        if owner_id:
            props["hubspot_owner_id"] = owner_id
        data = self._create("notes", props, [_assoc(ticket_id, NOTE_TO_TICKET)])
        return Note(id=str(data["id"]), body=body, truncated=body != body_html)

    def create_task(
        self, ticket_id: str, subject: str, body: str, owner_id: str | None, due: datetime, type: str = "EMAIL", status: str = "NOT_STARTED"
    ) -> Task:
        props = {"hs_timestamp": due, "hs_task_subject": subject, "hs_task_body": body, "hs_task_status": status, "hs_task_type": type}
        if owner_id:
            props["hubspot_owner_id"] = owner_id
        return Task.from_api(self._create("tasks", props, [_assoc(ticket_id, TASK_TO_TICKET)]))

    def complete_task(self, task_id: str) -> Task:
        body = {"properties": {"hs_task_status": "COMPLETED"}}
        return Task.from_api(self._json("PATCH", self._path("objects", f"tasks/{task_id}"), json=body))

    def find_task(self, ticket_id: str, subject: str) -> Task | None:
        """The ticket's task titled ``subject``, read through associations (search may lag)."""
        linked = self._paged(self._path("objects", f"tickets/{ticket_id}/associations/tasks", v4=True), {"limit": 500})
        ids = [str(r["toObjectId"]) for r in linked]
        for start in range(0, len(ids), 100):
            body = {"inputs": [{"id": i} for i in ids[start : start + 100]], "properties": list(TASK_PROPERTIES)}
            for record in self._json("POST", self._path("objects", "tasks/batch/read"), json=body).get("results", []):
                if record.get("properties", {}).get("hs_task_subject") == subject:
                    return Task.from_api(record)
        return None

    def log_email(self, ticket_id: str, subject: str, text: str, timestamp: datetime, owner_id: str | None = None) -> EmailLog:
        props = {"hs_timestamp": timestamp, "hs_email_direction": "FORWARDED_EMAIL", "hs_email_subject": subject, "hs_email_text": text}
        if owner_id:
            props["hubspot_owner_id"] = owner_id
        data = self._create("emails", props, [_assoc(ticket_id, EMAIL_TO_TICKET)])
        return EmailLog(id=str(data["id"]), subject=subject)


def _ticket_params(properties: Iterable[str]) -> dict[str, str]:
    wanted = dict.fromkeys((*TICKET_PROPERTIES, *properties))
    return {"properties": ",".join(wanted), "associations": "contacts,companies"}


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
