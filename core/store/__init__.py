"""The SQLite store, over sqlite-utils.

``open_db(path)`` returns a ``Database`` in WAL mode with every migration applied (re-running is a no-op); an older
database is upgraded in one transaction and one from a newer Rotadesk is refused (see ``core.store.version``).
Reads and writes live in one small module per concept beside this one; each write upserts on a natural key
(Message-ID, HubSpot id, Linear id), so every sync and ingest can be repeated safely.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from core.errors import ConfigError


def open_db(path: Path | str, *, shared: bool = False) -> Database:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date.

    ``shared`` allows the handle to be used from several threads (the dashboard serves sessions on threads).
    """
    path = Path(path)
    try:
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        db = Database(sqlite3.connect(str(path), check_same_thread=not shared))
        db.execute("PRAGMA busy_timeout = 10000")
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError("ROTADESK_DB", f"cannot open a database at {path}: {exc}") from exc
    db.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        db.enable_wal()
        # In WAL mode NORMAL never corrupts the database; a power cut can lose only the last commits, and the raw
        # message files on disk let `replay` redo them.
        db.execute("PRAGMA synchronous = NORMAL")
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db


def migrate(db: Database) -> int:
    """Apply pending migrations in one transaction; refuses a database from a newer Rotadesk."""
    from core.store.version import migrate as upgrade

    return upgrade(db)


def utcnow() -> str:
    """The current time as an ISO-8601 UTC string, the one time format the store uses."""
    return iso(datetime.now(timezone.utc))


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def loads(value: str | None, default: Any = None) -> Any:
    return default if not value else json.loads(value)


def get_state(db: Database, key: str, default: str | None = None) -> str | None:
    """A small key/value store for cursors and connector status."""
    rows = list(db.query("select value from sync_state where key = ?", [key]))
    return rows[0]["value"] if rows else default


def set_state(db: Database, key: str, value: str) -> None:
    db["sync_state"].upsert({"key": key, "value": value, "updated_at": utcnow()}, pk="key")
