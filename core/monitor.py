"""``python -m ingest health``: one line per part of a deployment, for monitors and container health checks.

Parts: the database, IMAP, HubSpot, Linear, the last successful poll and sync, queue depths, and (with a URL)
the dashboard or webhook receiver. Each is ``ok``, ``fail`` or ``off`` (not configured, which is no failure:
local-only is a way to run). The exit code is 1 when any part fails. Live checks reuse the Settings page's
connector checks; ``offline`` judges the connectors from what the worker recorded, with no network call.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from core.errors import AppError
from core.health import connector_health
from core.link_steps import paused_until
from core.settings import Settings
from core.store import get_state
from core.store.links import journal_counts
from core.store.version import SCHEMA_VERSION, applied_migrations, known_migrations, schema_version

PARTS = ("database", "imap", "hubspot", "linear", "poll", "sync", "queues", "http")
LAST_POLL_KEY = "imap.last_poll"
LAST_SYNC_KEY = "linking.last_sync"


@dataclass(frozen=True)
class Part:
    """One line of ``health``: a part, ``ok``/``fail``/``off``, and what was found."""

    name: str
    status: str
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    def line(self) -> str:
        return f"{self.name:<9} {self.status:<4} {self.detail}"


@dataclass(frozen=True)
class Probes:
    """The live checks the shell supplies; ``None`` leaves a part to what the worker recorded."""

    imap: Callable[[], str] | None = None
    hubspot: object | None = None  # a HubSpotClient
    linear: object | None = None  # a LinearClient
    http: Callable[[str], str] | None = None


def poll_stale_after(settings: Settings) -> timedelta:
    # The worker polls at least every ROTADESK_IMAP_POLL_SECONDS (IDLE is renewed within it): three missed
    # passes and a minute's grace is a stopped worker, not a slow one.
    return timedelta(seconds=3 * max(1, settings.imap_poll_seconds) + 60)


def sync_stale_after(settings: Settings) -> timedelta:
    # A sync follows every pass but may work through a backlog for a while.
    return max(timedelta(minutes=15), 5 * timedelta(seconds=settings.imap_poll_seconds))


def open_existing(path) -> Database:
    """The database without creating or migrating it (a health check must change nothing)."""
    conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 5000")
    return Database(conn)


def check(settings: Settings, now: datetime, probes: Probes = Probes(), *, url: str | None = None,
          only: Iterable[str] | None = None) -> list[Part]:
    """Every part's line, in ``PARTS`` order (only those in ``only`` when given)."""
    wanted = [p for p in PARTS if (only is None or p in set(only)) and (p != "http" or url)]
    db, database = _database(settings)
    try:
        parts = [database] + [_part(name, settings, db, now, probes, url) for name in wanted if name != "database"]
    finally:
        if db is not None:
            db.close()
    return [p for p in parts if p.name in wanted]


def _database(settings: Settings) -> tuple[Database | None, Part]:
    if not settings.db.is_file():
        return None, Part("database", "fail", f"no database at {settings.db} (the worker creates it on start)")
    db = None
    try:
        db = open_existing(settings.db)
        version = schema_version(db)
        escalations = db.execute("select count(*) from escalations").fetchone()[0]
        unknown = applied_migrations(db) - known_migrations()
    except sqlite3.Error as exc:
        if db is not None:
            db.close()
        return None, Part("database", "fail", f"{settings.db}: {exc}")
    if version > SCHEMA_VERSION or unknown:
        line = Part("database", "fail", f"{settings.db}: written by a newer Rotadesk (schema version {version})")
    elif version < SCHEMA_VERSION:
        line = Part("database", "fail", f"{settings.db}: schema version {version}, this Rotadesk upgrades it to "
                                        f"{SCHEMA_VERSION} when the worker or dashboard starts")
    else:
        line = Part("database", "ok", f"{settings.db}: schema version {version}, {escalations} escalation(s)")
    return db, line


def _part(name: str, settings: Settings, db: Database | None, now: datetime, probes: Probes,
          url: str | None) -> Part:
    if name == "http":
        return _probe("http", lambda: probes.http(url) if probes.http else "not probed")
    if name == "imap":
        if not settings.imap_configured:
            return Part("imap", "off", "not configured (ROTADESK_IMAP_HOST)")
        if probes.imap is None:
            return Part("imap", "ok", f"{settings.imap_host}:{settings.imap_port} not probed (see poll)")
        return _probe("imap", probes.imap)
    if name in ("hubspot", "linear"):
        return _connector(name, settings, db, now, probes)
    if db is None:
        return Part(name, "fail", "the database cannot be read")
    try:
        return _recorded(name, settings, db, now)
    except sqlite3.Error as exc:
        return Part(name, "fail", f"the database cannot be read: {exc}")


def _recorded(name: str, settings: Settings, db: Database, now: datetime) -> Part:
    if name == "poll":
        if not settings.imap_configured:
            return Part("poll", "off", "no inbox configured")
        return _recent("poll", get_state(db, LAST_POLL_KEY), now, poll_stale_after(settings))
    if name == "sync":
        if settings.local_only:
            return Part("sync", "off", "local-only (no HubSpot and Linear tokens)")
        return _recent("sync", get_state(db, LAST_SYNC_KEY), now, sync_stale_after(settings))
    return Part("queues", "ok", _queues(db, settings))


def _probe(name: str, probe: Callable[[], str]) -> Part:
    try:
        return Part(name, "ok", probe())
    except (AppError, OSError) as exc:
        return Part(name, "fail", str(exc) or type(exc).__name__)


def _connector(name: str, settings: Settings, db: Database | None, now: datetime, probes: Probes) -> Part:
    configured = settings.hubspot_token if name == "hubspot" else settings.linear_api_key
    if not configured:
        return Part(name, "off", f"not configured (local-only): set ROTADESK_{name.upper()}_"
                                 + ("TOKEN" if name == "hubspot" else "API_KEY"))
    paused = paused_until(db, name, now) if db is not None else None
    client = probes.hubspot if name == "hubspot" else probes.linear
    if client is None:
        if paused:
            return Part(name, "fail", f"rate-limited, paused until {paused}")
        return Part(name, "ok", "configured, not probed (see sync)")
    checks = connector_health(settings, probes.hubspot if name == "hubspot" else None,
                              probes.linear if name == "linear" else None, db=db, now=now)
    mine = [c for c in checks if c.name.lower().startswith(name)]
    failing = [c for c in mine if not c.ok]
    if failing:
        return Part(name, "fail", "; ".join(f"{c.name}: {c.detail}" for c in failing))
    return Part(name, "ok", "; ".join(c.detail for c in mine[:2]))


def _recent(name: str, last: str | None, now: datetime, limit: timedelta) -> Part:
    if not last:
        return Part(name, "fail", "never succeeded (is the worker running?)")
    age = now - datetime.fromisoformat(last)
    detail = f"last succeeded {last} ({_age(age)} ago)"
    if age > limit:
        return Part(name, "fail", f"{detail}, more than {_age(limit)}: is the worker running?")
    return Part(name, "ok", detail)


def _age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 60} min {seconds % 60} s"


def _queues(db: Database, settings: Settings) -> str:
    inbound = {r["status"]: r["n"] for r in db.query(
        "select status, count(*) n from inbound_messages where status in ('new', 'failed') group by status")}
    review = db.execute("select count(*) from quarantine where status = 'pending'").fetchone()[0]
    replies = db.execute("select count(*) from staged_replies where status in ('staged', 'staging')").fetchone()[0]
    parts = [f"to process {inbound.get('new', 0)}", f"failed {inbound.get('failed', 0)}", f"to review {review}"]
    if not settings.local_only:
        counts = journal_counts(db)
        parts.append(f"to link {counts['pending']} ({counts['failed']} failing)")
    parts.append(f"replies to send {replies}")
    return ", ".join(parts)
