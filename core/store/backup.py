"""Online backup and checked restore of the database, with SQLite's backup API.

A backup copies the whole database in one step, so it reads one snapshot: in WAL mode the worker keeps writing
meanwhile and the copy holds either all of a transaction or none of it. The copy is written beside its target,
checked (``integrity_check``, schema version) and only then renamed into place.

A restore checks the copy the same way before anything is touched, keeps a copy of the current database
(``<db>.before-restore-<time>``), then copies the backup into the live database through the same API, under
SQLite's locks, so a process that has it open sees the old content or the new, never a mix.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from core.errors import StoreError

BUSY_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Copy:
    """A checked database file: where, its schema version, size and how long making it took."""

    path: Path
    version: int
    size: int
    seconds: float = 0.0

    def summary(self) -> str:
        return f"{self.path}: schema version {self.version}, {self.size / 1048576:.1f} MB in {self.seconds:.2f} s"


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def check_copy(path: Path) -> int:
    """Check that ``path`` is an undamaged Rotadesk database this version can use; returns its schema version."""
    from sqlite_utils import Database

    from core.store.version import MIGRATIONS_TABLE, check_not_newer, schema_version

    if not path.is_file():
        raise StoreError(f"{path}: no such file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot be opened ({exc})") from exc
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise StoreError(f"{path} is damaged: {'; '.join(result[:3])}")
        db = Database(conn)
        if not db[MIGRATIONS_TABLE].exists() or not db["escalations"].exists():
            raise StoreError(f"{path} is not a Rotadesk database")
        check_not_newer(db, where=str(path))
        return schema_version(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a usable SQLite database ({exc})") from exc
    finally:
        conn.close()


def backup(db_path: Path, target: Path) -> Copy:
    """Copy the live database at ``db_path`` to ``target`` (replacing it once the copy is checked)."""
    started = time.monotonic()
    if not db_path.is_file():
        raise StoreError(f"{db_path}: no database to back up")
    if target.exists() and target.resolve() == db_path.resolve():
        raise StoreError("the backup must not overwrite the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    source = _connect(db_path)
    try:
        dest = sqlite3.connect(str(partial), isolation_level=None)
        try:
            source.backup(dest)  # one step: one read snapshot, writers in WAL mode carry on
            dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        finally:
            dest.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup of {db_path} failed: {exc}") from exc
    finally:
        source.close()
    try:
        version = check_copy(partial)
    except StoreError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return Copy(target, version, target.stat().st_size, time.monotonic() - started)


def restore(db_path: Path, source: Path, *, stamp: str) -> tuple[Copy, Path | None]:
    """Replace the database at ``db_path`` with the checked copy ``source``; returns (restored, kept copy).

    ``stamp`` names the copy of the current database kept beside it (``None`` when there was none).
    """
    started = time.monotonic()
    version = check_copy(source)
    kept = None
    if db_path.is_file():
        kept = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
        backup(db_path, kept)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dest = _connect(db_path)
        try:
            src.backup(dest)
        finally:
            dest.close()
    except sqlite3.Error as exc:
        raise StoreError(f"restore into {db_path} failed ({exc}); the database before it is kept at {kept}") from exc
    finally:
        src.close()
    return Copy(db_path, version, db_path.stat().st_size, time.monotonic() - started), kept
