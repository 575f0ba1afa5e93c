"""Linear webhooks: ``python -m ingest webhook --port N`` stages closing replies without waiting for a poll.

:func:`handle_delivery` checks one delivery and decides; it never calls HubSpot or Linear itself. Accepted
state changes are handed to ``act`` (the server queues them for a background thread), so Linear gets its
answer within milliseconds, and the worker re-reads the issue before acting. Polling remains the fallback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from core.closing import CLOSED_TYPES
from core.settings import Settings
from core.store import iso, open_db
from core.store import replies as store
from ingest.http_body import SOCKET_TIMEOUT_SECONDS, answer, read_body

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
TIMESTAMP_TOLERANCE_MS = 60_000  # how old a delivery may be (Linear retries within this)
FUTURE_TOLERANCE_MS = 5_000      # how far ahead of our clock one may be: clock skew, not a replay window


@dataclass(frozen=True)
class Delivery:
    """How one delivery was answered and why; ``issue_id`` when it was handed on."""

    status: int
    reason: str
    issue_id: str | None = None


def signature(secret: str, raw_body: bytes) -> str:
    """The hex HMAC-SHA256 Linear puts in ``Linear-Signature``."""
    return hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def state_change(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    """(issue id, new state type) when the payload is an issue moving between workflow states."""
    data, before = payload.get("data"), payload.get("updatedFrom")
    if payload.get("type") != "Issue" or payload.get("action") != "update":
        return None
    if not isinstance(data, dict) or not isinstance(before, dict) or "stateId" not in before or not data.get("id"):
        return None
    state = data.get("state") if isinstance(data.get("state"), dict) else {}
    return str(data["id"]), str(state.get("type") or "")


def handle_delivery(
    db: Any,
    settings: Settings,
    headers: Mapping[str, str],
    raw_body: bytes,
    *,
    now: datetime,
    act: Callable[[str], None],
) -> Delivery:
    """Verify, de-duplicate and route one delivery; ``act(issue_id)`` is called for changes worth acting on."""
    result = _check(db, settings, {k.lower(): v for k, v in headers.items()}, raw_body, now, act)
    level = logging.WARNING if result.status >= 400 else logging.INFO
    log.log(level, "Linear webhook answered %s: %s", result.status, result.reason)
    return result


def _check(
    db: Any, settings: Settings, headers: dict[str, str], raw_body: bytes, now: datetime, act: Callable[[str], None]
) -> Delivery:
    if not settings.linear_webhook_secret:
        return Delivery(401, "no webhook secret is configured")
    given = (headers.get("linear-signature") or "").strip().lower()
    if not given or not hmac.compare_digest(signature(settings.linear_webhook_secret, raw_body), given):
        return Delivery(401, "bad signature")
    try:
        payload = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        return Delivery(400, "malformed JSON")
    if not isinstance(payload, dict):
        return Delivery(400, "malformed JSON: not an object")
    stamp = payload.get("webhookTimestamp")
    if not isinstance(stamp, (int, float)) or isinstance(stamp, bool):
        return Delivery(400, "missing webhookTimestamp")
    age = now.timestamp() * 1000 - stamp
    if age > TIMESTAMP_TOLERANCE_MS:
        return Delivery(401, "webhookTimestamp is more than 60 s away")
    if age < -FUTURE_TOLERANCE_MS:
        return Delivery(401, f"webhookTimestamp is more than {FUTURE_TOLERANCE_MS // 1000} s ahead "
                             "(accepted: 60 s back to 5 s ahead)")
    delivery_id = delivery_key(payload, raw_body)
    if not store.record_delivery(db, delivery_id, iso(now), "received"):
        return Delivery(200, f"repeated delivery {delivery_id} dropped")
    result = _route(db, payload, act)
    store.set_delivery_outcome(db, delivery_id, result.reason)
    return result


def delivery_key(payload: Mapping[str, Any], raw_body: bytes) -> str:
    """The delivery's identity from what the signature covers: ``webhookId``, ``createdAt`` and the data's id.

    The ``Linear-Delivery`` header is not signed, so a replay under a new one would pass as new. A payload
    without those fields is known by the hash of its signed bytes.
    """
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    parts = (payload.get("webhookId"), payload.get("createdAt"), data.get("id"))
    if all(isinstance(p, (str, int)) and not isinstance(p, bool) and str(p) for p in parts):
        return ":".join(str(p) for p in parts)
    return "sha256:" + hashlib.sha256(raw_body).hexdigest()


def _route(db: Any, payload: Mapping[str, Any], act: Callable[[str], None]) -> Delivery:
    change = state_change(payload)
    if change is None:
        return Delivery(200, "ignored: not an issue state change")
    issue_id, state_type = change
    if not store.links_for_issue(db, issue_id) and not store.replies_for_issue(db, issue_id):
        return Delivery(200, f"ignored: unknown issue {issue_id}")
    waiting = any(r["status"] in store.ACTIVE for r in store.replies_for_issue(db, issue_id))
    if state_type not in CLOSED_TYPES and not waiting:
        return Delivery(200, f"ignored: issue {issue_id} moved to {state_type or 'an unknown state'}")
    act(issue_id)
    return Delivery(200, f"queued issue {issue_id} ({state_type or 'unknown state'})", issue_id)


class StagingWorker:
    """Stages replies for queued issue ids on one background thread, with its own DB handle and clients."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="rotadesk-webhook-worker", daemon=True)

    def start(self) -> StagingWorker:
        self.thread.start()
        return self

    def submit(self, issue_id: str) -> None:
        self.queue.put(issue_id)

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=30)

    def _run(self) -> None:
        from core.closing import stage_for_issue
        from core.hubspot import HubSpotClient
        from core.linear import LinearClient

        db = open_db(self.settings.db)
        hubspot = HubSpotClient.from_settings(self.settings) if self.settings.hubspot_token else None
        linear = LinearClient.from_settings(self.settings) if self.settings.linear_api_key else None
        while (issue_id := self.queue.get()) is not None:
            try:
                summary = stage_for_issue(db, self.settings, hubspot, linear, issue_id, now=datetime.now(timezone.utc))
                log.info(
                    "webhook: issue %s: %d staged, %d withdrawn, %d failed",
                    issue_id,
                    len(summary.staged),
                    len(summary.withdrawn),
                    len(summary.failed),
                )
            except Exception:  # keep serving; the next poll retries whatever failed here
                log.exception("webhook: staging for issue %s failed", issue_id)
        db.close()


def build_server(settings: Settings, host: str, port: int, *, act: Callable[[str], None]) -> ThreadingHTTPServer:
    """The HTTP server; each POST is answered by :func:`handle_delivery` under one lock."""
    db = open_db(settings.db, shared=True)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        timeout = SOCKET_TIMEOUT_SECONDS  # StreamRequestHandler sets it on the socket: no read waits forever

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
            raw = read_body(self, MAX_BODY_BYTES)
            if raw is None:
                return
            with lock:
                result = handle_delivery(
                    db, settings, dict(self.headers.items()), raw, now=datetime.now(timezone.utc), act=act
                )
            answer(self, result.status, result.reason)

        def do_GET(self) -> None:  # noqa: N802
            answer(self, 200, "rotadesk webhook receiver")

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("webhook %s", format % args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.db = db  # type: ignore[attr-defined]  # closed by whoever closes the server
    return server


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve until interrupted; accepted changes are staged on a background thread."""
    worker = StagingWorker(settings).start()
    server = build_server(settings, host, port, act=worker.submit)
    log.info("Receiving Linear webhooks on http://%s:%s", host, server.server_address[1])
    try:
        server.serve_forever()
    finally:
        server.server_close()
        server.db.close()  # type: ignore[attr-defined]
        worker.stop()
