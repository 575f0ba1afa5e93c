"""A local OpenID Connect provider for the sign-in tests: oidc-provider-mock on a free port of this machine.

Its login form takes any subject (we type an e-mail address), which becomes the ``email`` claim. ``lie_about``
makes its discovery document name another issuer than the one that signs its ID tokens, as a spoofed or
misconfigured provider would; the dashboard fetches the document on every sign-in, so the switch is immediate.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import werkzeug.serving

DISCOVERY = "/.well-known/openid-configuration"


@dataclass
class Provider:
    url: str
    wrong_issuer: list[str] = field(default_factory=list)  # empty: tell the truth

    @property
    def metadata_url(self) -> str:
        return self.url + DISCOVERY

    @contextmanager
    def lie_about(self, issuer: str) -> Iterator[None]:
        self.wrong_issuer.append(issuer)
        try:
            yield
        finally:
            self.wrong_issuer.clear()


def _issuer_switch(app, provider_ref: list[Provider]):
    """WSGI middleware: the discovery document with ``issuer`` replaced while the provider lies."""
    def wrapped(environ, start_response):
        provider = provider_ref[0]
        if environ.get("PATH_INFO") != DISCOVERY or not provider.wrong_issuer:
            return app(environ, start_response)
        captured: dict = {}

        def keep(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)
            return lambda _data: None

        body = b"".join(app(environ, keep))
        document = json.loads(body)
        document["issuer"] = provider.wrong_issuer[-1]
        body = json.dumps(document).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return wrapped


@contextmanager
def oidc_provider() -> Iterator[Provider]:
    """The provider, serving until the block ends. It requires a nonce, as real providers for web apps do."""
    from oidc_provider_mock import app as provider_app

    ref: list[Provider] = []
    server = werkzeug.serving.make_server("localhost", 0, _issuer_switch(provider_app(require_nonce=True), ref),
                                          threaded=True)
    ref.append(Provider(f"http://localhost:{server.server_port}"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield ref[0]
    finally:
        server.shutdown()
        thread.join(timeout=5)
