"""The schema version: an older database is upgraded in place in one transaction; a newer one is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from core.errors import StoreError
from core.store import open_db
from core.store import version as version_module
from core.store.version import SCHEMA_VERSION, migrate, schema_version

PREVIOUS = Path(__file__).resolve().parents[1] / "fixtures" / "schema" / "previous.sql"


def previous_db(path: Path) -> Path:
    """A database made by the schema before versioning (tests/fixtures/schema/make_previous.py), with data."""
    conn = sqlite3.connect(path)
    conn.executescript(PREVIOUS.read_text(encoding="utf-8"))
    conn.close()
    return path


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, sorted, as plain tuples of (column, value)."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' "
                                         "and name not like 'sqlite_%'")]
    out = {t: sorted((tuple(sorted(dict(r).items())) for r in conn.execute(f"select * from [{t}]")), key=repr)
           for t in tables}
    conn.close()
    return out


def test_the_previous_schema_is_upgraded_in_place_and_loses_nothing(tmp_path: Path) -> None:
    path = previous_db(tmp_path / "old.db")
    before = snapshot(path)
    assert sum(len(rows) for rows in before.values()) > 80 and before["escalations"] and before["staged_replies"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 0

    db = open_db(path)
    assert schema_version(db) == SCHEMA_VERSION
    assert "raw_purged_at" in db["inbound_messages"].columns_dict and db["erasures"].exists()
    db.close()

    after = snapshot(path)
    for table, rows in before.items():
        if table == "_sqlite_migrations":
            continue
        # Every old row is still there with every old value; new columns start empty.
        kept = [tuple((k, v) for k, v in row if k in dict(rows[0])) for row in after[table]] if rows else []
        assert sorted(kept, key=repr) == rows, table
    applied = {r for r in after["_sqlite_migrations"]}
    assert set(before["_sqlite_migrations"]) <= applied
    assert len(after["_sqlite_migrations"]) == SCHEMA_VERSION


def test_opening_a_current_database_again_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    open_db(path).close()
    db = open_db(path)
    assert migrate(db) == 0 and schema_version(db) == SCHEMA_VERSION
    db.close()


def test_a_failing_migration_leaves_the_old_database_as_it_was(tmp_path: Path, monkeypatch) -> None:
    path = previous_db(tmp_path / "old.db")
    before = snapshot(path)
    broken = Migrations("rotadesk.broken")

    @broken()
    def m001_fails(db: Database) -> None:
        db["escalations"].add_column("half_done", str)
        raise RuntimeError("disk full")

    monkeypatch.setattr(version_module, "MIGRATION_SETS", [*version_module.MIGRATION_SETS, broken])
    with pytest.raises(RuntimeError, match="disk full"):
        open_db(path)
    # The migrations that ran before the broken one were in the same transaction: all of it is gone.
    assert snapshot(path) == before
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
        columns = [r[1] for r in conn.execute("PRAGMA table_info(inbound_messages)")]
    assert "raw_purged_at" not in columns


@pytest.mark.parametrize("newer", ["version", "migration"])
def test_a_database_from_a_newer_rotadesk_is_refused_and_left_alone(tmp_path: Path, newer: str) -> None:
    path = tmp_path / "t.db"
    open_db(path).close()
    with sqlite3.connect(path) as conn:
        if newer == "version":
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        else:
            conn.execute("insert into _sqlite_migrations (migration_set, name, applied_at) "
                         "values ('rotadesk.future', 'm001_teleport', '2030-01-01')")
    before = snapshot(path)
    with pytest.raises(StoreError, match="written by a newer Rotadesk") as refused:
        open_db(path)
    assert f"this one knows version {SCHEMA_VERSION}" in str(refused.value)
    assert snapshot(path) == before


def test_every_migration_can_run_inside_the_one_upgrade_transaction() -> None:
    assert all(m.transactional for s in version_module.MIGRATION_SETS for m in s._migrations)
    assert SCHEMA_VERSION == sum(len(s._migrations) for s in version_module.MIGRATION_SETS)


def test_processes_starting_together_upgrade_once(tmp_path: Path) -> None:
    import threading

    path = previous_db(tmp_path / "old.db")
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        try:
            barrier.wait()
            open_db(path).close()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("select count(*) from _sqlite_migrations").fetchone()[0] == SCHEMA_VERSION
