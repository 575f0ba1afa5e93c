"""Data care on disk: retention of raw messages and attachments, and one customer's export and erasure.

The store decides which rows; this shell removes and packs the files. Rows are marked (retention) or deleted
(erasure) in the database first and the files removed after, so a crash in between leaves at worst a file no
row points to, never a row pointing to a file that is gone unannounced.
"""

from __future__ import annotations

import json
import logging
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path

from sqlite_utils import Database

from core.settings import Settings
from core.store import care, get_state, iso, set_state

log = logging.getLogger("rotadesk.care")
RETENTION_STATE = "retention.last_run"
HEADERS = ("From", "Sender", "Reply-To", "To", "Cc")
HEADER_BYTES = 64 * 1024  # headers are read from the start of a raw file; a message's body is never needed


@dataclass(frozen=True)
class RetentionResult:
    raw_files: int
    attachments: int
    cutoff: str

    def summary(self) -> str:
        return (f"retention: removed {self.raw_files} raw message(s) and {self.attachments} attachment(s) "
                f"received before {self.cutoff}; escalation records and links kept")


def apply_retention(db: Database, settings: Settings, now: datetime) -> RetentionResult | None:
    """Remove raw files and attachments older than ``ROTADESK_RETENTION_DAYS``; ``None`` when retention is off."""
    if settings.retention_days <= 0:
        return None
    cutoff = iso(now - timedelta(days=settings.retention_days))
    stamp = iso(now)
    raw = care.expired_raw(db, cutoff)
    ids = [r["message_id"] for r in raw]
    care.mark_raw_purged(db, ids, stamp)
    for row in raw:
        if not care.raw_path_shared(db, row["raw_path"], set(ids)):
            _remove(Path(row["raw_path"]))
    shas = care.expired_attachments(db, cutoff)
    care.mark_attachments_purged(db, shas, stamp)
    for sha in shas:
        _remove(attachment_path(settings, sha))
    set_state(db, RETENTION_STATE, stamp)
    return RetentionResult(len(raw), len(shas), cutoff)


def retention_due(db: Database, settings: Settings, now: datetime) -> bool:
    """Once a day is enough for the worker: retention counts in days."""
    if settings.retention_days <= 0:
        return False
    last = get_state(db, RETENTION_STATE)
    return last is None or datetime.fromisoformat(last) <= now - timedelta(days=1)


def attachment_path(settings: Settings, sha: str) -> Path:
    return settings.attachments_dir / sha[:2] / sha


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:  # the row already says it is gone; a leftover file is only disk space
        log.warning("could not remove %s: %s", path, exc)


# -- one customer ----------------------------------------------------------------------------------------------
def messages_naming(db: Database, address: str) -> list[str]:
    """Stored messages whose headers name ``address`` (an ignored auto-reply, a quarantined message...)."""
    address = address.strip().lower()
    found = []
    parser = BytesHeaderParser(policy=policy.compat32)
    for row in db.query("select message_id, raw_path from inbound_messages where raw_path is not null "
                        "and raw_purged_at is null"):
        try:
            with open(row["raw_path"], "rb") as fh:
                head = fh.read(HEADER_BYTES)
        except OSError:
            continue
        if address.encode() not in head.lower():  # cheap test first; most files never get parsed
            continue
        message = parser.parsebytes(head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0])
        values = [str(v) for h in HEADERS for v in message.get_all(h, [])]
        if any(a.lower() == address for _, a in getaddresses(values)):
            found.append(row["message_id"])
    return found


def gather(db: Database, address: str) -> care.CustomerData:
    return care.gather_customer(db, address, messages_naming(db, address))


def export_customer(db: Database, settings: Settings, address: str, target: Path) -> care.CustomerData:
    """Write everything held about ``address`` to a zip: ``data.json`` (every row), ``raw/`` and ``attachments/``
    (every file their escalations refer to, including one another customer sent as well)."""
    data = gather(db, address)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        document = {"address": data.address, "rows": data.rows, "handoffs_mentioning": data.handoff_weeks,
                    "not_included": NOT_HELD_HERE}
        archive.writestr("data.json", json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True))
        for raw in data.raw_paths:
            if Path(raw).is_file():
                archive.write(raw, f"raw/{Path(raw).name}")
        for sha in data.referenced_shas:
            path = attachment_path(settings, sha)
            if path.is_file():
                archive.write(path, f"attachments/{sha}")
    return data


def erase_customer(db: Database, settings: Settings, address: str, now: datetime) -> care.CustomerData:
    """Delete everything held about ``address``: the rows in one transaction, then the files."""
    data = gather(db, address)
    if data.empty:
        return data
    care.erase_customer(db, data, iso(now))
    kept_raw = {r["raw_path"] for r in db.query("select raw_path from inbound_messages where raw_path is not null")}
    for raw in data.raw_paths:
        if raw not in kept_raw:
            _remove(Path(raw))
    for sha in data.attachment_shas:
        _remove(attachment_path(settings, sha))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the deleted rows leave the write-ahead log too
    return data


NOT_HELD_HERE = ("HubSpot tickets, contacts and notes and Linear issues, comments and customer requests are not "
                 "touched: erase them in HubSpot and Linear (their ids are listed under links). Backups made "
                 "before the erasure still hold the data until they are deleted.")


def external_records(data: care.CustomerData) -> list[str]:
    """The HubSpot and Linear records linked to the customer's escalations, left alone on purpose."""
    out = []
    for link in data.rows.get("links", []):
        if link.get("hubspot_ticket_id"):
            out.append(f"HubSpot ticket {link['hubspot_ticket_id']}")
        if link.get("hubspot_contact_id"):
            out.append(f"HubSpot contact {link['hubspot_contact_id']}")
        if link.get("linear_identifier") or link.get("linear_issue_id"):
            out.append(f"Linear issue {link.get('linear_identifier') or link['linear_issue_id']}")
    out.extend(f"HubSpot contact {c['contact_id']}" for c in data.rows.get("hubspot_contacts", []) if c["contact_id"])
    return sorted(set(out))
