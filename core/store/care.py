"""Store functions for data care: retention of raw messages and attachments, and one customer's data.

Retention removes bytes, never records: an inbound message keeps its row (so a second delivery is still
recognised) and an escalation keeps its text, attachment names and links. Erasure removes every row held about
one address. This module imports nothing from ``core.store`` so the schema can register its migrations.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("rotadesk.care")

# Finished messages only: a message still to be processed or reviewed needs its raw bytes.
FINISHED = ("escalation", "followup", "ignored", "discarded", "duplicate")
HANDOFF_TEXT = ("fixed", "triaged", "still_open", "priorities", "notes")


@migrations()
def m001_retention_and_erasure(db: Database) -> None:
    # When retention removed a message's raw file or an attachment's bytes (the rows stay).
    db["inbound_messages"].add_column("raw_purged_at", str)
    db["attachments"].add_column("purged_at", str)
    # One row per erasure carried out: when and how much, never whose (the address is what was erased).
    db["erasures"].create({"id": int, "at": str, "counts": str}, pk="id")


# -- retention -------------------------------------------------------------------------------------------------
def expired_raw(db: Database, cutoff: str) -> list[dict]:
    """Finished messages received before ``cutoff`` whose raw file is still kept, unless an open escalation
    (its own, or the one a follow-up belongs to) still needs it."""
    marks = ", ".join("?" for _ in FINISHED)
    return list(db.query(
        "select m.message_id, m.raw_path from inbound_messages m left join escalations e on e.id = m.escalation_id "
        f"where m.received_at < ? and m.status in ({marks}) and m.raw_purged_at is null and m.raw_path is not null "
        "and coalesce(e.status, 'closed') != 'open' order by m.received_at", [cutoff, *FINISHED]))


def expired_attachments(db: Database, cutoff: str) -> list[str]:
    """Stored attachments every escalation referring to which was received before ``cutoff`` and is not open."""
    keep: set[str] = set()
    old: set[str] = set()
    for row in db.query("select received_at, status, attachments from escalations where attachments like '%sha256%'"):
        shas = {a.get("sha256") for a in json.loads(row["attachments"] or "[]") if a.get("sha256")}
        (old if row["received_at"] < cutoff and row["status"] != "open" else keep).update(shas)
    stored = {r["sha256"] for r in db.query("select sha256 from attachments where stored = 1 and purged_at is null")}
    return sorted((old - keep) & stored)


def mark_raw_purged(db: Database, message_ids: list[str], now: str) -> None:
    with db.atomic():
        for message_id in message_ids:
            db["inbound_messages"].update(message_id, {"raw_purged_at": now})


def mark_attachments_purged(db: Database, shas: list[str], now: str) -> None:
    with db.atomic():
        for sha in shas:
            db["attachments"].update(sha, {"purged_at": now})


def raw_path_shared(db: Database, raw_path: str, besides: set[str]) -> bool:
    """True when a message other than ``besides`` still keeps the same (content-addressed) raw file."""
    marks = ", ".join("?" for _ in besides) or "''"
    rows = db.query(f"select 1 from inbound_messages where raw_path = ? and raw_purged_at is null "
                    f"and message_id not in ({marks}) limit 1", [raw_path, *besides])
    return any(True for _ in rows)


# -- one customer's data ---------------------------------------------------------------------------------------
@dataclass
class CustomerData:
    """Every row held about one address, by table, and the files: raw messages and attachments.

    ``attachment_shas`` are the attachments only this address's escalations refer to (erasure deletes those);
    ``referenced_shas`` are all their escalations refer to (an export includes those).
    """

    address: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    raw_paths: list[str] = field(default_factory=list)
    attachment_shas: list[str] = field(default_factory=list)
    referenced_shas: list[str] = field(default_factory=list)
    handoff_weeks: list[str] = field(default_factory=list)

    @property
    def escalation_ids(self) -> list[int]:
        return [r["id"] for r in self.rows.get("escalations", [])]

    def counts(self) -> dict[str, int]:
        return {table: len(rows) for table, rows in self.rows.items() if rows}

    @property
    def empty(self) -> bool:
        return not any(self.rows.values())


def _in(values: list[Any]) -> str:
    return ", ".join("?" for _ in values) or "null"


def gather_customer(db: Database, address: str, extra_message_ids: list[str]) -> CustomerData:
    """Collect what is held about ``address``. ``extra_message_ids``: stored messages whose headers name it
    (found by the caller in the raw files), so an ignored or quarantined message is found too."""
    address = address.strip().lower()
    data = CustomerData(address)
    q = db.query
    data.rows["escalations"] = list(q("select * from escalations where lower(customer_address) = ?", [address]))
    ids = data.escalation_ids
    data.rows["followups"] = list(q(f"select * from followups where escalation_id in ({_in(ids)}) "
                                    "or lower(sender) = ?", [*ids, address]))
    quarantine = list(q("select * from quarantine where lower(sender) = ?", [address]))
    message_ids = sorted({*(r["message_id"] for r in data.rows["escalations"]),
                          *(r["message_id"] for r in data.rows["followups"]),
                          *(r["message_id"] for r in quarantine)})
    # A message that only names the address (say, in Cc) but became someone else's escalation is theirs.
    extra = sorted(set(extra_message_ids))
    data.rows["inbound_messages"] = list(q(
        f"select * from inbound_messages where escalation_id in ({_in(ids)}) or message_id in ({_in(message_ids)}) "
        f"or (message_id in ({_in(extra)}) and escalation_id is null)", [*ids, *message_ids, *extra]))
    inbound_ids = [r["message_id"] for r in data.rows["inbound_messages"]]
    data.rows["quarantine"] = list(q(f"select * from quarantine where lower(sender) = ? "
                                     f"or message_id in ({_in(inbound_ids)})", [address, *inbound_ids]))
    data.rows["thread_keys"] = list(q(f"select * from thread_keys where escalation_id in ({_in(ids)})", ids))
    for table in ("links", "journal", "office_hours", "staged_replies"):
        data.rows[table] = list(q(f"select * from {table} where escalation_id in ({_in(ids)})", ids))
    data.rows["hubspot_contacts"] = list(q("select * from hubspot_contacts where lower(email) = ?", [address]))
    data.raw_paths = sorted({r["raw_path"] for r in data.rows["inbound_messages"]
                             if r["raw_path"] and not r.get("raw_purged_at")})
    data.referenced_shas, data.attachment_shas = _attachments_of(db, ids)
    data.rows["attachments"] = list(q(f"select * from attachments where sha256 in ({_in(data.attachment_shas)})",
                                      data.attachment_shas))
    text = " || char(10) || ".join(f"coalesce({c}, '')" for c in HANDOFF_TEXT)
    data.handoff_weeks = [r["week_start"] for r in q(
        f"select week_start from handoffs where instr(lower({text}), ?) > 0", [address])]
    return data


def _attachments_of(db: Database, escalation_ids: list[int]) -> tuple[list[str], list[str]]:
    """(attachments these escalations refer to, those no other escalation refers to)."""
    mine: set[str] = set()
    others: set[str] = set()
    for row in db.query("select id, attachments from escalations where attachments like '%sha256%'"):
        shas = {a.get("sha256") for a in json.loads(row["attachments"] or "[]") if a.get("sha256")}
        (mine if row["id"] in escalation_ids else others).update(shas)
    return sorted(mine), sorted(mine - others)


def erase_customer(db: Database, data: CustomerData, now: str) -> None:
    """Delete every row in ``data`` in one transaction, redact the address in handoffs and record the erasure.

    ``secure_delete`` overwrites the freed pages, so the deleted text does not linger in the database file.
    """
    ids = data.escalation_ids
    inbound_ids = [r["message_id"] for r in data.rows.get("inbound_messages", [])]
    followup_ids = [r["message_id"] for r in data.rows.get("followups", [])]
    quarantine_ids = [r["message_id"] for r in data.rows.get("quarantine", [])]
    db.execute("PRAGMA secure_delete = ON")
    with db.atomic():
        for table in ("staged_replies", "office_hours", "journal", "links", "thread_keys"):
            db.execute(f"delete from {table} where escalation_id in ({_in(ids)})", ids)
        db.execute(f"delete from thread_keys where message_id in ({_in(followup_ids)})", followup_ids)
        db.execute(f"delete from followups where message_id in ({_in(followup_ids)}) "
                   f"or escalation_id in ({_in(ids)})", [*followup_ids, *ids])
        db.execute(f"delete from quarantine where message_id in ({_in(quarantine_ids)})", quarantine_ids)
        db.execute(f"delete from inbound_messages where message_id in ({_in(inbound_ids)})", inbound_ids)
        db.execute(f"delete from escalations where id in ({_in(ids)})", ids)
        db.execute(f"delete from attachments where sha256 in ({_in(data.attachment_shas)})", data.attachment_shas)
        db.execute("delete from hubspot_contacts where lower(email) = ?", [data.address])
        address = re.compile(re.escape(data.address), re.IGNORECASE)  # a literal: linear time
        for week in data.handoff_weeks:
            row = next(db.query("select * from handoffs where week_start = ?", [week]))
            db["handoffs"].update(week, {c: address.sub("[erased]", row[c]) for c in HANDOFF_TEXT if row.get(c)})
        db["erasures"].insert({"at": now, "counts": json.dumps(data.counts(), sort_keys=True)})
