"""Private calendar feeds: the addresses to subscribe to, rotating them, and the feed behind a token.

With ``ROTADESK_FEED_SECRET`` set, feeds are built on request by ``python -m ingest feeds`` from the database and
no public files are written; a wrong or rotated token finds nothing (the server answers 404).
"""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from core.calendar_feed import build_feed
from core.errors import ValidationError
from core.feed_tokens import TEAM_SCOPE, feed_address, feed_token, token_matches
from core.roster import slug
from core.settings import Settings
from core.store import iso
from core.store.rotation import absences, effective_schedule, list_engineers, list_overrides, team_day


def scope_of(email: str | None) -> str:
    return TEAM_SCOPE if email is None else slug(email)


def generation(db: Database, scope: str) -> int:
    rows = list(db.query("select generation from feed_generations where scope = ?", [scope]))
    return rows[0]["generation"] if rows else 0


def rotate(db: Database, email: str | None, now: datetime) -> None:
    """A new secret link for the team feed (``email`` None) or one engineer's; the old link stops working."""
    scope = scope_of(email)
    db["feed_generations"].upsert({"scope": scope, "generation": generation(db, scope) + 1, "rotated_at": iso(now)},
                                  pk="scope")


def address(db: Database, settings: Settings, email: str | None) -> str:
    if not settings.feed_secret:
        raise ValidationError("Private feeds need ROTADESK_FEED_SECRET.")
    scope = scope_of(email)
    return feed_address(settings.feed_url, scope, feed_token(settings.feed_secret, scope, generation(db, scope)))


def private_feed(db: Database, settings: Settings, scope: str, token: str, now: datetime) -> bytes | None:
    """The feed ``scope`` names when ``token`` is its current one; None otherwise (unknown scope, wrong token)."""
    if not settings.feed_secret:
        return None
    engineers = list_engineers(db)
    owners: dict[str, str | None] = {TEAM_SCOPE: None, **{slug(e.email): e.email for e in engineers}}
    if scope not in owners or not token_matches(settings.feed_secret, scope, generation(db, scope), token):
        return None
    email = owners[scope]
    zone = next((e.timezone for e in engineers if e.email == email), settings.team_timezone)
    return build_feed(effective_schedule(db), engineers, now=now, tz=zone or settings.team_timezone, email=email,
                      overrides=list_overrides(db), absences=absences(db, settings, team_day(now, settings)))
