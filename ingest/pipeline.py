"""The intake pipeline: raw bytes in, exactly one outcome out.

Order matters for "nothing is lost": the raw bytes are written to disk and recorded before parsing, so any later
failure can be replayed (``python -m ingest replay``). Every step is keyed on the message's identity (its
Message-ID when well-formed, else the hash of its bytes), so a replay or a second delivery changes nothing.
Reading one message is bounded by ``ROTADESK_PARSE_BUDGET_SECONDS`` (see :mod:`ingest.budget`).
"""

from __future__ import annotations

import email
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from email import policy
from pathlib import Path

from sqlite_utils import Database

from core import intake
from core.errors import IngestError
from core.report import Report, note_for, to_message, validate
from core.settings import Settings
from core.store import inbound, iso
from core.store import intake as store
from core.store import playbook as playbook_store
from ingest.budget import OverBudget, bounded

log = logging.getLogger("rotadesk.ingest")
UNFINISHED = inbound.UNFINISHED
REPORT_SOURCE = "report"  # entered by a person on the dashboard or with `python -m ingest report`


@dataclass(frozen=True)
class Outcome:
    """What became of one message: escalation, followup, ignored, quarantined, duplicate or failed."""

    status: str
    message_id: str
    escalation_id: int | None = None
    reason: str | None = None


def ingest_raw(db: Database, settings: Settings, raw: bytes, *, source: str, folder: str | None = None,
               uid: int | None = None, now: datetime) -> Outcome:
    """Store, parse, classify and record one message. Never raises for bad input, and never takes much longer
    than ``settings.parse_budget_seconds``: a message over it is recorded as failed, its raw bytes kept."""
    stamp = iso(now)
    sha, path = store.store_blob(settings.raw_dir, raw, ".eml")
    seen = store.inbound_by_sha(db, sha)
    if seen and seen["status"] not in UNFINISHED:
        return Outcome("duplicate", seen["message_id"], seen["escalation_id"], "same bytes seen before")
    # Recorded under its content hash until the parser has read its Message-ID.
    pending_id = seen["message_id"] if seen else f"sha256:{sha}"
    oversize = len(raw) > settings.max_message_bytes
    with db.atomic():  # committed before the work, so a message that kills the worker still counts a run
        _record(db, pending_id, sha, path, raw, source, folder, uid, stamp)
        if not oversize:
            inbound.begin_attempt(db, pending_id)
    if oversize:
        return _quarantine(db, pending_id, f"oversize: {len(raw) / 1048576:.1f} MB is over the "
                           f"{settings.max_message_mb:g} MB limit", None, None, stamp)
    try:
        return _process(db, settings, raw, sha, path, pending_id, stamp)
    except OverBudget as exc:  # a BaseException, so the parser's fallbacks never swallow it
        log.warning("message %s is over the time budget; recorded as failed, intake moves on", sha[:12])
        return _fail(db, sha, pending_id, str(exc), stamp)
    except Exception as exc:  # one bad message must never block the ones after it
        log.exception("could not process message %s", sha[:12])
        return _fail(db, sha, pending_id, f"{type(exc).__name__}: {exc}", stamp)


def _fail(db: Database, sha: str, pending_id: str, reason: str, stamp: str) -> Outcome:
    current = store.inbound_by_sha(db, sha)
    message_id = current["message_id"] if current else pending_id
    store.set_inbound_status(db, message_id, "failed", stamp, reason=reason)
    return Outcome("failed", message_id, reason=reason)


def parse_bounded(settings: Settings, raw: bytes, raw_path: Path | str):
    """Parse ``raw`` within the per-message time budget (:class:`OverBudget` when it is not done in time)."""
    from ingest.parse import parse

    with bounded(raw_path, settings.parse_budget_seconds):
        return parse(raw, settings.company_domains, max_attachment_bytes=settings.max_attachment_bytes)


def _process(db: Database, settings: Settings, raw: bytes, sha: str, path: Path, pending_id: str,
             stamp: str) -> Outcome:
    parsed = parse_bounded(settings, raw, path)
    # Everything the message changes, its identity included, is one transaction. When that fails, the identity
    # alone is kept, so what is left is the raw record under its Message-ID, marked failed by the caller.
    try:
        with db.atomic():
            identified = _identify(db, parsed, pending_id, stamp)
            if isinstance(identified, Outcome):
                return identified
            return _apply(db, settings, identified, stamp)
    except Exception:
        with db.atomic():
            _identify(db, parsed, pending_id, stamp)
        raise


def _identify(db: Database, parsed, pending_id: str, stamp: str):
    """The record's id from here on: its Message-ID when it may have it, else its content hash. Returns the parse
    under that id, or the :class:`Outcome` of a duplicate."""
    sender = parsed.sender.address if parsed.sender else None
    message_id = parsed.message_id
    if message_id != pending_id:
        previous = store.inbound(db, message_id)
        same = previous is not None and _same_sender(previous, sender)
        if same and previous["status"] in UNFINISHED:
            # An earlier copy that never finished: this one carries the id on; that one is kept under its hash.
            store.rename_inbound(db, message_id, f"sha256:{previous['sha256']}")
            store.set_inbound_status(db, f"sha256:{previous['sha256']}", "duplicate", stamp,
                                     reason=f"superseded by a later copy of {message_id}")
            previous = None
        if previous is None:
            store.rename_inbound(db, pending_id, message_id)
        elif same:
            # The same message again by another route (other bytes, same id and sender): kept, never deleted.
            store.set_inbound_status(db, pending_id, "duplicate", stamp, reason="Message-ID seen before from the "
                                     "same sender", escalation_id=previous["escalation_id"])
            return Outcome("duplicate", message_id, previous["escalation_id"], "Message-ID seen before")
        else:  # another message claims that id: it keeps the id from its own bytes, so neither is lost
            message_id = pending_id
            parsed = replace(parsed, message_id=pending_id)
    inbound.set_sender(db, message_id, sender)
    return parsed


def _apply(db: Database, settings: Settings, parsed, stamp: str) -> Outcome:
    message_id = parsed.message_id
    sender = parsed.sender.address if parsed.sender else None
    thread = intake.thread_ids(message_id, parsed.in_reply_to, parsed.references)
    parent = store.escalation_for_thread(db, thread[1:])
    customer_domain = intake.domain_of(sender)
    known = store.customer_for_domain(db, customer_domain) is not None
    if parent is not None and parsed.kind == "report":
        decision = intake.decide_followup(parsed, settings.company_domains, known_customer=known,
                                          trust_customer_dkim=settings.trust_customer_dkim)
        if decision.action == "quarantine":
            return _quarantine(db, message_id, f"{decision.reason} (a follow-up of escalation #{parent})",
                               parsed.sender, parsed.subject, stamp, escalation_id=parent)
        return _add_followup(db, parsed, parent, stamp)

    decision = intake.decide(parsed, settings.company_domains, known_customer=known,
                             trust_customer_dkim=settings.trust_customer_dkim)
    if decision.action == "ignore":
        store.set_inbound_status(db, message_id, "ignored", stamp, reason=decision.reason)
        return Outcome("ignored", message_id, reason=decision.reason)
    if decision.action == "quarantine":
        return _quarantine(db, message_id, decision.reason, parsed.sender, parsed.subject, stamp)
    escalation_id = create_escalation(db, settings, parsed, thread, stamp)
    store.set_inbound_status(db, message_id, "escalation", stamp, escalation_id=escalation_id)
    return Outcome("escalation", message_id, escalation_id)


def _add_followup(db: Database, parsed, parent: int, stamp: str) -> Outcome:
    sender = parsed.sender.address if parsed.sender else None
    store.add_followup(db, {"message_id": parsed.message_id, "escalation_id": parent, "sender": sender,
                            "body": parsed.body, "received_at": stamp})
    store.set_inbound_status(db, parsed.message_id, "followup", stamp, escalation_id=parent)
    return Outcome("followup", parsed.message_id, parent)


def _same_sender(previous: dict, sender: str | None) -> bool:
    """Was ``previous`` sent by ``sender``? Records from before senders were kept are read from their raw file."""
    known = previous.get("sender")
    if known is None and previous.get("raw_path"):
        try:
            from ingest.parse import _address

            with open(previous["raw_path"], "rb") as fh:
                head = fh.read(256 * 1024).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
            found = _address(email.message_from_bytes(head, policy=policy.default), "From")
            known = found.address if found else None
        except OSError:
            known = None
    return bool(sender) and bool(known) and known.lower() == sender.lower()


def create_escalation(db: Database, settings: Settings, parsed, thread: list[str], stamp: str) -> int:
    """Turn a parsed report into an escalation, storing its attachments by content."""
    customer = parsed.customer or parsed.sender
    domain = intake.domain_of(customer.address if customer else None)
    known = store.customer_for_domain(db, domain)
    attachments = []
    for a in parsed.attachments:
        stored = _store_attachment(settings, a)
        store.record_attachment(db, {"sha256": a.sha256, "size": a.size, "content_type": a.content_type,
                                     "stored": int(stored)})
        attachments.append({"filename": a.filename, "content_type": a.content_type, "size": a.size,
                            "sha256": a.sha256, "stored": stored})
    row = {
        "message_id": parsed.message_id,
        "thread_key": thread[-1] if len(thread) > 1 else parsed.message_id,
        "customer_name": customer.name if customer else None,
        "customer_address": customer.address if customer else None,
        "customer_domain": domain or None,
        "company": known.company if known else None,
        "tier": known.tier if known else None,
        "subject": parsed.subject,
        "body": parsed.body,
        "note": parsed.note,
        "forwarded": int(parsed.forwarded),
        "forwarded_by_name": parsed.forwarded_by.name if parsed.forwarded_by else None,
        "forwarded_by_address": parsed.forwarded_by.address if parsed.forwarded_by else None,
        "original_date": parsed.date,
        "received_at": stamp,
        "attachments": attachments,
        "status": "open",
        "updated_at": stamp,
    }
    row |= playbook_store.route(db, row)  # the rule that fired, the support tier and the routing
    return store.create_escalation(db, row, thread)


def _store_attachment(settings: Settings, attachment) -> bool:
    """Keep an attachment's bytes by content; big ones are streamed from the raw message. False if over the cap."""
    if attachment.data is not None:
        store.store_blob(settings.attachments_dir, attachment.data)
    elif attachment.body is not None:
        store.store_blob_chunks(settings.attachments_dir, attachment.chunks(), sha256=attachment.sha256)
    else:
        return False
    return True


def ingest_report(db: Database, settings: Settings, report: Report, *, now: datetime) -> Outcome:
    """File a report entered by a person (Slack, a call): kept like mail, then an escalation, without review.

    The person entering it vouches for it, as a reviewer does when accepting a message from the quarantine.
    """
    report = validate(report)
    stamp = iso(now)
    previous = store.inbound(db, report.message_id)
    if previous and previous["status"] not in ("new", "failed"):
        return Outcome("duplicate", report.message_id, previous["escalation_id"], "the same report was filed before")
    raw = to_message(report, now)
    sha, path = store.store_blob(settings.raw_dir, raw, ".eml")
    _record(db, report.message_id, sha, path, raw, REPORT_SOURCE, None, None, stamp)
    try:
        return _process_report(db, settings, raw, stamp)
    except Exception as exc:
        log.exception("could not file report %s", report.message_id)
        store.set_inbound_status(db, report.message_id, "failed", stamp, reason=f"{type(exc).__name__}: {exc}")
        raise IngestError(f"The report is saved but could not be filed ({exc}); "
                          "`python -m ingest replay` files it again.") from exc


def _process_report(db: Database, settings: Settings, raw: bytes, stamp: str) -> Outcome:
    from ingest.parse import Address, header_text, parse, parse_address_list

    parsed = parse(raw, settings.company_domains, max_attachment_bytes=settings.max_attachment_bytes)
    message = email.message_from_bytes(raw, policy=policy.default)
    reporter = next(iter(parse_address_list(header_text(message, "X-Rotadesk-Reported-By"))), None) or \
        Address(header_text(message, "X-Rotadesk-Reported-By"), "")
    note = note_for(header_text(message, "X-Rotadesk-Source"), reporter.name or reporter.address,
                    header_text(message, "X-Rotadesk-Link"))
    parsed = replace(parsed, forwarded=True, forwarded_by=reporter, customer=parsed.sender, note=note)
    escalation_id = create_escalation(db, settings, parsed, [parsed.message_id], stamp)
    store.set_inbound_status(db, parsed.message_id, "escalation", stamp, escalation_id=escalation_id)
    return Outcome("escalation", parsed.message_id, escalation_id)


def _record(db: Database, message_id: str, sha: str, path: Path, raw: bytes, source: str, folder: str | None,
            uid: int | None, stamp: str) -> None:
    store.record_inbound_once(db, {
        "message_id": message_id, "source": source, "raw_path": str(path), "sha256": sha, "size": len(raw),
        "folder": folder, "uid": uid, "received_at": stamp, "status": "new", "updated_at": stamp,
    })


def _quarantine(db: Database, message_id: str, reason: str | None, sender, subject: str | None,
                stamp: str, *, escalation_id: int | None = None) -> Outcome:
    store.quarantine(db, {"message_id": message_id, "reason": reason, "escalation_id": escalation_id,
                          "sender": sender.address if sender else None, "subject": subject, "received_at": stamp})
    store.set_inbound_status(db, message_id, "quarantined", stamp, reason=reason)
    return Outcome("quarantined", message_id, reason=reason)


def accept_quarantined(db: Database, settings: Settings, message_id: str, *, by: str, now: datetime) -> int:
    """A reviewer vouches for a quarantined message: it becomes an escalation under its own sender if need be,
    or, when it replied to an escalation, that escalation's follow-up. Returns the escalation's id.

    Any failure is an :class:`IngestError` saying what went wrong; nothing is changed then.
    """
    row = store.inbound(db, message_id)
    if row is None:
        raise LookupError(f"no message {message_id!r}")
    waiting = next((q for q in db.query("select escalation_id from quarantine where message_id = ?", [message_id])),
                   {})
    try:
        raw = Path(row["raw_path"]).read_bytes()
        parsed = replace(parse_bounded(settings, raw, row["raw_path"]), message_id=message_id)
        stamp = iso(now)
        if waiting.get("escalation_id") is not None:
            _add_followup(db, parsed, int(waiting["escalation_id"]), stamp)
            escalation_id = int(waiting["escalation_id"])
        else:
            escalation_id = create_escalation(
                db, settings, parsed, intake.thread_ids(message_id, parsed.in_reply_to, parsed.references), stamp)
            store.set_inbound_status(db, message_id, "escalation", stamp, escalation_id=escalation_id)
    except (OverBudget, Exception) as exc:
        log.exception("could not accept message %s", message_id)
        raise IngestError(f"could not accept {message_id}: {exc}") from None
    store.decide_quarantine(db, message_id, "accepted", by, stamp)
    return escalation_id


def discard_quarantined(db: Database, message_id: str, *, by: str, now: datetime) -> None:
    stamp = iso(now)
    store.decide_quarantine(db, message_id, "discarded", by, stamp)
    store.set_inbound_status(db, message_id, "discarded", stamp, reason=f"discarded by {by}")


def replay(db: Database, settings: Settings, *, now: datetime) -> list[Outcome]:
    """Process again every stored message whose processing never finished or failed.

    Never-finished ones go first, failed ones last; each gets at most ``settings.replay_max_attempts`` runs, then
    waits on the Intake page for a person (retry or download the raw message).
    """
    outcomes = []
    for row in inbound.to_replay(db, settings.replay_max_attempts):
        outcomes.append(_replay_one(db, settings, row, now))
    for row in inbound.given_up(db, settings.replay_max_attempts):
        if row["status"] == "new":  # it stopped the worker each time it ran: say so where a person looks
            store.set_inbound_status(db, row["message_id"], "failed", iso(now),
                                     reason=f"processing never finished in {row['attempts']} attempts")
    return outcomes


def _replay_one(db: Database, settings: Settings, row: dict, now: datetime) -> Outcome:
    try:
        raw = Path(row["raw_path"]).read_bytes()
    except OSError as exc:
        inbound.begin_attempt(db, row["message_id"])
        store.set_inbound_status(db, row["message_id"], "failed", iso(now), reason=f"raw message unreadable: {exc}")
        return Outcome("failed", row["message_id"], reason=str(exc))
    if row["source"] == REPORT_SOURCE:
        inbound.begin_attempt(db, row["message_id"])
        try:
            return _process_report(db, settings, raw, iso(now))
        except Exception as exc:  # one report must never stop the rest of the replay
            log.exception("could not file report %s", row["message_id"])
            return _fail(db, row["sha256"], row["message_id"], f"{type(exc).__name__}: {exc}", iso(now))
    return ingest_raw(db, settings, raw, source=row["source"], folder=row["folder"], uid=row["uid"], now=now)


def retry(db: Database, settings: Settings, message_id: str, *, now: datetime) -> Outcome:
    """A person retries one failed message: its attempts start again from this run."""
    row = store.inbound(db, message_id)
    if row is None:
        raise LookupError(f"no message {message_id!r}")
    if row["status"] not in UNFINISHED:
        raise IngestError(f"{message_id} is {row['status']}, not failed")
    inbound.reset_attempts(db, message_id)
    return _replay_one(db, settings, row, now)


def raw_message(db: Database, message_id: str) -> bytes:
    """The raw bytes of one stored message, for download."""
    row = store.inbound(db, message_id)
    if row is None:
        raise LookupError(f"no message {message_id!r}")
    try:
        return Path(row["raw_path"]).read_bytes()
    except OSError as exc:
        raise IngestError(f"the raw file of {message_id} cannot be read: {exc}") from exc
