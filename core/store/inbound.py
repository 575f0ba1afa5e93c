"""Store functions for the life of one inbound message beyond its status: processing attempts, the sender its
identity is checked against, failures left for a person, and raw files that have no record.

Imports nothing from ``core.store`` so the schema can register its migrations without a cycle.
"""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("rotadesk.inbound")
UNFINISHED = ("new", "failed")


@migrations()
def m001_attempts_and_sender(db: Database) -> None:
    # attempts: processing runs started, so a message that stalls or kills the worker is retried last, then left.
    db["inbound_messages"].add_column("attempts", int, not_null_default=0)
    db["inbound_messages"].add_column("sender", str)
    # A follow-up from an untrusted sender waits for review as a follow-up of this escalation.
    db["quarantine"].add_column("escalation_id", int)
    db["inbound_messages"].create_index(["status", "attempts"])


def begin_attempt(db: Database, message_id: str) -> None:
    """Count one more processing run of ``message_id``."""
    db.execute("update inbound_messages set attempts = attempts + 1 where message_id = ?", [message_id])


def set_sender(db: Database, message_id: str, sender: str | None) -> None:
    db.execute("update inbound_messages set sender = ? where message_id = ?", [sender, message_id])


def to_replay(db: Database, max_attempts: int) -> list[dict]:
    """Unfinished messages still worth a run: never-finished ones first, failed ones last, fewest attempts first."""
    return list(db.query(
        "select * from inbound_messages where status in ('new', 'failed') and attempts < ? "
        "order by status = 'failed', attempts, received_at", [max_attempts]))


def given_up(db: Database, max_attempts: int) -> list[dict]:
    """Unfinished messages that used up their attempts: a person decides (retry or download the raw message)."""
    return list(db.query(
        "select * from inbound_messages where status in ('new', 'failed') and attempts >= ? "
        "order by received_at desc", [max_attempts]))


def failed_messages(db: Database, limit: int = 200) -> list[dict]:
    return list(db.query(
        "select message_id, source, received_at, reason, attempts, size, sha256 from inbound_messages "
        "where status = 'failed' order by received_at desc limit ?", [limit]))


def reset_attempts(db: Database, message_id: str) -> None:
    db.execute("update inbound_messages set attempts = 0 where message_id = ?", [message_id])


def raw_without_record(db: Database, raw_dir: Path) -> list[Path]:
    """Raw message files under ``raw_dir`` that no inbound record points at (by content hash)."""
    known = {r["sha256"] for r in db.query("select sha256 from inbound_messages where sha256 is not null")}
    if not raw_dir.is_dir():
        return []
    return sorted(p for p in raw_dir.glob("*/*.eml") if p.stem not in known)
