"""A mail provider's OAuth side, served over HTTP: token endpoint (RFC 6749 refresh and RFC 8628 device grants),
device authorization and token introspection (RFC 7662) for Dovecot's oauth2 passdb.

Tokens live in memory; a test revokes a refresh token or expires an access token to see what the worker does.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

CLIENT_ID, CLIENT_SECRET = "rotadesk-test-client", "rotadesk-test-secret"


@dataclass
class OAuthDouble:
    user: str
    expires_in: int = 3600
    refresh_tokens: set[str] = field(default_factory=lambda: {"refresh-1"})
    active: dict[str, str] = field(default_factory=dict)  # access token -> user
    refreshes: int = 0
    introspections: int = 0
    pending_device_codes: dict[str, int] = field(default_factory=dict)  # device code -> polls before consent
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def expire(self, token: str) -> None:
        self.active.pop(token, None)

    def revoke_all(self) -> None:
        self.refresh_tokens.clear()
        self.active.clear()

    # -- endpoints ---------------------------------------------------------------------------------------------

    def token(self, form: dict[str, str], auth: str | None) -> tuple[int, dict]:
        if not self._client_ok(form, auth):
            return 401, {"error": "invalid_client"}
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            self.refreshes += 1
            return 200, self._issue()
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            code = form.get("device_code", "")
            if code not in self.pending_device_codes:
                return 400, {"error": "expired_token"}
            if self.pending_device_codes[code] > 0:
                self.pending_device_codes[code] -= 1
                return 400, {"error": "authorization_pending"}
            del self.pending_device_codes[code]
            refresh = f"refresh-{next(self._ids)}"
            self.refresh_tokens.add(refresh)
            return 200, {**self._issue(), "refresh_token": refresh}
        return 400, {"error": "unsupported_grant_type"}

    def device(self, form: dict[str, str]) -> tuple[int, dict]:
        if form.get("client_id") != CLIENT_ID:
            return 400, {"error": "invalid_client"}
        code = f"device-{next(self._ids)}"
        self.pending_device_codes[code] = 2
        return 200, {"device_code": code, "user_code": "WDJB-MJHT", "verification_uri": "https://example.test/device",
                     "interval": 1, "expires_in": 600}

    def introspect(self, form: dict[str, str]) -> tuple[int, dict]:
        self.introspections += 1
        user = self.active.get(form.get("token", ""))
        return 200, ({"active": True, "username": user} if user else {"active": False})

    def _issue(self) -> dict:
        access = f"access-{next(self._ids)}"
        self.active[access] = self.user
        return {"access_token": access, "token_type": "Bearer", "expires_in": self.expires_in}

    def _client_ok(self, form: dict[str, str], auth: str | None) -> bool:
        import base64

        if auth and auth.startswith("Basic "):
            return base64.b64decode(auth[6:]).decode() == f"{CLIENT_ID}:{CLIENT_SECRET}"
        return form.get("client_id") == CLIENT_ID and form.get("client_secret") == CLIENT_SECRET

    # -- serving -----------------------------------------------------------------------------------------------

    def serve(self) -> tuple[str, Callable[[], None]]:
        """Serve on a free loopback port; returns the base URL and a function that stops the server."""
        double = self
        routes = {"/token": lambda f, a: double.token(f, a), "/device": lambda f, a: double.device(f),
                  "/introspect": lambda f, a: double.introspect(f)}

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                route = routes.get(self.path)
                status, answer = route(form, self.headers.get("Authorization")) if route else (404, {})
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()

        def stop() -> None:
            server.shutdown()
            server.server_close()

        return f"http://127.0.0.1:{server.server_address[1]}", stop
