"""Linear webhooks: ``python -m ingest webhook --port N`` stages closing replies and writes a linked issue's state,
assignee, priority and comments for the customer onto its tickets without waiting for a poll.

:func:`handle_delivery` checks one delivery and decides; it never calls HubSpot or Linear itself. Accepted
state changes are handed to ``act`` and changes worth following to ``follow`` (the server queues both for a
background thread), so Linear gets its answer within milliseconds, and the worker re-reads the issue before
acting. Polling remains the fallback; a change both see is written once (:func:`core.follow.follow_issue`).
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


FOLLOWED_FIELDS = ("stateId", "assigneeId", "priority")  # what core.follow writes onto the ticket


def followed_issue(payload: Mapping[str, Any]) -> str | None:
    """The issue id when the payload changes what the ticket follows: an issue's state, assignee or priority,
    or a comment added to it (one marked for the customer becomes a note)."""
    data, before = payload.get("data"), payload.get("updatedFrom")
    if not isinstance(data, dict):
        return None
    if payload.get("type") == "Issue" and payload.get("action") == "update" and isinstance(before, dict):
        return str(data["id"]) if data.get("id") and any(f in before for f in FOLLOWED_FIELDS) else None
    if payload.get("type") == "Comment" and payload.get("action") in ("create", "update"):
        issue = data.get("issueId")
        if not issue and isinstance(data.get("issue"), dict):
            issue = data["issue"].get("id")
        return str(issue) if isinstance(issue, str) and issue else None
    return None


def handle_delivery(
    db: Any,
    settings: Settings,
    headers: Mapping[str, str],
    raw_body: bytes,
    *,
    now: datetime,
    act: Callable[[str], None],
    follow: Callable[[str], None] | None = None,
) -> Delivery:
    """Verify, de-duplicate and route one delivery; ``act(issue_id)`` is called for state changes worth staging
    on, ``follow(issue_id)`` for any change of a linked issue its tickets follow."""
    lowered = {k.lower(): v for k, v in headers.items()}
    result = _check(db, settings, lowered, raw_body, now, act, follow)
    level = logging.WARNING if result.status >= 400 else logging.INFO
    log.log(level, "Linear webhook answered %s: %s", result.status, result.reason)
    return result


def _check(
    db: Any, settings: Settings, headers: dict[str, str], raw_body: bytes, now: datetime, act: Callable[[str], None],
    follow: Callable[[str], None] | None = None,
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
    followed = _follow(db, payload, follow)
    result = _route(db, payload, act)
    if followed and result.issue_id is None:
        result = Delivery(200, f"following issue {followed} onto its tickets", followed)
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


def _follow(db: Any, payload: Mapping[str, Any], follow: Callable[[str], None] | None) -> str | None:
    issue_id = followed_issue(payload) if follow is not None else None
    if issue_id is None or not store.links_for_issue(db, issue_id):
        return None
    follow(issue_id)
    return issue_id


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
        self.queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="rotadesk-webhook-worker", daemon=True)

    def start(self) -> StagingWorker:
        self.thread.start()
        return self

    def submit(self, issue_id: str) -> None:
        self.queue.put(("stage", issue_id))

    def submit_follow(self, issue_id: str) -> None:
        self.queue.put(("follow", issue_id))

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
        while (job := self.queue.get()) is not None:
            kind, issue_id = job
            if kind == "follow":
                self._follow(db, hubspot, linear, issue_id)
                continue
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

    def _follow(self, db: Any, hubspot: Any, linear: Any, issue_id: str) -> None:
        from core.follow import follow_issue

        try:
            summary = follow_issue(db, self.settings, hubspot, linear, issue_id, now=datetime.now(timezone.utc))
            log.info("webhook: issue %s followed: %s", issue_id, summary)
        except Exception:  # keep serving; the next poll writes whatever this missed
            log.exception("webhook: following issue %s failed", issue_id)


def build_server(settings: Settings, host: str, port: int, *, act: Callable[[str], None],
                 follow: Callable[[str], None] | None = None) -> ThreadingHTTPServer:
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
                result = handle_delivery(db, settings, dict(self.headers.items()), raw,
                                         now=datetime.now(timezone.utc), act=act, follow=follow)
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
    server = build_server(settings, host, port, act=worker.submit, follow=worker.submit_follow)
    log.info("Receiving Linear webhooks on http://%s:%s", host, server.server_address[1])
    try:
        server.serve_forever()
    finally:
        server.server_close()
        server.db.close()  # type: ignore[attr-defined]
        worker.stop()
