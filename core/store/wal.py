"""Write-ahead-log checkpoints off the writer's thread, for long runs of writes (``import``, the IMAP worker).

A checkpoint copies the log into the database file and waits for the disk twice. SQLite runs one inside the
commit that fills the log past 1,000 pages, so the writer stood still for every flush: about a tenth of an import
of mail with attachments. Here a thread with a connection of its own checkpoints every ``every`` seconds while
the writer goes on; ``PASSIVE`` never waits for, or blocks, a reader or a writer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

DEFAULT_PAGES = 1000  # SQLite's own wal_autocheckpoint


@contextmanager
def checkpoints_in_background(db: Database, every: float = 0.5) -> Iterator[None]:
    """Within the block, ``db``'s log is checkpointed by a background thread instead of inside its commits."""
    path = next((row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"), "")
    if not path or db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        yield  # an in-memory or rollback-journal database has no log to checkpoint
        return
    stop = threading.Event()
    worker = threading.Thread(target=_checkpoint_until, args=(path, every, stop), name="wal-checkpoints",
                              daemon=True)
    db.execute("PRAGMA wal_autocheckpoint = 0")
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join()
        db.execute(f"PRAGMA wal_autocheckpoint = {DEFAULT_PAGES}")


def _checkpoint_until(path: str, every: float, stop: threading.Event) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 1000")
        while not stop.wait(every):
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error:  # the writer's own next checkpoint, or the next round, catches up
                continue
    finally:
        conn.close()
