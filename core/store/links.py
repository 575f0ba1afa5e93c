"""Store functions for linking: the step journal, the links table and the HubSpot lookup caches.

The journal has one row per (escalation, step). A step is marked ``started`` (attempts + 1) and committed
*before* its request goes out, so after a crash the next run knows a request may have landed and looks
before it creates. This module imports nothing from ``core.store`` so the schema can register its migrations.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from core.escalations import CLOSED_STATUSES

migrations = Migrations("rotadesk.links")
COMPLETE = ("done", "skipped")
CACHE_TTL = timedelta(hours=24)


@migrations()
def m001_hubspot_caches(db: Database) -> None:
    # Companies and contacts seen in HubSpot, so a warm escalation costs no lookups; misses are cached too.
    db["hubspot_companies"].create(
        {"domain": str, "company_id": str, "name": str, "tier": str, "revenue": float, "owner": str, "checked_at": str},
        pk="domain",
    )
    db["hubspot_contacts"].create({"email": str, "contact_id": str, "checked_at": str}, pk="email")


@dataclass(frozen=True)
class JournalEntry:
    """One step of one escalation's linking."""

    step: str
    status: str
    detail: Any
    attempts: int
    at: str

    @property
    def complete(self) -> bool:
        return self.status in COMPLETE


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _decode(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


@contextmanager
def write(db: Database) -> Iterator[Database]:
    """A transaction that takes the write lock up front (``BEGIN IMMEDIATE``).

    Linking runs on several threads with a connection each; a deferred transaction that reads before it writes
    can be refused at once when another connection wrote meanwhile, while an immediate one waits its turn.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()


# -- journal ---------------------------------------------------------------------------------------------------
def journal(db: Database, escalation_id: int) -> dict[str, JournalEntry]:
    rows = db.query("select * from journal where escalation_id = ? order by at, step", [escalation_id])
    return {
        r["step"]: JournalEntry(r["step"], r["status"], _decode(r["detail"]), r["attempts"] or 0, r["at"]) for r in rows
    }


def start_step(db: Database, escalation_id: int, step: str, now: datetime) -> int:
    """Mark ``step`` started and return its attempt number (1 on the first try)."""
    with write(db):
        db.execute(
            "insert into journal (escalation_id, step, status, attempts, at) values (?, ?, 'started', 1, ?) "
            "on conflict (escalation_id, step) do update set status = 'started', "
            "attempts = coalesce(attempts, 0) + 1, at = excluded.at",
            [escalation_id, step, _iso(now)],
        )
    rows = list(db.query("select attempts from journal where escalation_id = ? and step = ?", [escalation_id, step]))
    return rows[0]["attempts"]


def finish_step(
    db: Database, escalation_id: int, step: str, detail: Any, now: datetime, *, status: str = "done"
) -> None:
    with write(db):
        db["journal"].upsert({"escalation_id": escalation_id, "step": step, "status": status,
                              "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True), "at": _iso(now)},
                             pk=("escalation_id", "step"))


def fail_step(db: Database, escalation_id: int, step: str, error: str, now: datetime) -> None:
    with write(db):
        db["journal"].upsert(
            {
                "escalation_id": escalation_id,
                "step": step,
                "status": "failed",
                "detail": json.dumps({"error": error[:2000]}),
                "at": _iso(now),
            },
            pk=("escalation_id", "step"),
        )


def reset_step(db: Database, escalation_id: int, step: str) -> None:
    with write(db):
        db["journal"].delete_where("escalation_id = ? and step = ?", [escalation_id, step])


def pending_escalation_ids(db: Database) -> list[int]:
    """Escalations whose linking has not finished, oldest first.

    One closed before it was ever linked (fixed while Rotadesk ran local-only) is history, not backlog: it stays
    out of Linear. One whose linking had begun is always finished, so nothing is left half made.
    """
    closed = sorted(CLOSED_STATUSES)
    return [r["id"] for r in db.query(
        "select e.id from escalations e where not exists (select 1 from journal j where j.escalation_id = e.id "
        "and j.step = 'done' and j.status = 'done') and (coalesce(e.status, 'open') not in "
        f"({', '.join('?' for _ in closed)}) or exists (select 1 from journal j where j.escalation_id = e.id)) "
        "order by e.id", closed)]


def pending_followups(db: Database) -> list[dict]:
    """Follow-ups of fully linked escalations, with the steps recorded for them so far."""
    return list(db.query(
        "select f.* from followups f join journal j on j.escalation_id = f.escalation_id and j.step = 'done' "
        "and j.status = 'done' order by f.received_at, f.message_id"))


def journal_counts(db: Database) -> dict[str, int]:
    """Escalations by linking state: linked, pending, failed (a step's last attempt failed)."""
    row = next(
        iter(
            db.query(
                "select count(*) total, "
                "sum(exists(select 1 from journal j where j.escalation_id = e.id and j.step = 'done' "
                "and j.status = 'done')) linked, "
                "sum(exists(select 1 from journal j where j.escalation_id = e.id and j.status = 'failed')) failed "
                "from escalations e"
            )
        )
    )
    total, linked, failed = row["total"] or 0, row["linked"] or 0, row["failed"] or 0
    return {"linked": linked, "pending": total - linked, "failed": failed}


# -- links -----------------------------------------------------------------------------------------------------
def link(db: Database, escalation_id: int) -> dict | None:
    rows = list(db.query("select * from links where escalation_id = ?", [escalation_id]))
    return rows[0] if rows else None


def save_link(db: Database, escalation_id: int, fields: dict[str, Any], now: datetime) -> None:
    with write(db):
        db["links"].upsert({"escalation_id": escalation_id, **fields, "updated_at": _iso(now)}, pk="escalation_id")


def links_for_issue(db: Database, linear_issue_id: str) -> list[dict]:
    return list(db.query("select * from links where linear_issue_id = ? order by escalation_id", [linear_issue_id]))


# -- HubSpot caches ----------------------------------------------------------------------------------------------
def cached_company(db: Database, domain: str, now: datetime, ttl: timedelta = CACHE_TTL) -> dict | None:
    """The cached lookup for ``domain`` (``company_id`` None when HubSpot had none), or None when stale."""
    rows = list(db.query("select * from hubspot_companies where domain = ? and checked_at >= ?",
                         [domain.lower(), _iso(now - ttl)]))
    return rows[0] if rows else None


def remember_company(db: Database, domain: str, company: dict[str, Any] | None, now: datetime) -> None:
    row = {"domain": domain.lower(), "company_id": None, "name": None, "tier": None, "revenue": None, "owner": None,
           **(company or {}), "checked_at": _iso(now)}
    with write(db):
        db["hubspot_companies"].upsert(row, pk="domain")
        if company and company.get("company_id"):  # the customer list shows the HubSpot id where it knows the domain
            db.execute(
                "update customers set hubspot_company_id = ? where domain = ?", [company["company_id"], domain.lower()]
            )


def cached_contact(db: Database, email: str, now: datetime, ttl: timedelta = CACHE_TTL) -> str | None:
    rows = list(db.query("select contact_id from hubspot_contacts where email = ? and checked_at >= ?",
                         [email.lower(), _iso(now - ttl)]))
    return rows[0]["contact_id"] if rows else None


def remember_contact(db: Database, email: str, contact_id: str, now: datetime) -> None:
    with write(db):
        db["hubspot_contacts"].upsert(
            {"email": email.lower(), "contact_id": contact_id, "checked_at": _iso(now)}, pk="email"
        )


def forget_hubspot_cache(db: Database, *, email: str | None, domain: str | None) -> None:
    """Drop cached ids that HubSpot refused (a merged or deleted record)."""
    with write(db):
        if email:
            db["hubspot_contacts"].delete_where("email = ?", [email.lower()])
        if domain:
            db["hubspot_companies"].delete_where("domain = ?", [domain.lower()])


def issue_reports(db: Database, linear_issue_id: str | None = None) -> list[dict]:
    """Each linked escalation of one issue (or of all) with its customer, ticket and HubSpot context."""
    where, args = ("and l.linear_issue_id = ?", [linear_issue_id]) if linear_issue_id else ("", [])
    rows = db.query(
        "select l.linear_issue_id, l.escalation_id, l.hubspot_ticket_id, l.hubspot_company_id, e.customer_domain, "
        "e.customer_address, e.company, e.tier, c.revenue local_revenue, j.detail context "
        "from links l join escalations e on e.id = l.escalation_id "
        "left join customers c on c.domain = e.customer_domain "
        "left join journal j on j.escalation_id = l.escalation_id and j.step = 'hubspot_context' "
        f"where l.linear_issue_id is not null and l.linear_issue_id != '' {where} order by l.escalation_id", args)
    return [{**r, "context": _decode(r["context"]) or {}} for r in rows]
