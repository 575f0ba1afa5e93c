"""``python -m ingest slack --port N``: Slack's requests over HTTP, handed to the bolt app.

The raw body and headers go to slack-bolt untouched (the signature covers the exact bytes); put it behind a reverse
proxy that terminates HTTPS, as Slack only calls https:// URLs.
"""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from core.settings import Settings
from core.store import open_db
from ingest.http_body import SOCKET_TIMEOUT_SECONDS, answer, read_body

log = logging.getLogger("rotadesk.slack")
MAX_BODY = 1_048_576  # Slack's payloads are small; anything larger is not from Slack


def make_server(slack_app, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        timeout = SOCKET_TIMEOUT_SECONDS  # set on the socket: no read waits forever

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
            raw = read_body(self, MAX_BODY)
            if raw is None:
                return
            response = slack_app.dispatch(raw.decode("utf-8", "replace"),
                                          {k.lower(): v for k, v in self.headers.items()})
            content_type = (response.headers.get("content-type") or ["text/plain;charset=utf-8"])[0]
            answer(self, response.status, (response.body or "").encode("utf-8"), content_type)

        def log_message(self, format: str, *args) -> None:  # request lines carry no secrets, but keep logs quiet
            log.debug("slack http: " + format, *args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve(settings: Settings, *, host: str, port: int) -> None:
    from ingest.slack_app import SlackApp, web_client

    db = open_db(settings.db, shared=True)
    app = SlackApp(db, settings, web_client(settings))
    server = make_server(app, host, port)
    log.info("Slack app listening on http://%s:%d", host, server.server_address[1])
    try:
        server.serve_forever()
    finally:
        server.server_close()
        db.close()
