"""What a person decides on the Intake page beyond Accept and Discard: reading a message waiting for review before
deciding, and taking in a message the auto-reply or bounce filter ignored by mistake."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from core import intake
from core.errors import IngestError
from core.settings import Settings
from core.store import intake as store
from core.store import iso
from ingest import pipeline
from ingest.budget import OverBudget
from ingest.customer import display_name

log = logging.getLogger("rotadesk.ingest")
MAX_SHOWN_CHARS = 20_000  # of a message shown for review; the rest is in the raw download


def _parsed(db: Database, settings: Settings, message_id: str):
    row = store.inbound(db, message_id)
    if row is None:
        raise LookupError(f"no message {message_id!r}")
    if (row.get("size") or 0) > settings.max_message_bytes:
        raise IngestError(f"{message_id} is over the {settings.max_message_mb:g} MB limit; download it to read it")
    try:
        raw = Path(row["raw_path"]).read_bytes()
        return row, replace(pipeline.parse_bounded(settings, raw, row["raw_path"]), message_id=message_id)
    except OSError as exc:
        raise IngestError(f"the raw file of {message_id} cannot be read: {exc}") from None
    except OverBudget as exc:
        raise IngestError(f"{message_id} could not be read: {exc}") from None


def message_text(db: Database, settings: Settings, message_id: str) -> str:
    """The stored message as plain text for a reviewer: who wrote it, the forwarder's note and the body.

    Only text comes out (HTML is rendered to text by the parser); the page shows it as text, never as markup.
    """
    _, parsed = _parsed(db, settings, message_id)
    lines = []
    if parsed.forwarded and parsed.forwarded_by:
        lines.append(f"Forwarded by {display_name(parsed.forwarded_by)}")
    if parsed.customer:
        lines.append(f"Customer: {display_name(parsed.customer)}")
    if parsed.note:
        lines += ["", "Note:", parsed.note]
    lines += ["", parsed.body or "(no text)"]
    if parsed.attachments:
        lines += ["", "Attachments: " + ", ".join(a.filename for a in parsed.attachments)]
    text = "\n".join(lines).strip()
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "\n[… cut here; download it for the rest]"


def take_in_ignored(db: Database, settings: Settings, message_id: str, *, by: str, now: datetime):
    """A person says an ignored message (taken for an auto-reply or a bounce) is a real one: it becomes an
    escalation, or the follow-up of the escalation it replies to. Returns the :class:`pipeline.Outcome`.

    Only an ignored message can be taken in, so a second click changes nothing.
    """
    row, parsed = _parsed(db, settings, message_id)
    if row["status"] != "ignored":
        raise IngestError(f"{message_id} is {row['status']}, not ignored")
    stamp = iso(now)
    thread = intake.thread_ids(message_id, parsed.in_reply_to, parsed.references)
    parsed = replace(parsed, kind="report", kind_reason=None)
    try:
        with db.atomic():
            parent = store.escalation_for_thread(db, thread[1:])
            if parent is not None:
                outcome = pipeline._add_followup(db, parsed, parent, stamp)
            else:
                escalation_id = pipeline.create_escalation(db, settings, parsed, thread, stamp)
                outcome = pipeline.Outcome("escalation", message_id, escalation_id)
            store.set_inbound_status(db, message_id, outcome.status, stamp, escalation_id=outcome.escalation_id,
                                     reason=f"taken in by {by} (ignored as: {row['reason'] or 'unknown'})")
    except Exception as exc:
        log.exception("could not take in message %s", message_id)
        raise IngestError(f"could not take in {message_id}: {exc}") from None
    return outcome
