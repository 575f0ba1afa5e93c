"""Store functions for Slack: modal drafts, the thread each escalation answers in, the outbox, seen signatures.

Everything Rotadesk posts to Slack goes through the outbox (``slack_posts``), keyed on the event it tells about
(``filed:12``, ``linked:12``, ``week:2026-03-02``...): a key is enqueued once, marked ``sending`` and committed
before the request goes out, and ``sent`` after. A row left ``sending`` by a crash is never sent again, so each
event is posted at most once, across restarts. This module imports nothing from ``core.store``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("rotadesk.slack")
MAX_ATTEMPTS = 5


@migrations()
def m001_slack(db: Database) -> None:
    db["slack_drafts"].create(
        {"id": str, "channel": str, "channel_name": str, "message_ts": str, "thread_ts": str, "author_name": str,
         "author_email": str, "permalink": str, "text": str, "files": str, "created_at": str}, pk="id")
    db["slack_threads"].create({"escalation_id": int, "channel": str, "thread_ts": str, "created_at": str},
                               pk="escalation_id")
    db["slack_posts"].create(
        {"key": str, "kind": str, "channel": str, "thread_ts": str, "text": str, "status": str, "ts": str,
         "attempts": int, "error": str, "created_at": str, "updated_at": str},
        pk="key", defaults={"status": "pending", "attempts": 0})
    db["slack_posts"].create_index(["status"])
    db["slack_requests"].create({"signature": str, "timestamp": int, "seen_at": str}, pk="signature")


@migrations()
def m002_post_blocks(db: Database) -> None:
    # Block Kit blocks (JSON) of a post that has buttons, such as a swap request's Accept and Decline.
    db["slack_posts"].add_column("blocks", str)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def save_draft(db: Database, row: dict[str, Any], now: datetime) -> None:
    db["slack_drafts"].upsert({**row, "files": json.dumps(list(row.get("files") or ())), "created_at": _iso(now)},
                              pk="id")


def draft(db: Database, draft_id: str) -> dict | None:
    rows = list(db.query("select * from slack_drafts where id = ?", [draft_id]))
    if not rows:
        return None
    row = dict(rows[0])
    row["files"] = tuple(json.loads(row["files"] or "[]"))
    row.pop("created_at", None)
    return row


def remember_thread(db: Database, escalation_id: int, channel: str, thread_ts: str, now: datetime) -> bool:
    """Record where an escalation is answered in Slack; False when it already had a thread."""
    with db.conn:
        cursor = db.execute("insert or ignore into slack_threads (escalation_id, channel, thread_ts, created_at) "
                            "values (?, ?, ?, ?)", [escalation_id, channel, thread_ts, _iso(now)])
    return cursor.rowcount == 1


def threads_awaiting_issue(db: Database) -> list[dict]:
    """Slack threads whose escalation is linked to Linear and have not been told so yet."""
    return list(db.query(
        "select t.escalation_id, t.channel, t.thread_ts, l.linear_identifier, l.linear_url from slack_threads t "
        "join links l on l.escalation_id = t.escalation_id where l.linear_identifier is not null "
        "and l.linear_identifier != '' and not exists (select 1 from slack_posts p "
        "where p.key = 'linked:' || t.escalation_id)"))


def enqueue(db: Database, key: str, kind: str, channel: str, text: str, now: datetime, *,
            thread_ts: str | None = None, blocks: list[dict[str, Any]] | None = None) -> bool:
    """Add a post for an event; False (and nothing changes) when that event was enqueued before."""
    stamp = _iso(now)
    with db.conn:
        cursor = db.execute(
            "insert or ignore into slack_posts (key, kind, channel, thread_ts, text, blocks, status, attempts, "
            "created_at, updated_at) values (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
            [key, kind, channel, thread_ts, text, json.dumps(blocks) if blocks else None, stamp, stamp])
    return cursor.rowcount == 1


def pending_posts(db: Database, key: str | None = None) -> list[dict]:
    if key is not None:
        return list(db.query("select * from slack_posts where status = 'pending' and key = ?", [key]))
    return list(db.query("select * from slack_posts where status = 'pending' order by created_at, key"))


def claim_post(db: Database, key: str, now: datetime) -> bool:
    """Mark a pending post ``sending`` (committed before the request); False when someone else has it."""
    with db.conn:
        cursor = db.execute("update slack_posts set status = 'sending', attempts = attempts + 1, updated_at = ? "
                            "where key = ? and status = 'pending'", [_iso(now), key])
    return cursor.rowcount == 1


def finish_post(db: Database, key: str, ts: str, now: datetime) -> None:
    with db.conn:
        db.execute("update slack_posts set status = 'sent', ts = ?, error = null, updated_at = ? where key = ?",
                   [ts, _iso(now), key])


def fail_post(db: Database, key: str, error: str, now: datetime) -> None:
    """Slack refused the post (nothing was posted): try again later, up to ``MAX_ATTEMPTS`` times."""
    with db.conn:
        db.execute("update slack_posts set status = case when attempts >= ? then 'failed' else 'pending' end, "
                   "error = ?, updated_at = ? where key = ?", [MAX_ATTEMPTS, error[:500], _iso(now), key])


def posts(db: Database, kind: str | None = None) -> list[dict]:
    if kind is None:
        return list(db.query("select * from slack_posts order by created_at, key"))
    return list(db.query("select * from slack_posts where kind = ? order by created_at, key", [kind]))


def first_use_of_signature(db: Database, signature: str, timestamp: int, now: datetime) -> bool:
    """True the first time a request signature is seen; signatures older than the five-minute window are dropped."""
    with db.conn:
        db.execute("delete from slack_requests where timestamp < ?", [int(now.timestamp()) - 600])
        cursor = db.execute("insert or ignore into slack_requests (signature, timestamp, seen_at) values (?, ?, ?)",
                            [signature, timestamp, _iso(now)])
    return cursor.rowcount == 1


def staged_replies(db: Database) -> list[dict]:
    """Closing replies staged and not sent yet, for the "waiting too long" notification."""
    return list(db.query("select key, escalation_id, staged_at from staged_replies "
                         "where status = 'staged' and staged_at is not null order by staged_at, key"))
