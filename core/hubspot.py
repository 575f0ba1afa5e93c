"""HubSpot CRM client: the calls Rotadesk makes, returning dataclasses (contract: specs/hubspot-contract.md).

Every request goes through :meth:`HubSpotClient._send`, which paces, retries and translates errors:
a daily rate limit is raised at once; ten-secondly and search limits wait and retry; 5xx answers,
timeouts and dropped connections retry a bounded number of times with jittered backoff. Tokens never
appear in messages. Reference data (portal id, pipelines, owners) is cached per client instance.

The client is safe to share between threads: the pacer hands out send slots per lane, so a request waiting
for the search lane never holds up a ticket create, and requests themselves run side by side.
The dataclasses live in :mod:`core.hubspot_models` and are re-exported here.
"""

from __future__ import annotations

import json as _json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import httpx

from core.errors import HubSpotError, HubSpotRateLimited
from core.hubspot_models import (
    NOTE_BODY_LIMIT,
    Company,
    Contact,
    EmailLog,
    HubFile,
    Note,
    Owner,
    Pipeline,
    PortalInfo,
    Stage,
    Task,
    Ticket,
    crm_path,
    error_from,
    files_path,
    rate_limit_from,
    ticket_url,
    to_hubspot,
    truncate_html,
)
from core.ratelimit import Pacer, RetryPolicy, header_number

__all__ = [
    "NOTE_BODY_LIMIT", "Company", "Contact", "EmailLog", "HubFile", "HubSpotClient", "Note", "Owner", "Pipeline",
    "PortalInfo", "Stage", "Task", "Ticket", "crm_path", "ticket_url", "to_hubspot", "truncate_html",
]

log = logging.getLogger(__name__)

TICKET_TO_CONTACT, TICKET_TO_COMPANY = 16, 26
NOTE_TO_TICKET, TASK_TO_TICKET, EMAIL_TO_TICKET = 228, 230, 224
PROPERTY_GROUP = "rotadesk"
SEARCH_SPACING = 0.26  # seconds between searches: under 4 a second, below HubSpot's 5 with room for jitter
OWNERS_TTL = 900.0  # seconds; people join HubSpot while the worker runs
TICKET_PROPERTIES = ("subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "hubspot_owner_id")
TASK_PROPERTIES = ("hs_task_subject", "hs_task_body", "hs_task_status", "hs_task_type", "hubspot_owner_id",
                   "hs_timestamp")
COMPANY_PROPERTIES = ("name", "domain", "hubspot_owner_id")
# The property of each engagement kind that carries the text a marker is looked for in.
ENGAGEMENT_TEXT = {"notes": "hs_note_body", "emails": "hs_email_text"}
_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)  # the request never left


def _assoc(to_id: str, type_id: int) -> dict[str, Any]:
    types = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]
    return {"to": {"id": str(to_id)}, "types": types}


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
        self._pacer = Pacer(sleep=sleep, clock=clock, min_intervals={"search": SEARCH_SPACING},
                            policy=policy or RetryPolicy())
        self.calls = 0
        self.last_rate_limit: dict[str, str] = {}
        self._cache: dict[str, tuple[float, Any]] = {}
        self._clock = clock
        self._count_lock = threading.Lock()
        self._cache_lock = threading.Lock()  # reference data is fetched once even when threads ask together

    @classmethod
    def from_settings(cls, settings: Any, transport: httpx.BaseTransport | None = None) -> HubSpotClient:
        return cls(settings.hubspot_token, base_url=settings.hubspot_base_url, prefix=settings.hubspot_prefix,
                   transport=transport)

    def __enter__(self) -> HubSpotClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- transport -------------------------------------------------------------------------------
    def _send(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None,
        lane: str = "default", idempotent: bool = True, files: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send with pacing and retries; a non-idempotent create is retried only when it surely never left."""
        transient = limited = 0
        while True:
            self._pacer.wait(lane)  # sleeps without holding anything another lane needs
            sent_at = self._clock()
            with self._count_lock:
                self.calls += 1
            try:
                response = self._http.request(method, path, json=json, params=params, files=files, data=data)
            except _TRANSIENT as exc:
                if transient >= self._pacer.policy.retries or not (idempotent or isinstance(exc, _UNSENT)):
                    raise HubSpotError(f"could not reach HubSpot ({type(exc).__name__})", retryable=True) from exc
                log.warning("HubSpot %s %s failed (%s); retrying", method, path, type(exc).__name__)
                self._pacer.backoff(transient)
                transient += 1
                continue
            self._note_headroom(response, lane, sent_at)
            if response.status_code == 429:
                error = self._rate_limited(response)
                if error.daily or limited >= self._pacer.policy.retries:
                    raise error
                log.info("HubSpot rate limit on %s; waiting %.1f s", path, error.retry_after)
                self._pacer.hold(error.retry_after, lane)
                limited += 1
                continue
            # A create that answered 5xx may still have been carried out: the caller looks for it (core.once).
            if response.status_code >= 500 and idempotent and transient < self._pacer.policy.retries:
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

    def _note_headroom(self, response: httpx.Response, lane: str, sent_at: float) -> None:
        headroom = {k: v for k, v in response.headers.items() if k.lower().startswith("x-hubspot-ratelimit-")}
        if not headroom:
            return
        self.last_rate_limit = headroom
        h = response.headers
        if lane == "search":
            remaining = header_number(h, "X-HubSpot-RateLimit-Secondly-Remaining")
            self._pacer.observe(remaining, header_number(h, "X-HubSpot-RateLimit-Secondly"), 1.0, lane, sent_at)
        else:
            interval = header_number(h, "X-HubSpot-RateLimit-Interval-Milliseconds")
            remaining = header_number(h, "X-HubSpot-RateLimit-Remaining")
            limit = header_number(h, "X-HubSpot-RateLimit-Max")
            self._pacer.observe(remaining, limit, interval / 1000 if interval else None, lane, sent_at)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _error(self, response: httpx.Response) -> HubSpotError:
        return error_from(response, self._scrub)

    def _rate_limited(self, response: httpx.Response) -> HubSpotRateLimited:
        return rate_limit_from(response, self._scrub, self._now())

    def _path(self, family: str, rest: str = "", *, v4: bool = False) -> str:
        return crm_path(self.prefix, family, rest, v4=v4)

    def _search(
        self, object_type: str, filters: list[dict[str, Any]], properties: Iterable[str], *, limit: int = 100,
        sorts: list[dict[str, str]] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record matching ``filters``, page by page (search lags new records by a few seconds)."""
        body: dict[str, Any] = {"filterGroups": [{"filters": filters}], "properties": list(properties), "limit": limit}
        if sorts:
            body["sorts"] = sorts
        while True:
            page = self._json("POST", self._path("objects", f"{object_type}/search"), json=body, lane="search")
            yield from page.get("results", [])
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                return
            body["after"] = after

    def _create(
        self, object_type: str, properties: Mapping[str, Any], associations: list[dict[str, Any]], *,
        idempotent: bool = False,
    ) -> dict[str, Any]:
        body = {"properties": {k: to_hubspot(v) for k, v in properties.items()}, "associations": associations}
        return self._json("POST", self._path("objects", object_type), json=body, idempotent=idempotent)

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        try:
            return self._json("GET", path, params=params)
        except HubSpotError as exc:
            if exc.status_code == 404:
                return None
            raise

    def _paged(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        while True:
            page = self._json("GET", path, params=params)
            yield from page.get("results", [])
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                return
            params = {**params, "after": after}

    def _associated(self, ticket_id: str, kind: str, properties: Iterable[str]) -> Iterator[dict[str, Any]]:
        """The ticket's ``kind`` records with ``properties``, read through associations (search may lag)."""
        linked = self._paged(self._path("objects", f"tickets/{ticket_id}/associations/{kind}", v4=True), {"limit": 500})
        ids = [str(r["toObjectId"]) for r in linked]
        for start in range(0, len(ids), 100):
            body = {"inputs": [{"id": i} for i in ids[start : start + 100]], "properties": list(properties)}
            yield from self._json("POST", self._path("objects", f"{kind}/batch/read"), json=body).get("results", [])

    def _cached(self, key: str, load: Callable[[], Any], ttl: float = float("inf")) -> Any:
        with self._cache_lock:
            loaded_at, value = self._cache.get(key, (None, None))
            if loaded_at is None or self._clock() - loaded_at > ttl:
                value = load()
                self._cache[key] = (self._clock(), value)
            return value

    # -- reference data --------------------------------------------------------------------------
    def account_info(self) -> PortalInfo:
        return self._cached("portal", lambda: PortalInfo.from_api(self._json("GET", "/account-info/v3/details")))

    def portal_id(self) -> int:
        return self.account_info().portal_id

    def ticket_url(self, portal_id: int | str, ticket_id: str) -> str:
        return ticket_url(portal_id, ticket_id)

    def pipelines(self) -> list[Pipeline]:
        def load() -> list[Pipeline]:
            data = self._json("GET", self._path("pipelines", "tickets"))
            return [Pipeline.from_api(p) for p in data.get("results", [])]

        return self._cached("pipelines", load)

    def owners(self, email: str | None = None) -> list[Owner]:
        owners: list[Owner] = self._cached(
            "owners", lambda: [Owner.from_api(o) for o in self._paged(self._path("owners"), {"limit": 100})],
            ttl=OWNERS_TTL,
        )
        return [o for o in owners if o.email.lower() == email.lower()] if email else list(owners)

    def owner(self, owner_id: str) -> Owner | None:
        """The owner with id ``owner_id``, from the cached owners list."""
        return next((o for o in self.owners() if o.id == str(owner_id)), None)

    def ticket_property_exists(self, name: str) -> bool:
        return self._get(self._path("properties", f"tickets/{name}")) is not None

    def create_ticket_property(self, name: str, label: str, unique: bool = False) -> None:
        """Create a text ticket property in the ``rotadesk`` group (made if missing); existing is fine."""
        if self._get(self._path("properties", f"tickets/groups/{PROPERTY_GROUP}")) is None:
            group = {"name": PROPERTY_GROUP, "label": "Rotadesk", "displayOrder": -1}
            self._json("POST", self._path("properties", "tickets/groups"), json=group)
        body = {"name": name, "label": label, "type": "string", "fieldType": "text", "groupName": PROPERTY_GROUP,
                "hasUniqueValue": unique}
        try:
            self._json("POST", self._path("properties", "tickets"), json=body)
        except HubSpotError as exc:
            if exc.status_code != 409:
                raise

    def modified_since(
        self, object_type: str, since: datetime, properties: Iterable[str], filters: Iterable[dict[str, Any]] = (),
    ) -> Iterator[dict[str, Any]]:
        """Records changed at or after ``since``, oldest change first, in pages of 200 on the search lane.

        A new search starts from the last date seen before the 10,000-result cap of one query is reached.
        """
        start, seen = int(since.timestamp() * 1000), set()
        while True:
            rules = [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(start)}, *filters]
            sorts = [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
            count, last = 0, start
            for record in self._search(object_type, rules, ("hs_lastmodifieddate", *properties), limit=200,
                                       sorts=sorts):
                count += 1
                last = max(last, modified_ms(record))
                if (record["id"], modified_ms(record)) not in seen:
                    seen.add((record["id"], modified_ms(record)))
                    yield record
                if count >= 9_800:  # close to the cap: query again from here
                    break
            if count < 9_800 or last == start:
                return
            start = last

    # -- contacts and companies ------------------------------------------------------------------
    def find_contact_by_email(self, email: str) -> Contact | None:
        """The contact whose email is ``email``, by a batch read keyed on email.

        Unlike search, the read sees records created moments ago, and it spends the general limit rather than
        the far tighter search one (a search per new customer would make search the bottleneck of linking).
        """
        body = {"idProperty": "email", "inputs": [{"id": email}], "properties": ["email", "firstname", "lastname"]}
        try:
            results = self._json("POST", self._path("objects", "contacts/batch/read"), json=body).get("results", [])
        except HubSpotError as exc:
            if exc.status_code not in (400, 404, 405) or isinstance(exc, HubSpotRateLimited):
                raise
            # A portal or proxy that refuses the batch read still answers the search the contract also allows.
            filters = [{"propertyName": "email", "operator": "EQ", "value": email}]
            results = list(self._search("contacts", filters, ["email", "firstname", "lastname"], limit=10))
        found = [Contact.from_api(r) for r in results]
        return next((c for c in found if c.email.lower() == email.lower()), None)

    def get_contact(self, contact_id: str) -> Contact | None:
        params = {"properties": "email,firstname,lastname"}
        data = self._get(self._path("objects", f"contacts/{contact_id}"), params)
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

    def upsert_contact(self, email: str, firstname: str = "", lastname: str = "") -> tuple[Contact, bool]:
        """The contact with ``email``, created when missing, in one batch upsert keyed on email; and whether it was
        created just now (HubSpot's ``new``; read as False when absent, so a caller only ever does more, not less).

        Names are sent only when known, so an existing contact keeps the names it has unless the email names them.
        Safe to repeat after a lost answer: the repeat finds the contact the first one made. A portal that refuses
        the upsert gets the read-then-create it answered before.
        """
        props = {"email": email, **{k: v for k, v in (("firstname", firstname), ("lastname", lastname)) if v}}
        body = {"inputs": [{"idProperty": "email", "id": email, "properties": props}]}
        try:
            results = self._json("POST", self._path("objects", "contacts/batch/upsert"), json=body).get("results", [])
        except HubSpotError as exc:
            if exc.status_code not in (400, 404, 405) or isinstance(exc, HubSpotRateLimited):
                raise
            log.info("HubSpot refused the contact upsert (%s); reading, then creating", exc.status_code)
            found = self.find_contact_by_email(email)
            return (found, False) if found else (self.create_contact(email, firstname, lastname), True)
        record = next((r for r in results if (r.get("properties") or {}).get("email", "").lower() == email.lower()),
                      results[0] if results else None)
        if record is None:
            raise HubSpotError("HubSpot answered the contact upsert without a contact", retryable=True)
        return Contact.from_api(record), record.get("new") is True

    def find_company_by_domain(
        self, domain: str, tier_property: str = "tier", revenue_property: str = "annualrevenue"
    ) -> Company | None:
        props = dict.fromkeys((*COMPANY_PROPERTIES, tier_property, revenue_property))
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

    def contacts_with_changed_tickets(self, contact_ids: Iterable[str], since: datetime) -> bool:
        """Whether any ticket of these contacts (at most 5: one filter group each) changed at or after ``since``."""
        ids = list(contact_ids)
        if not 0 < len(ids) <= 5:
            raise ValueError("give 1 to 5 contact ids (HubSpot's search takes 5 filter groups)")
        stamp = {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(int(since.timestamp() * 1000))}
        groups = [{"filters": [stamp, {"propertyName": "associations.contact", "operator": "EQ", "value": str(c)}]}
                  for c in ids]
        body = {"filterGroups": groups, "properties": ["hs_lastmodifieddate"], "limit": 1}
        page = self._json("POST", self._path("objects", "tickets/search"), json=body, lane="search")
        return bool(page.get("results"))

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
        props = {"subject": subject, "content": content, "hs_pipeline": pipeline, "hs_pipeline_stage": stage,
                 **(extra_properties or {})}
        if priority:
            props["hs_ticket_priority"] = priority
        assocs = [_assoc(contact_id, TICKET_TO_CONTACT)] if contact_id else []
        assocs += [_assoc(company_id, TICKET_TO_COMPANY)] if company_id else []
        try:
            # With a unique key a lost answer is safe to retry: the repeat is refused and we look it up.
            return Ticket.from_api(self._create("tickets", props, assocs, idempotent=unique_property in props))
        except HubSpotError as exc:
            # A taken unique value comes back as 409 CONFLICT or as a 400 validation error, depending on the path.
            if exc.status_code not in (400, 409) or not unique_property or unique_property not in props:
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
    def create_note(
        self, ticket_id: str, body_html: str, owner_id: str | None = None, timestamp: datetime | None = None,
        attachment_ids: Iterable[str] = (),
    ) -> Note:
        body = truncate_html(body_html)
        props = {"hs_timestamp": timestamp or self._now(), "hs_note_body": body}
        if owner_id:
            props["hubspot_owner_id"] = owner_id
        if attachment_ids:
            props["hs_attachment_ids"] = ";".join(attachment_ids)
        data = self._create("notes", props, [_assoc(ticket_id, NOTE_TO_TICKET)])
        return Note(id=str(data["id"]), body=body, truncated=body != body_html)

    def find_note(self, ticket_id: str, marker: str) -> Note | None:
        """The ticket's first note whose body contains ``marker`` (a retry's way to see its note landed)."""
        record = self._find_engagement(ticket_id, "notes", marker)
        return None if record is None else Note(str(record["id"]), record["properties"]["hs_note_body"])

    def create_task(
        self, ticket_id: str, subject: str, body: str, owner_id: str | None, due: datetime, type: str = "EMAIL",
        status: str = "NOT_STARTED",
    ) -> Task:
        props = {"hs_timestamp": due, "hs_task_subject": subject, "hs_task_body": body, "hs_task_status": status,
                 "hs_task_type": type}
        if owner_id:
            props["hubspot_owner_id"] = owner_id
        return Task.from_api(self._create("tasks", props, [_assoc(ticket_id, TASK_TO_TICKET)]))

    def update_task(self, task_id: str, properties: dict[str, str]) -> Task:
        body = {"properties": properties}
        return Task.from_api(self._json("PATCH", self._path("objects", f"tasks/{task_id}"), json=body))

    def complete_task(self, task_id: str, body: str | None = None) -> Task:
        """Mark the task done, replacing its body first when ``body`` is given (one request either way)."""
        return self.update_task(task_id, {"hs_task_status": "COMPLETED", **({"hs_task_body": body} if body else {})})

    def find_task(self, ticket_id: str, subject: str) -> Task | None:
        """The ticket's task titled ``subject``, read through associations (search may lag)."""
        for record in self._associated(ticket_id, "tasks", TASK_PROPERTIES):
            if record.get("properties", {}).get("hs_task_subject") == subject:
                return Task.from_api(record)
        return None

    def log_email(
        self, ticket_id: str, subject: str, text: str, timestamp: datetime, owner_id: str | None = None,
        attachment_ids: Iterable[str] = (),
    ) -> EmailLog:
        props = {"hs_timestamp": timestamp, "hs_email_direction": "FORWARDED_EMAIL", "hs_email_subject": subject,
                 "hs_email_text": text}
        if owner_id:
            props["hubspot_owner_id"] = owner_id
        if attachment_ids:
            props["hs_attachment_ids"] = ";".join(attachment_ids)
        data = self._create("emails", props, [_assoc(ticket_id, EMAIL_TO_TICKET)])
        return EmailLog(id=str(data["id"]), subject=subject)

    def find_email_log(self, ticket_id: str, marker: str) -> EmailLog | None:
        """The ticket's first logged email whose text contains ``marker``."""
        record = self._find_engagement(ticket_id, "emails", marker, ("hs_email_subject",))
        if record is None:
            return None
        return EmailLog(str(record["id"]), record["properties"].get("hs_email_subject") or "")

    # -- files -------------------------------------------------------------------------------------
    def upload_file(self, folder_path: str, name: str, content: bytes, content_type: str = "text/plain") -> HubFile:
        """Upload ``content`` as ``folder_path/name``, private, replacing a file already at that path.

        Not re-sent after a lost answer (a multipart body is no cheap retry); a later attempt first asks
        :meth:`file_at` for the path the upload itself carried, which reads by key and never lags like search.
        """
        options = {"access": "PRIVATE", "overwrite": True, "duplicateValidationStrategy": "NONE",
                   "duplicateValidationScope": "EXACT_FOLDER"}
        form = {"fileName": name, "folderPath": folder_path, "options": _json.dumps(options)}
        response = self._send("POST", files_path(self.prefix), files={"file": (name, content, content_type)},
                              data=form, idempotent=False)
        return HubFile.from_api(response.json())

    def file_at(self, path: str) -> HubFile | None:
        """The file at ``path`` (folder path and name), or None."""
        data = self._get(files_path(self.prefix, "stat/" + quote(path.lstrip("/"), safe="/")))
        return HubFile.from_api(data["file"]) if data and data.get("file") else None

    def _find_engagement(
        self, ticket_id: str, kind: str, marker: str, extra: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        text = ENGAGEMENT_TEXT[kind]
        for record in self._associated(ticket_id, kind, (text, *extra)):
            record["properties"] = record.get("properties") or {}
            if marker in (record["properties"].get(text) or ""):
                return record
        return None


def modified_ms(record: Mapping[str, Any]) -> int:
    """A search result's ``hs_lastmodifieddate`` as epoch milliseconds (HubSpot answers ISO or epoch)."""
    raw = str((record.get("properties") or {}).get("hs_lastmodifieddate") or "0")
    if raw.isdigit():
        return int(raw)
    try:
        return int(datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return 0


def _ticket_params(properties: Iterable[str]) -> dict[str, str]:
    wanted = dict.fromkeys((*TICKET_PROPERTIES, *properties))
    return {"properties": ",".join(wanted), "associations": "contacts,companies"}
