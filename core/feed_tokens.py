"""Private calendar feed addresses, pure: a secret token per feed, derived, rotatable, checked in constant time.

A token is an HMAC of the feed's scope ("team" or an engineer's slug) and its generation under
``ROTADESK_FEED_SECRET``. Nothing secret is stored: the database keeps only each scope's generation, and rotating
a feed's link raises it, so the old address stops working at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

TEAM_SCOPE = "team"
TOKEN_CHARS = 32  # 192 bits of the HMAC, URL-safe base64
_MAX_PATH = 200
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_TOKEN_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def feed_token(secret: str, scope: str, generation: int) -> str:
    digest = hmac.new(secret.encode(), f"{scope}:{generation}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:TOKEN_CHARS]


def token_matches(secret: str, scope: str, generation: int, token: str) -> bool:
    return hmac.compare_digest(feed_token(secret, scope, generation).encode(), token.encode())


def feed_path(scope: str, token: str) -> str:
    return f"/feeds/{scope}/{token}.ics"


def feed_address(feed_url: str, scope: str, token: str) -> str:
    return feed_url.rstrip("/") + feed_path(scope, token)


def parse_feed_path(path: str) -> tuple[str, str] | None:
    """(scope, token) from ``/feeds/<scope>/<token>.ics``; None for anything else (checked without regexes)."""
    path = path.split("?", 1)[0]
    if len(path) > _MAX_PATH or not path.startswith("/feeds/") or not path.endswith(".ics"):
        return None
    parts = path[len("/feeds/"):-len(".ics")].split("/")
    if len(parts) != 2:
        return None
    scope, token = parts
    if not scope or not set(scope) <= _SAFE or len(token) != TOKEN_CHARS or not set(token) <= _TOKEN_SAFE:
        return None
    return scope, token
