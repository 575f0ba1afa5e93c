"""HubSpot webhooks: ``python -m ingest hubspot-webhook --port N`` acts on ticket and company changes at once.

A project app's webhook subscriptions (``ticket.propertyChange``, ``company.propertyChange``) post batches of
events here. :func:`handle_delivery` checks the v3 signature (HMAC-SHA256 of method, URI, body and timestamp with
the app's client secret, base64; older than five minutes is refused; compared in constant time) and decides;
the work is queued for one background thread: a ticket moved to ``ROTADESK_HUBSPOT_ESCALATE_STAGE`` is filed
(:func:`ingest.hubspot_source.file_ticket`), any other change runs a pass of :func:`core.follow.follow_hubspot`.
Events come unordered and retried, so both are idempotent; polling in ``run`` remains the fallback.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from core.settings import Settings
from ingest.http_body import SOCKET_TIMEOUT_SECONDS, answer, read_body

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1_000_000
MAX_AGE_MS = 5 * 60 * 1000
# HubSpot signs the URI with these escapes decoded (its v3 signature reference).
_DECODED = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'", "%28": "(",
            "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}
Action = tuple[str, str]  # ("file", ticket id) or ("follow", "")


@dataclass(frozen=True)
class Delivery:
    """How one delivery was answered and what it queued."""

    status: int
    reason: str
    actions: tuple[Action, ...] = field(default_factory=tuple)


def signature_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """The base64 HMAC-SHA256 HubSpot puts in ``X-HubSpot-Signature-v3``."""
    for escaped, plain in _DECODED.items():
        uri = uri.replace(escaped, plain).replace(escaped.lower(), plain)
    source = method.upper().encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


def handle_delivery(settings: Settings, method: str, path: str, headers: Mapping[str, str], raw_body: bytes, *,
                    now: datetime, act: Callable[[Action], None]) -> Delivery:
    """Verify one delivery and queue what it asks for through ``act``."""
    result = _check(settings, method, path, {k.lower(): v for k, v in headers.items()}, raw_body, now)
    for action in result.actions:
        act(action)
    log.log(logging.WARNING if result.status >= 400 else logging.INFO, "HubSpot webhook answered %s: %s",
            result.status, result.reason)
    return result


def _check(settings: Settings, method: str, path: str, headers: dict[str, str], raw: bytes,
           now: datetime) -> Delivery:
    if not settings.hubspot_webhook_secret or not settings.hubspot_webhook_url:
        return Delivery(401, "no HubSpot webhook secret or URL is configured")
    stamp = headers.get("x-hubspot-request-timestamp") or ""
    if not stamp.isdigit() or abs(now.timestamp() * 1000 - int(stamp)) > MAX_AGE_MS:
        return Delivery(401, "X-HubSpot-Request-Timestamp is missing or more than five minutes away")
    query = path.partition("?")[2]
    uri = settings.hubspot_webhook_url.rstrip("/") if not query else f"{settings.hubspot_webhook_url}?{query}"
    expected = signature_v3(settings.hubspot_webhook_secret, method, uri, raw, stamp)
    if not hmac.compare_digest(expected, (headers.get("x-hubspot-signature-v3") or "").strip()):
        return Delivery(401, "bad signature")
    try:
        events = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return Delivery(400, "malformed JSON")
    if not isinstance(events, list):
        return Delivery(400, "malformed JSON: not a list of events")
    return Delivery(200, f"{len(events)} events", route(settings, events))


def route(settings: Settings, events: list[Any]) -> tuple[Action, ...]:
    """What to do for a batch: file each ticket moved to the escalate stage; follow the rest once."""
    actions: dict[Action, None] = {}
    for event in events:
        if not isinstance(event, dict):
            continue
        kind, name = str(event.get("subscriptionType") or ""), event.get("propertyName")
        if kind == "ticket.propertyChange" and name == "hs_pipeline_stage" and settings.hubspot_escalate_stage \
                and str(event.get("propertyValue")) == settings.hubspot_escalate_stage and event.get("objectId"):
            actions.setdefault(("file", str(event["objectId"])))
        elif kind in ("ticket.propertyChange", "company.propertyChange"):
            actions.setdefault(("follow", ""))
    return tuple(actions)


def run_action(db: Any, settings: Settings, hubspot: Any, linear: Any, action: Action, *, now: datetime) -> None:
    """Carry out one queued action (the background thread's work; also the test seam)."""
    from core.follow import follow_hubspot
    from ingest.hubspot_source import file_ticket

    kind, ticket_id = action
    if kind == "file":
        file_ticket(db, settings, hubspot, ticket_id, now=now)
    else:
        follow_hubspot(db, settings, hubspot, linear, now=now)


class ActionWorker:
    """Runs queued actions on one thread with its own database handle and clients."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.queue: queue.Queue[Action | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="rotadesk-hubspot-webhook", daemon=True)

    def start(self) -> ActionWorker:
        self.thread.start()
        return self

    def submit(self, action: Action) -> None:
        self.queue.put(action)

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=30)

    def _run(self) -> None:
        from core.hubspot import HubSpotClient
        from core.linear import LinearClient
        from core.store import open_db

        db = open_db(self.settings.db)
        hubspot = HubSpotClient.from_settings(self.settings)
        linear = LinearClient.from_settings(self.settings)
        while (action := self.queue.get()) is not None:
            try:
                run_action(db, self.settings, hubspot, linear, action, now=datetime.now(timezone.utc))
            except Exception:  # keep serving; the next poll picks up whatever failed here
                log.exception("HubSpot webhook: %s failed", action)
        db.close()


def build_server(settings: Settings, host: str, port: int, *, act: Callable[[Action], None]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        timeout = SOCKET_TIMEOUT_SECONDS  # set on the socket: no read waits forever

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
            raw = read_body(self, MAX_BODY_BYTES)
            if raw is None:
                return
            result = handle_delivery(settings, "POST", self.path, dict(self.headers.items()), raw,
                                     now=datetime.now(timezone.utc), act=act)
            answer(self, result.status, result.reason)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("HubSpot webhook %s", format % args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve until interrupted; accepted events are acted on by a background thread."""
    worker = ActionWorker(settings).start()
    server = build_server(settings, host, port, act=worker.submit)
    log.info("Receiving HubSpot webhooks on http://%s:%s", host, server.server_address[1])
    try:
        server.serve_forever()
    finally:
        server.server_close()
        worker.stop()
