"""What the HubSpot client returns: small dataclasses and errors built from HubSpot's answers, and value helpers.

Nothing here talks to HubSpot; :mod:`core.hubspot` re-exports every name, so callers import from there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from core.errors import HubSpotError, HubSpotRateLimited
from core.ratelimit import header_number, wait_from_headers

NOTE_BODY_LIMIT = 65_536


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
    """A HubSpot company with the customer context Rotadesk shows; ``owner_id`` is its HubSpot owner."""

    id: str
    name: str
    domain: str
    tier: str | None = None
    revenue: float | None = None
    owner_id: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any], tier_property: str, revenue_property: str) -> Company:
        p = data.get("properties") or {}
        try:
            revenue = float(p[revenue_property]) if p.get(revenue_property) else None
        except ValueError:
            revenue = None
        return cls(str(data["id"]), p.get("name") or "", p.get("domain") or "", p.get(tier_property) or None,
                   revenue, p.get("hubspot_owner_id") or None)


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
        stages = tuple(
            Stage(str(s["id"]), s.get("label", ""), (s.get("metadata") or {}).get("ticketState") == "CLOSED")
            for s in raw
        )
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
        return cls(str(data["id"]), data.get("email") or "", data.get("firstName") or "", data.get("lastName") or "",
                   str(user) if user else None)

    @property
    def display_name(self) -> str:
        """First and last name, or the email when HubSpot has no name."""
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email


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
class HubFile:
    """A file in HubSpot's file manager; ``path`` is its folder path and name, the key an upload is found by."""

    id: str
    name: str
    path: str
    size: int = 0
    url: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> HubFile:
        name = data.get("name") or ""
        if data.get("extension"):
            name = f"{name}.{data['extension']}"
        return cls(str(data["id"]), name, data.get("path") or "", int(data.get("size") or 0), data.get("url") or "")


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


def files_path(prefix: str, rest: str = "") -> str:
    """The Files API path under the same version as ``prefix``: ``/files/v3/files`` or ``/files/2026-03/files``."""
    version = prefix.rstrip("/").rsplit("/", 1)[-1]
    head = f"/files/{version}/files"
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


# -- errors from HubSpot's answers -------------------------------------------------------------------------------
def error_from(response: httpx.Response, scrub: Callable[[str], str]) -> HubSpotError:
    """A refused request as a ``HubSpotError`` with its category and correlation id (``scrub`` hides the token)."""
    body = _body(response)
    category = str(body.get("category") or body.get("errorType") or "")
    message = scrub(str(body.get("message") or response.reason_phrase))
    return HubSpotError(f"{response.status_code} {category or 'error'}: {message}",
                        status_code=response.status_code, retryable=response.status_code >= 500,
                        category=category, hubspot_message=message, correlation_id=body.get("correlationId"))


def rate_limit_from(response: httpx.Response, scrub: Callable[[str], str], now: datetime) -> HubSpotRateLimited:
    """A 429 with the wait it asks for: the headers' if given, else one second (search), a window, or midnight."""
    body = _body(response)
    message = scrub(str(body.get("message") or "rate limited"))
    waited = wait_from_headers(response.headers, now_epoch=now.timestamp())
    if str(body.get("policyName", "")).upper() == "DAILY":
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)
        return HubSpotRateLimited(message, retry_after=waited or (midnight - now).total_seconds(), daily=True)
    if "secondly limit" in message and "ten_secondly" not in message:
        return HubSpotRateLimited(message, retry_after=waited if waited is not None else 1.0)
    interval = header_number(response.headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
    fallback = interval / 1000 if interval else 10.0
    return HubSpotRateLimited(message, retry_after=waited if waited is not None else fallback)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
