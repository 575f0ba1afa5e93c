"""What Rotadesk last wrote to each side for one escalation, so a changed fact is written once.

It also keeps which HubSpot tickets became escalations (HubSpot as a source). One row per (side, escalation): the
values last written and the source's own modification time. A pass that
sees the same change again (a repeat after a crash, a poll after a webhook) finds nothing different and writes
nothing; a change older than the one applied is ignored. This module imports nothing from ``core.store``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("rotadesk.follow")


@migrations()
def m001_followed(db: Database) -> None:
    db["followed"].create({"key": str, "facts": str, "source_at": str, "at": str}, pk="key")


@migrations()
def m002_hubspot_sources(db: Database) -> None:
    # A HubSpot ticket that became an escalation: linking uses that ticket instead of creating one.
    db["hubspot_sources"].create({"ticket_id": str, "message_id": str, "at": str}, pk="ticket_id")
    db["hubspot_sources"].create_index(["message_id"], unique=True)


@migrations()
def m003_leases(db: Database) -> None:
    # Who is writing one escalation's changes right now (the poll, or the webhook receiver in another process).
    db["follow_leases"].create({"key": str, "until": str}, pk="key")


def take_lease(db: Database, key: str, now: datetime, seconds: float) -> str | None:
    """Claim ``key`` until ``now + seconds`` unless a live claim holds it; returns the claim (for
    :func:`drop_lease`) or None. One statement, so two connections never both get it; a pass that died holding
    one only delays the next until it lapses."""
    stamp = _iso(now)
    until = _iso(now + timedelta(seconds=seconds))
    with _immediate(db):
        taken = db.execute("insert into follow_leases (key, until) values (?, ?) on conflict (key) do update set "
                           "until = excluded.until where follow_leases.until <= ?", [key, until, stamp]).rowcount
    return until if taken == 1 else None


def drop_lease(db: Database, key: str, claim: str) -> None:
    with _immediate(db):
        db.execute("delete from follow_leases where key = ? and until = ?", [key, claim])


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


@contextmanager
def _immediate(db: Database) -> Iterator[None]:
    if db.conn.in_transaction:
        yield
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()


def source_ticket(db: Database, message_id: str) -> str | None:
    """The HubSpot ticket an escalation came from, or None for one that came by mail or a report."""
    rows = list(db.query("select ticket_id from hubspot_sources where message_id = ?", [message_id]))
    return rows[0]["ticket_id"] if rows else None


def remember_source(db: Database, ticket_id: str, message_id: str, now: datetime) -> None:
    db["hubspot_sources"].upsert({"ticket_id": ticket_id, "message_id": message_id,
                                  "at": now.astimezone(timezone.utc).isoformat(timespec="seconds")}, pk="ticket_id")


def followed(db: Database, key: str) -> tuple[dict[str, Any], str] | None:
    """The facts last written under ``key`` and when their source last changed, or None."""
    rows = list(db.query("select facts, source_at from followed where key = ?", [key]))
    return (json.loads(rows[0]["facts"]), rows[0]["source_at"] or "") if rows else None


def remember(db: Database, key: str, facts: dict[str, Any], source_at: str, now: datetime) -> None:
    db["followed"].upsert({"key": key, "facts": json.dumps(facts, sort_keys=True), "source_at": source_at,
                           "at": now.astimezone(timezone.utc).isoformat(timespec="seconds")}, pk="key")


def linked(db: Database) -> list[dict[str, Any]]:
    """Every escalation linked to both sides, with its row and the details its linking recorded."""
    rows = db.query(
        "select l.*, e.message_id, e.customer_name, e.customer_address, e.customer_domain, e.company as esc_company, "
        "e.tier as esc_tier, e.subject, e.body, e.note, e.forwarded, e.forwarded_by_name, e.forwarded_by_address, "
        "e.original_date, e.received_at, e.attachments, e.status, "
        "(select detail from journal j where j.escalation_id = l.escalation_id and j.step = 'hubspot_context') ctx, "
        "(select detail from journal j where j.escalation_id = l.escalation_id and j.step = 'linear_issue') issue, "
        "(select detail from journal j where j.escalation_id = l.escalation_id and j.step = 'hubspot_ticket') ticket, "
        "(select detail from journal j where j.escalation_id = l.escalation_id and j.step = 'linear_customer') cust "
        "from links l join escalations e on e.id = l.escalation_id "
        "where l.hubspot_ticket_id is not null and l.hubspot_ticket_id != '' "
        "and l.linear_issue_id is not null and l.linear_issue_id != '' order by l.escalation_id")
    out = []
    for r in rows:
        row = dict(r)
        for key in ("ctx", "issue", "ticket", "cust", "attachments"):
            try:
                row[key] = json.loads(row[key]) if row[key] else ({} if key != "attachments" else [])
            except ValueError:
                row[key] = {}
        row["company"], row["tier"] = row.pop("esc_company"), row.pop("esc_tier")
        out.append(row)
    return out
