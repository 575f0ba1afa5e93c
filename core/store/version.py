"""The schema version: which migrations a database has, upgrading an older one, refusing a newer one.

The version is the number of migrations this Rotadesk knows (every set in ``MIGRATION_SETS``), kept in SQLite's
own ``PRAGMA user_version``. An older database is upgraded in place in one ``BEGIN IMMEDIATE`` transaction: every
pending migration and the new version commit together or not at all, and two processes starting at once cannot
both run them. A database holding a version or a migration this Rotadesk does not know was written by a newer one
and is refused, so an old release never writes into a schema it does not understand.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from core.errors import StoreError
from core.store.schema import MIGRATION_SETS

MIGRATIONS_TABLE = Migrations.migrations_table


def known_migrations() -> set[tuple[str, str]]:
    return {(s.name, m.name) for s in MIGRATION_SETS for m in s._migrations}


SCHEMA_VERSION = len(known_migrations())


def schema_version(db: Database) -> int:
    """The version recorded in the database (0 for one made before versions were recorded, or a new one)."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def applied_migrations(db: Database) -> set[tuple[str, str]]:
    if not db[MIGRATIONS_TABLE].exists():
        return set()
    return {(r["migration_set"], r["name"]) for r in db.query(f"select migration_set, name from {MIGRATIONS_TABLE}")}


def check_not_newer(db: Database, where: str = "the database") -> None:
    """Refuse a database written by a newer Rotadesk (a higher version, or migrations this one does not know)."""
    version = schema_version(db)
    unknown = sorted(f"{s}/{n}" for s, n in applied_migrations(db) - known_migrations())
    if version > SCHEMA_VERSION or unknown:
        found = f"schema version {version}" + (f" with migrations {', '.join(unknown[:5])}" if unknown else "")
        raise StoreError(f"{where} was written by a newer Rotadesk ({found}; this one knows version "
                         f"{SCHEMA_VERSION}); upgrade Rotadesk or restore a backup made by this version")


def pending(db: Database) -> int:
    return sum(len(s.pending(db)) for s in MIGRATION_SETS)


def migrate(db: Database) -> int:
    """Bring the schema up to date in one transaction; returns how many migrations ran (0 when current)."""
    check_not_newer(db)
    if schema_version(db) == SCHEMA_VERSION and not pending(db):
        return 0
    if any(not m.transactional for s in MIGRATION_SETS for m in s._migrations):
        raise StoreError("a migration outside a transaction cannot be part of the one-transaction upgrade")
    try:
        db.execute("BEGIN IMMEDIATE")  # the write lock first, then look again: another process may have migrated
    except sqlite3.OperationalError as exc:
        raise StoreError(f"cannot upgrade the database schema: {exc}") from exc
    try:
        check_not_newer(db)
        ran = pending(db)
        for migrations in MIGRATION_SETS:
            migrations.apply(db)  # nested: each migration runs in a savepoint of this transaction
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()
    return ran
