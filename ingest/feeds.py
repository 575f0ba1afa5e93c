"""Private calendar feeds over HTTP: ``python -m ingest feeds --port N``.

``GET /feeds/<scope>/<token>.ics`` answers the team's or one engineer's feed when the token is current, and 404
otherwise, the same 404 for a wrong token, a rotated one and an unknown feed. Request lines are never logged as
they come: they carry the token, so only the status and the feed's scope reach the log.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from core.feed_tokens import parse_feed_path
from core.settings import Settings
from core.store import feeds, open_db

log = logging.getLogger(__name__)


def build_server(settings: Settings, host: str, port: int) -> ThreadingHTTPServer:
    db = open_db(settings.db, shared=True)
    lock = threading.Lock()  # one sqlite connection shared by the server's threads

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
            parsed = parse_feed_path(self.path)
            body = None
            if parsed is not None:
                with lock:
                    body = feeds.private_feed(db, settings, *parsed, now=datetime.now(timezone.utc))
            scope = parsed[0] if parsed else "-"
            if body is None:
                log.info("feed %s: 404", scope)
                self._answer(404, b"not found", "text/plain; charset=utf-8")
            else:
                log.info("feed %s: 200", scope)
                self._answer(200, body, "text/calendar; charset=utf-8")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "private, max-age=300")
            self.end_headers()
            self.wfile.write(body)

        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            pass  # the request line holds the token; do_GET logs what is safe

        def log_message(self, format: str, *args: Any) -> None:
            text = format % args
            for secret_part in (getattr(self, "requestline", ""), getattr(self, "path", "")):
                if secret_part:
                    text = text.replace(secret_part, "…")
            log.debug("feeds: %s", text)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.db = db  # type: ignore[attr-defined]  # closed by whoever closes the server
    return server


def serve(settings: Settings, host: str, port: int) -> None:
    server = build_server(settings, host, port)
    log.info("Serving private calendar feeds on http://%s:%s", host, server.server_address[1])
    try:
        server.serve_forever()
    finally:
        server.server_close()
        server.db.close()  # type: ignore[attr-defined]
