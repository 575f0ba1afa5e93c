"""Online backup while a writer is busy, and a restore that checks the copy before replacing anything."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from core.errors import StoreError
from core.store import open_db
from core.store.backup import backup, check_copy, restore
from core.store.version import SCHEMA_VERSION


class Writer(threading.Thread):
    """Writes like the worker, on its own connection: each escalation and its follow-up in one transaction."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.stop, self.written, self.error = path, threading.Event(), 0, None
        self.started_writing = threading.Event()

    def run(self) -> None:
        db = open_db(self.path)
        try:
            while not self.stop.is_set():
                with db.atomic():
                    n = self.written
                    eid = db["escalations"].insert({"message_id": f"<m{n}@x>", "subject": f"bug {n}",
                                                    "customer_address": f"c{n}@globex.com",
                                                    "received_at": "2026-11-20T09:00:00+00:00"}).last_pk
                    db["followups"].insert({"message_id": f"<f{n}@x>", "escalation_id": eid, "body": "again"})
                self.written += 1
                if self.written == 200:
                    self.started_writing.set()
        except Exception as exc:  # surfaced by the test
            self.error = exc
        finally:
            db.close()


def rows(path: Path) -> tuple[int, int, int]:
    """(escalations, follow-ups, escalations without their follow-up) in the database at ``path``."""
    with sqlite3.connect(path) as conn:
        escalations = conn.execute("select count(*) from escalations").fetchone()[0]
        followups = conn.execute("select count(*) from followups").fetchone()[0]
        orphans = conn.execute("select count(*) from escalations e where not exists "
                               "(select 1 from followups f where f.escalation_id = e.id)").fetchone()[0]
    return escalations, followups, orphans


def test_backups_under_write_load_are_consistent_and_restore_brings_one_back(tmp_path: Path) -> None:
    live = tmp_path / "rotadesk.db"
    open_db(live).close()
    writer = Writer(live)
    writer.start()
    assert writer.started_writing.wait(30), writer.error
    copies = []
    try:
        for i in range(3):
            before = writer.written
            copy = backup(live, tmp_path / "backups" / f"b{i}.db")
            copies.append((copy, before, writer.written))
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None
    assert writer.written > copies[-1][1], "the writer never ran during the backups"
    previous = 0
    for copy, before, after in copies:
        escalations, followups, orphans = rows(copy.path)
        assert copy.version == SCHEMA_VERSION and check_copy(copy.path) == SCHEMA_VERSION
        assert orphans == 0 and followups == escalations  # whole transactions only
        assert before <= escalations <= after and escalations >= previous
        previous = escalations
        assert not Path(f"{copy.path}-wal").exists()  # a single self-contained file

    first, at_first, _ = copies[0]
    final = rows(live)[0]
    assert final > rows(first.path)[0]
    restored, kept = restore(live, first.path, stamp="20261203T120000Z")
    assert rows(live) == rows(first.path)
    assert kept is not None and rows(kept)[0] == final  # what was replaced is kept beside it
    db = open_db(live)  # still a usable, current database in WAL mode
    assert db.journal_mode == "wal" and db["escalations"].count == rows(first.path)[0]
    db.close()
    assert restored.version == SCHEMA_VERSION


def damaged(tmp_path: Path, source: Path) -> Path:
    data = bytearray(source.read_bytes())
    data[4096 * 2:4096 * 2 + 512] = b"\xff" * 512  # a trashed page in the middle of the file
    path = tmp_path / "damaged.db"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("kind", ["damaged", "not sqlite", "newer", "not rotadesk", "missing"])
def test_restore_refuses_a_bad_copy_and_changes_nothing(tmp_path: Path, kind: str) -> None:
    live = tmp_path / "rotadesk.db"
    db = open_db(live)
    for n in range(300):
        db["escalations"].insert({"message_id": f"<m{n}@x>", "subject": "x" * 200})
    db.close()
    good = backup(live, tmp_path / "good.db").path
    if kind == "damaged":
        bad = damaged(tmp_path, good)
    elif kind == "not sqlite":
        bad = tmp_path / "notes.txt"
        bad.write_text("not a database")
    elif kind == "newer":
        bad = good
        with sqlite3.connect(bad) as conn:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    elif kind == "not rotadesk":
        bad = tmp_path / "other.db"
        with sqlite3.connect(bad) as conn:
            conn.execute("create table t (x)")
    else:
        bad = tmp_path / "nowhere.db"
    before = live.read_bytes()
    with pytest.raises(StoreError):
        restore(live, bad, stamp="x")
    assert live.read_bytes() == before
    assert not list(tmp_path.glob("rotadesk.db.before-restore-*"))


def test_a_backup_never_overwrites_the_database_itself(tmp_path: Path) -> None:
    live = tmp_path / "rotadesk.db"
    open_db(live).close()
    with pytest.raises(StoreError, match="must not overwrite"):
        backup(live, live)


def test_backup_and_restore_commands(tmp_path: Path) -> None:
    from tests.integration.test_cli import ROOT, cli

    live = tmp_path / "rotadesk.db"
    db = open_db(live)
    db["escalations"].insert({"message_id": "<kept@x>", "subject": "kept"})
    db.close()
    env = {"ROTADESK_DB": str(live), "ROTADESK_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    made = cli("backup", str(tmp_path / "b" / "copy.db"), env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"backed up to {tmp_path / 'b' / 'copy.db'}: schema version {SCHEMA_VERSION}")
    db = open_db(live)
    db["escalations"].insert({"message_id": "<later@x>", "subject": "after the backup"})
    db.close()
    back = cli("restore", str(tmp_path / "b" / "copy.db"), env=env, cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert "the database it replaced is kept at" in back.stdout
    db = open_db(live)
    assert [r["subject"] for r in db.query("select subject from escalations")] == ["kept"]
    db.close()
    refused = cli("restore", str(tmp_path / "nothing.db"), env=env, cwd=tmp_path)
    assert refused.returncode == 1 and "no such file" in refused.stderr
    missing = cli("backup", str(tmp_path / "b2.db"), env={**env, "ROTADESK_DB": str(tmp_path / "none.db")},
                  cwd=tmp_path)
    assert missing.returncode == 1 and "no database to back up" in missing.stderr
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "b2.db").exists()


def test_a_backup_from_the_previous_schema_is_restored_and_upgraded(tmp_path: Path) -> None:
    from tests.integration.test_schema_version import previous_db

    old = previous_db(tmp_path / "old-backup.db")
    escalations = rows(old)[0]
    live = tmp_path / "rotadesk.db"
    open_db(live).close()
    restored, _ = restore(live, old, stamp="x")
    assert restored.version == 0  # restored as it was ...
    db = open_db(live)  # ... and upgraded on the next start, as `restore` itself does
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db["escalations"].count == escalations > 0
    db.close()
