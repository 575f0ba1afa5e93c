"""Request bodies and answers for Rotadesk's small HTTP receivers (Linear and HubSpot webhooks, the Slack app).

The length is checked before a byte is read: a missing one gets 411, a negative or non-numeric one 400, one over
the cap 413, so no client makes a receiver buffer more than it accepted. Handlers set a socket timeout, so an idle
or slow client loses its connection (and its thread).
"""

from __future__ import annotations

from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler

SOCKET_TIMEOUT_SECONDS = 10.0
TEXT = "text/plain; charset=utf-8"


def read_body(handler: BaseHTTPRequestHandler, max_bytes: int) -> bytes | None:
    """The request's body, or None once the refusal has been answered (or the client went away)."""
    given = handler.headers.get("Content-Length")
    if given is None:
        answer(handler, 411, "Content-Length required")
        return None
    if not given.strip().isdigit():
        answer(handler, 400, "Content-Length must be a whole number of bytes")
        return None
    length = int(given)
    if length > max_bytes:
        answer(handler, 413, "body too large")
        return None
    try:
        raw = handler.rfile.read(length) if length else b""
    except TimeoutError:
        handler.close_connection = True
        return None
    if len(raw) < length:  # the client closed early or timed out: nothing to verify
        handler.close_connection = True
        return None
    return raw


def answer(handler: BaseHTTPRequestHandler, status: int, body: bytes | str, content_type: str = TEXT,
           headers: Iterable[tuple[str, str]] = ()) -> None:
    payload = body.encode() if isinstance(body, str) else body
    if status >= 400 and handler.command == "POST":
        handler.close_connection = True  # a refused request's body stays unread: never reuse the connection
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(payload)))
    for name, value in headers:
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(payload)
