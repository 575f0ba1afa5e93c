"""Store functions for closing replies: staged_replies, reply_templates and webhook_deliveries.

A staged reply is keyed by its completion key (``issue:ticket:completed_at``) and moves through
``staging`` → ``staged`` → ``sent``, or to ``withdrawn``. Inserting the ``staging`` row is the claim:
whoever inserts it stages the reply; anyone else only resumes a ``staging`` row whose claim went stale.
This module imports nothing from ``core.store`` so the schema can register its migrations without a cycle.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from core.escalations import DONE_STATUS, WONT_FIX_STATUS

migrations = Migrations("rotadesk.replies")

ACTIVE = ("staging", "staged")


@migrations()
def m001_reply_progress(db: Database) -> None:
    # Progress of a staging attempt (claim time, note id) and what the queue shows without calling Linear.
    table = db["staged_replies"]
    for name in ("claimed_at", "note_id", "subject", "issue_identifier", "state_name", "error"):
        table.add_column(name, str)
    table.create_index(["linear_issue_id"])
    table.create_index(["status"])


def _write(db: Database, sql: str, params: list[Any]) -> int:
    """Run one write statement in its own transaction; the number of rows it changed."""
    with db.conn:
        return db.execute(sql, params).rowcount


# Templates
def template_bodies(db: Database) -> dict[str, str]:
    return {r["outcome"]: r["body"] for r in db.query("select outcome, body from reply_templates")}


def save_template(db: Database, outcome: str, body: str, now: str) -> None:
    db["reply_templates"].upsert({"outcome": outcome, "body": body, "updated_at": now}, pk="outcome")


def reset_template(db: Database, outcome: str) -> None:
    _write(db, "delete from reply_templates where outcome = ?", [outcome])


# Staged replies
def claim(db: Database, row: dict[str, Any]) -> bool:
    """Insert a new reply row unless its key exists; True when this call inserted it."""
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    return _write(db, f"insert or ignore into staged_replies ({columns}) values ({marks})", list(row.values())) == 1


def reclaim(db: Database, key: str, now: str, stale_before: str) -> bool:
    """Take over a ``staging`` row nobody holds (claim released or older than ``stale_before``)."""
    return _write(db, "update staged_replies set claimed_at = ? where key = ? and status = 'staging' "
                      "and (claimed_at is null or claimed_at < ?)", [now, key, stale_before]) == 1


def update_reply(db: Database, key: str, **fields: Any) -> None:
    db["staged_replies"].update(key, fields)


def reply(db: Database, key: str) -> dict | None:
    rows = list(db.query("select * from staged_replies where key = ?", [key]))
    return rows[0] if rows else None


def replies_for_issue(db: Database, issue_id: str) -> list[dict]:
    return list(db.query("select * from staged_replies where linear_issue_id = ? order by done_at, key", [issue_id]))


def active_issue_ids(db: Database) -> list[str]:
    return [r["linear_issue_id"] for r in db.query(
        "select distinct linear_issue_id from staged_replies where status in ('staging', 'staged')")]


def stuck_staging(db: Database, stale_before: str) -> list[dict]:
    """``staging`` rows a crashed or failed attempt left behind, ready to be resumed."""
    return list(db.query("select * from staged_replies where status = 'staging' "
                         "and (claimed_at is null or claimed_at < ?) order by done_at", [stale_before]))


def queue(db: Database) -> list[dict]:
    """Replies waiting to be sent, oldest first, with the customer they go to."""
    return list(db.query(
        "select r.*, e.customer_name, e.customer_address, e.company, e.tier, e.subject as escalation_subject, "
        "l.hubspot_ticket_url, l.linear_url "
        "from staged_replies r left join escalations e on e.id = r.escalation_id "
        "left join links l on l.escalation_id = r.escalation_id "
        "where r.status in ('staged', 'staging') order by coalesce(r.done_at, r.staged_at), r.key"))


def reply_times(db: Database, latest: int | None = None) -> list[dict]:
    """Timestamps of the ``latest`` replies by when Linear said done (all of them without it)."""
    if latest is None:
        return list(db.query("select status, done_at, staged_at, sent_at from staged_replies"))
    return list(db.query("select status, done_at, staged_at, sent_at from staged_replies "
                         "order by done_at desc limit ?", [latest]))


def reply_counts(db: Database) -> dict[str, int]:
    """Replies waiting and sent, ever, counted from the status index."""
    return {r["status"]: r["n"] for r in db.query(
        "select status, count(*) as n from staged_replies where status in ('staging', 'staged', 'sent') "
        "group by status")}


# Links and escalations (read here; the linking pipeline writes them)
def links_for_issue(db: Database, issue_id: str) -> list[dict]:
    return list(db.query(
        "select l.*, e.customer_name, e.customer_address, e.company, e.tier, e.subject "
        "from links l left join escalations e on e.id = l.escalation_id "
        "where l.linear_issue_id = ? order by l.escalation_id", [issue_id]))


def linked_issue_ids(db: Database) -> list[str]:
    return [r["linear_issue_id"] for r in db.query(
        "select distinct linear_issue_id from links where linear_issue_id is not null and linear_issue_id != ''")]


ESCALATION_STATUS_BY_STATE_TYPE = {"completed": DONE_STATUS, "canceled": WONT_FIX_STATUS}  # any other: open


def set_link_state(db: Database, issue_id: str, state_name: str, state_type: str, now: str) -> list[dict]:
    """Record the issue's state on its links, and close (or reopen) the escalations it covers to match.
    Returns the escalations whose status changed (``id``, old ``status``), for the audit trail."""
    status = ESCALATION_STATUS_BY_STATE_TYPE.get(state_type, "open")
    # Only an issue moving back out of done or canceled reopens; an escalation closed by hand stays closed.
    covered = ("status != ? and id in (select escalation_id from links where linear_issue_id = ? and "
               "(? != 'open' or linear_state_type in ('completed', 'canceled')))")
    with db.conn:
        changed = list(db.query(f"select id, status from escalations where {covered} order by id",
                                [status, issue_id, status]))
        db.execute(f"update escalations set status = ?, closed_at = ?, updated_at = ? where {covered}",
                   [status, None if status == "open" else now, now, status, issue_id, status])
        db.execute("update links set linear_state = ?, linear_state_type = ? where linear_issue_id = ?",
                   [state_name, state_type, issue_id])
    return changed


def engineer_name(db: Database, email: str | None) -> str | None:
    if not email:
        return None
    rows = list(db.query("select name from engineers where email = ?", [email]))
    return rows[0]["name"] if rows else None


# Webhook deliveries
def record_delivery(db: Database, delivery_id: str, now: str, outcome: str) -> bool:
    """Remember a delivery id; False when it was seen before (a redelivery)."""
    return _write(db, "insert or ignore into webhook_deliveries (delivery_id, received_at, outcome) values (?, ?, ?)",
                  [delivery_id, now, outcome]) == 1


def set_delivery_outcome(db: Database, delivery_id: str, outcome: str) -> None:
    _write(db, "update webhook_deliveries set outcome = ? where delivery_id = ?", [outcome, delivery_id])


def deliveries(db: Database) -> list[dict]:
    return list(db.query("select * from webhook_deliveries order by received_at"))
