"""Checkpoints of the write-ahead log off the writer's thread (core/store/wal.py)."""

from __future__ import annotations

import threading

from core.store import open_db, wal


class _OneRound(threading.Event):
    """Lets the checkpoint loop run exactly one round, with no waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.rounds = 0

    def wait(self, timeout: float | None = None) -> bool:
        self.rounds += 1
        return self.rounds > 1


def _write_pages(db, rows: int = 400) -> None:
    db["filler"].insert_all(({"n": n, "text": "x" * 2000} for n in range(rows)), batch_size=50)


def test_a_round_copies_the_log_into_the_database_file(settings) -> None:
    db = open_db(settings.db)
    db.execute("PRAGMA wal_autocheckpoint = 0")
    _write_pages(db)
    before = settings.db.stat().st_size
    wal._checkpoint_until(str(settings.db), 0, _OneRound())
    assert settings.db.stat().st_size > before + 400 * 2000
    assert db["filler"].count == 400
    db.close()


def test_the_writer_checkpoints_nothing_itself_within_the_block_and_as_before_after_it(settings) -> None:
    db = open_db(settings.db)
    with wal.checkpoints_in_background(db, every=3600):  # the thread's first round never comes here
        assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        before = settings.db.stat().st_size
        _write_pages(db, rows=3000)  # more than the 1,000 pages at which the writer would checkpoint
        assert settings.db.stat().st_size == before
    assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == wal.DEFAULT_PAGES
    assert not [t for t in threading.enumerate() if t.name == "wal-checkpoints"]
    db.close()


def test_an_in_memory_database_runs_the_block_without_a_thread() -> None:
    db = open_db(":memory:")
    with wal.checkpoints_in_background(db):
        assert not [t for t in threading.enumerate() if t.name == "wal-checkpoints"]
        _write_pages(db, rows=10)
    assert db["filler"].count == 10
