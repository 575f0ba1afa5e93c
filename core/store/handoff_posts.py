"""Store functions for handoffs posted to Linear: the key recorded before the create, the result after it.

Imports nothing from ``core.store`` so the schema can register its migrations without a cycle.
"""

from __future__ import annotations

import uuid

from sqlite_utils import Database

from core.errors import StoreError


def get(db: Database, week_start: str) -> dict | None:
    rows = list(db.query("select * from handoff_posts where week_start = ?", [week_start]))
    return rows[0] if rows else None


def all_posts(db: Database) -> list[dict]:
    return list(db.query("select * from handoff_posts order by week_start"))


def intend(db: Database, week_start: str, target: str, now: str) -> dict:
    """The week's post, recorded with a fresh key (a UUID) before anything is sent; an existing one is kept."""
    db.execute("insert or ignore into handoff_posts (week_start, target, key, status, created_at, updated_at) "
               "values (?, ?, ?, 'pending', ?, ?)", [week_start, target, str(uuid.uuid4()), now, now])
    db.conn.commit()
    found = get(db, week_start)
    if found is None:
        raise StoreError(f"the Linear post of the week of {week_start} was not recorded")
    return found


def attempting(db: Database, week_start: str, now: str) -> None:
    """Mark the create as sent: after a crash from here on, the key is read back before anything is created."""
    with db.conn:
        db.execute("update handoff_posts set attempted_at = ?, updated_at = ? where week_start = ?",
                   [now, now, week_start])


def posted(db: Database, week_start: str, linear_id: str, url: str, submitted_at: str, now: str) -> None:
    with db.conn:
        db.execute("update handoff_posts set status = 'posted', linear_id = ?, url = ?, posted_submitted_at = ?, "
                   "updated_at = ? where week_start = ?", [linear_id, url, submitted_at, now, week_start])
