"""Serve a double's httpx handler as a real HTTP server on localhost (for the e2e test and the benchmarks)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

Handler = Callable[[httpx.Request], httpx.Response]
HOP_BY_HOP = {"content-length", "transfer-encoding", "connection"}


def serve(handler: Handler, path: str = "", port: int = 0) -> tuple[str, Callable[[], None]]:
    """Run ``handler`` on 127.0.0.1; returns the base URL (plus ``path``) and a function that stops the server."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _request_handler(handler))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://127.0.0.1:{server.server_address[1]}{path}", stop


def _request_handler(handler: Handler) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            content = self.rfile.read(length) if length else b""
            url = f"http://{self.headers.get('Host', 'localhost')}{self.path}"
            request = httpx.Request(self.command, url, headers=list(self.headers.items()), content=content)
            try:
                response = handler(request)
            except httpx.TransportError:
                self.close_connection = True  # a lost answer: the connection just drops
                return
            payload = response.read()
            self.send_response_only(response.status_code)  # the double's own Date header, not the stdlib's
            for name, value in response.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

    return RequestHandler
