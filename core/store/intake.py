"""Store functions for intake: raw messages, escalations, follow-ups, quarantine and customers."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from core.errors import ValidationError
from core.store import dumps, loads

TIERS = ("enterprise", "business", "starter", "free")


# Raw bytes and attachments on disk, content-addressed so a replay never writes twice.
def store_blob(folder: Path, data: bytes, suffix: str = "") -> tuple[str, Path]:
    """Write ``data`` under ``folder`` by its sha256 (atomically); return (sha256, path)."""
    digest = hashlib.sha256(data).hexdigest()
    path = folder / digest[:2] / f"{digest}{suffix}"
    if not path.exists():
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
        except FileNotFoundError:  # the first file of its fan-out folder
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
        os.replace(tmp, path)
    return digest, path


def store_blob_chunks(folder: Path, chunks: Iterable[bytes | memoryview], suffix: str = "", *,
                      sha256: str | None = None) -> tuple[str, Path]:
    """Like :func:`store_blob` for data that arrives in pieces, never held whole.

    With ``sha256`` (the digest the caller expects) an existing file is kept without reading ``chunks`` at all.
    """
    if sha256 is not None:
        path = folder / sha256[:2] / f"{sha256}{suffix}"
        if path.exists():
            return sha256, path
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".incoming.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    hasher = hashlib.sha256()
    try:
        with tmp.open("wb") as fh:
            for chunk in chunks:
                hasher.update(chunk)
                fh.write(chunk)
        digest = hasher.hexdigest()
        path = folder / digest[:2] / f"{digest}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return digest, path


# The intake path writes with plain prepared statements: sqlite-utils' table methods look the table's columns up
# in the schema on every call, which was about half of the statements a message cost.
def _one(db: Database, sql: str, params: list[Any]) -> dict | None:
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    return None if row is None else dict(zip([c[0] for c in cursor.description], row))


def _insert(db: Database, table: str, row: dict[str, Any], conflict: str = "") -> Any:
    columns = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?" for _ in row)
    return db.execute(f'insert into "{table}" ({columns}) values ({marks}) {conflict}', list(row.values()))


def _upsert(db: Database, table: str, row: dict[str, Any], pk: str) -> None:
    """Insert ``row``, or update the given columns of the row with the same ``pk``."""
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in row if c != pk)
    _insert(db, table, row, f'on conflict ("{pk}") do ' + (f"update set {updates}" if updates else "nothing"))


def record_inbound(db: Database, row: dict[str, Any]) -> None:
    _upsert(db, "inbound_messages", row, "message_id")


def record_inbound_once(db: Database, row: dict[str, Any]) -> None:
    """Record a message unless its Message-ID is recorded already (whatever became of it)."""
    _insert(db, "inbound_messages", row, 'on conflict ("message_id") do nothing')


def inbound(db: Database, message_id: str) -> dict | None:
    return _one(db, "select * from inbound_messages where message_id = ?", [message_id])


def inbound_by_sha(db: Database, sha256: str) -> dict | None:
    return _one(db, "select * from inbound_messages where sha256 = ? limit 1", [sha256])


def rename_inbound(db: Database, old_id: str, new_id: str) -> None:
    """Move a message recorded under its content hash to its real Message-ID (replacing an unfinished record of
    that id)."""
    if old_id == new_id:
        return
    with db.atomic():
        if _one(db, "select 1 as x from inbound_messages where message_id = ?", [old_id]) is None:
            return
        db.execute("delete from inbound_messages where message_id = ?", [new_id])
        db.execute("update inbound_messages set message_id = ? where message_id = ?", [new_id, old_id])


def forget_inbound(db: Database, message_id: str) -> None:
    db.execute("delete from inbound_messages where message_id = ?", [message_id])


def set_inbound_status(db: Database, message_id: str, status: str, now: str, *, reason: str | None = None,
                       escalation_id: int | None = None) -> None:
    db.execute("update inbound_messages set status = ?, reason = ?, escalation_id = ?, updated_at = ? "
               "where message_id = ?", [status, reason, escalation_id, now, message_id])


def record_attachment(db: Database, row: dict[str, Any]) -> None:
    _upsert(db, "attachments", row, "sha256")


def messages_to_replay(db: Database) -> list[dict]:
    """Messages whose raw bytes were stored but whose processing never finished."""
    return list(db.query("select * from inbound_messages where status in ('new', 'failed') order by received_at"))


def inbound_counts(db: Database) -> dict[str, int]:
    """Messages by status. Each status is found by one seek of the status index and counted within it."""
    return {r["status"]: r["n"] for r in db.query(
        "with recursive s(status) as (select min(status) from inbound_messages union all "
        "select (select min(status) from inbound_messages where status > s.status) from s "
        "where s.status is not null) "
        "select status, (select count(*) from inbound_messages m where m.status = s.status) as n "
        "from s where status is not null")}


def ignored_messages(db: Database, limit: int = 200) -> list[dict]:
    return list(db.query(
        "select message_id, source, received_at, reason from inbound_messages where status = 'ignored' "
        "order by received_at desc limit ?", [limit]))


# Escalations
def create_escalation(db: Database, row: dict[str, Any], thread_ids: list[str]) -> int:
    """Insert an escalation (idempotent on its Message-ID) and remember its thread ids; return its id."""
    with db.atomic():
        existing = escalation_id_for_message(db, row["message_id"])
        if existing is not None:
            return existing
        row = {**row, "attachments": dumps(row.get("attachments", []))}
        escalation_id = int(_insert(db, "escalations", row).lastrowid)
        _remember_thread(db, [m for m in thread_ids if m], escalation_id)
        return escalation_id


def _remember_thread(db: Database, message_ids: list[str], escalation_id: int) -> None:
    db.conn.executemany("insert into thread_keys (message_id, escalation_id) values (?, ?) "
                        "on conflict (message_id) do update set escalation_id = excluded.escalation_id",
                        [(m, escalation_id) for m in dict.fromkeys(message_ids)])


def escalation_id_for_message(db: Database, message_id: str) -> int | None:
    row = _one(db, "select id from escalations where message_id = ?", [message_id])
    return row["id"] if row else None


def escalation_for_thread(db: Database, message_ids: list[str]) -> int | None:
    """The escalation a reply belongs to, from its In-Reply-To/References ids."""
    ids = [m for m in message_ids if m]
    if not ids:
        return None
    marks = ", ".join("?" for _ in ids)
    row = _one(db, f"select escalation_id from thread_keys where message_id in ({marks}) limit 1", ids)
    return row["escalation_id"] if row else None


def add_followup(db: Database, row: dict[str, Any]) -> None:
    with db.atomic():
        _upsert(db, "followups", row, "message_id")
        _remember_thread(db, [row["message_id"]], row["escalation_id"])
        db.execute("update escalations set updated_at = ?, last_followup_at = max(coalesce(last_followup_at, ''), ?) "
                   "where id = ?", [row["received_at"], row["received_at"], row["escalation_id"]])


def escalation(db: Database, escalation_id: int) -> dict | None:
    rows = list(db.query("select * from escalations where id = ?", [escalation_id]))
    return _decode(rows[0]) if rows else None


def escalations(db: Database, *, status: str | None = None, limit: int = 500) -> list[dict]:
    """Escalations newest first, each with its link to HubSpot and Linear when there is one."""
    where, params = ("where e.status = ?", [status]) if status else ("", [])
    sql = (
        "select e.*, l.hubspot_ticket_url, l.linear_identifier, l.linear_url, l.linear_state, "
        "(select count(*) from followups f where f.escalation_id = e.id) as followups "
        f"from escalations e left join links l on l.escalation_id = e.id {where} "
        "order by e.received_at desc, e.id desc limit ?"
    )
    return [_decode(r) for r in db.query(sql, [*params, limit])]


def followups(db: Database, escalation_id: int) -> list[dict]:
    return list(db.query("select * from followups where escalation_id = ? order by received_at", [escalation_id]))


def customer_escalations(db: Database, domain: str, limit: int = 100) -> list[dict]:
    """The customer's newest escalations, without their bodies."""
    return list(db.query(
        "select id, subject, status, received_at from escalations where customer_domain = ? "
        "order by received_at desc, id desc limit ?", [domain, limit]))


def set_escalation_status(db: Database, escalation_id: int, status: str, now: str) -> None:
    """Open or close an escalation; closing records when, reopening clears it."""
    closed_at = now if status != "open" else None
    db["escalations"].update(escalation_id, {"status": status, "closed_at": closed_at, "updated_at": now})


def _decode(row: dict) -> dict:
    return {**row, "attachments": loads(row.get("attachments"), [])}


# Quarantine
def quarantine(db: Database, row: dict[str, Any]) -> None:
    existing = _one(db, "select status from quarantine where message_id = ?", [row["message_id"]])
    if existing and existing["status"] != "pending":
        return  # a decision already made is never undone by a replay
    _upsert(db, "quarantine", {**row, "status": "pending"}, "message_id")


def quarantined(db: Database, status: str = "pending") -> list[dict]:
    return list(db.query(
        "select q.*, m.raw_path from quarantine q left join inbound_messages m using (message_id) "
        "where q.status = ? order by q.received_at desc", [status]))


def decide_quarantine(db: Database, message_id: str, status: str, by: str, now: str) -> None:
    db["quarantine"].update(message_id, {"status": status, "decided_by": by, "decided_at": now})


# Customers
@dataclass(frozen=True)
class Customer:
    domain: str
    company: str
    tier: str | None
    revenue: int | None = None
    size: int | None = None
    owner: str | None = None


def customer_for_domain(db: Database, domain: str | None) -> Customer | None:
    if not domain:
        return None
    r = _one(db, "select * from customers where domain = ?", [domain.lower()])
    if r is None:
        return None
    return Customer(r["domain"], r["company"], r["tier"], r["revenue"], r["size"], r["owner"])


def upsert_customers(db: Database, customers: list[Customer], now: str) -> int:
    with db.atomic():
        db["customers"].upsert_all(
            [{**c.__dict__, "domain": c.domain.lower(), "updated_at": now} for c in customers], pk="domain"
        )
    return len(customers)


def parse_customers_csv(text: str) -> list[Customer]:
    """Customers from CSV with columns domain, company, tier[, revenue, size, owner]; bad rows are refused."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"domain", "company"} - set(reader.fieldnames or [])
    if missing:
        raise ValidationError(f"customers CSV needs the columns {', '.join(sorted(missing))}")
    out = []
    for line, row in enumerate(reader, start=2):
        domain = (row.get("domain") or "").strip().lower()
        if "." not in domain or "@" in domain:
            raise ValidationError(f"customers CSV line {line}: {domain!r} is not a domain")
        tier = (row.get("tier") or "").strip().lower() or None
        if tier and tier not in TIERS:
            raise ValidationError(f"customers CSV line {line}: tier must be one of {', '.join(TIERS)}")
        out.append(Customer(domain, (row.get("company") or domain).strip(), tier,
                            _int_or_none(row.get("revenue"), line), _int_or_none(row.get("size"), line),
                            (row.get("owner") or "").strip() or None))
    return out


def _int_or_none(raw: str | None, line: int) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(f"customers CSV line {line}: {raw!r} is not a whole number") from None


def customers(db: Database) -> list[dict]:
    return list(db.query(
        "select c.*, (select count(*) from escalations e where e.customer_domain = c.domain and e.status = 'open') "
        "as open_escalations from customers c order by c.company"))
