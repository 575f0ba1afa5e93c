"""Linking: every escalation becomes one HubSpot ticket and one Linear issue, never twice and never lost.

Each escalation runs through a persisted journal of steps (``journal`` table; the steps are in
:mod:`core.link_steps`). A step is marked started and committed before its request goes out, and on a later attempt
it looks before it creates. The Linear issue is made before the ticket so the ticket is created once with the
write-back properties set inline. The contact is made (or found) by one upsert keyed on email, and one made just
now has no open tickets to search for: a new customer costs at most 5 HubSpot calls (contact, company, ticket with
its contact and company associated in the create, email log, link note), a known one 4 (the company is cached, the
open-tickets search replaces the contact call); Linear takes 4 with warm caches.

``sync_pending`` links several escalations at once on a few threads, each with its own database connection: one
escalation's Linear calls and database writes overlap another's wait for HubSpot's search lane, while each
escalation's own steps still run in order on one thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from core import context as cx
from core.errors import AppError, ConfigError, HubSpotRateLimited, LinearRateLimited, ValidationError
from core.file_steps import file_steps
from core.hubspot import HubSpotClient
from core.linear import LinearClient, LinearFeatureDisabled
from core.link_steps import (
    CUSTOMERS_OFF_KEY,
    MERGE_STEPS,
    STEPS,
    UNIQUE_PROPERTY,
    Run,
    Skip,
    Step,
    customers_switched_off,
    full_text_file,
    issue_id_for,
    pause,
    paused_until,
)
from core.longtext import fit_html
from core.once import create_once
from core.settings import Settings
from core.store import impacts, iso, open_db, set_state
from core.store import intake as intake_store
from core.store import links as store
from core.store.links import JournalEntry

__all__ = [
    "CUSTOMERS_OFF_KEY", "DEFAULT_WORKERS", "MERGE_STEPS", "STEPS", "UNIQUE_PROPERTY", "LinkResult", "SyncSummary",
    "attach_to_issue", "issue_id_for", "link_escalation", "link_followup", "paused_until", "sync_pending",
]

log = logging.getLogger("rotadesk.linking")
DEFAULT_WORKERS = 4  # enough to keep HubSpot's search lane busy; more only queue on it
Checkpoint = Callable[[str, str], None]


@dataclass(frozen=True)
class LinkResult:
    """How far one escalation (or follow-up) got: ``linked``, ``waiting`` or ``failed`` at ``step``."""

    escalation_id: int
    status: str
    step: str | None = None
    error: str | None = None
    stop: bool = False  # the connector itself is unwell: the rest of this pass should wait too
    issue_identifier: str | None = None
    ticket_id: str | None = None


@dataclass
class SyncSummary:
    """What one ``sync_pending`` pass did."""

    linked: int = 0
    followups: int = 0
    waiting: int = 0
    failed: int = 0
    deferred: int = 0
    stopped: str | None = None
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.linked or self.followups or self.waiting or self.failed or self.stopped)

    def __str__(self) -> str:
        counts = ((self.linked, "linked"), (self.followups, "follow-ups"), (self.waiting, "waiting"),
                  (self.failed, "failed"), (self.deferred, "deferred"))
        text = ", ".join(f"{n} {label}" for n, label in counts if n) or "nothing to link"
        return f"{text}; stopped: {self.stopped}" if self.stopped else text


# -- driving the journal ---------------------------------------------------------------------------------------------
def _drive(run: Run, steps: Iterable[Step], checkpoint: Checkpoint | None) -> LinkResult:
    eid = run.esc["id"]
    for name, service, step in steps:
        entry = run.entries.get(name)
        if entry is not None and entry.complete:
            continue
        until = paused_until(run.db, service, run.now) if service else None
        if until:
            return LinkResult(eid, "waiting", name, f"{service} paused until {until}")
        attempt = store.start_step(run.db, eid, name, run.now)
        if checkpoint:
            checkpoint(name, "before")
        status = "done"
        try:
            detail = step(run, attempt)
        except Skip as skip:
            detail, status = {"skipped": str(skip)}, "skipped"
        except LinearFeatureDisabled as exc:
            detail, status = customers_switched_off(run, exc), "skipped"
        except (HubSpotRateLimited, LinearRateLimited) as exc:
            store.fail_step(run.db, eid, name, str(exc), run.now)
            if isinstance(exc, LinearRateLimited) or exc.daily:
                pause(run.db, "linear" if isinstance(exc, LinearRateLimited) else "hubspot", exc.retry_after, run.now)
            return LinkResult(eid, "waiting", name, str(exc), stop=True)
        except AppError as exc:
            store.fail_step(run.db, eid, name, str(exc), run.now)
            log.warning("escalation %s: %s failed: %s", eid, name, exc)
            stop = isinstance(exc, ConfigError) or bool(getattr(exc, "retryable", False))
            return LinkResult(eid, "failed", name, str(exc), stop=stop)
        store.finish_step(run.db, eid, name, detail, run.now, status=status)
        run.entries[name] = JournalEntry(name, status, detail, attempt, iso(run.now))
        if checkpoint:
            checkpoint(name, "after")
    return LinkResult(eid, "linked", None, None, False, run.detail("linear_issue").get("identifier"),
                      run.detail("hubspot_ticket").get("id"))


def _run_for(db: Database, settings: Settings, hubspot: HubSpotClient, linear: LinearClient, escalation_id: int,
             now: datetime) -> Run:
    esc = intake_store.escalation(db, escalation_id)
    if esc is None:
        raise ValidationError(f"There is no escalation {escalation_id}.")
    return Run(db, settings, hubspot, linear, esc, now, store.journal(db, escalation_id))


def link_escalation(db: Database, settings: Settings, hubspot: HubSpotClient, linear: LinearClient,
                    escalation_id: int, *, now: datetime, checkpoint: Checkpoint | None = None) -> LinkResult:
    """Run (or resume) the linking of one escalation; ``checkpoint(step, "before"|"after")`` is a test seam."""
    run = _run_for(db, settings, hubspot, linear, escalation_id, now)
    issue = run.detail("linear_issue")
    attached, moved = bool(issue.get("attached")), bool(issue.get("moved_from"))
    steps = [s for s in STEPS if (s[0] != "linear_comment" or attached) and (s[0] not in MERGE_STEPS or moved)]
    steps[-1:-1] = file_steps(run)  # the customer's files, before ``done``
    result = _drive(run, steps, checkpoint)
    if result.status == "linked":  # the issue counts one more customer and ticket (or fewer, moved off one)
        impacts.refresh(db, [run.detail("linear_issue").get("id"), issue.get("moved_from")])
    return result


def attach_to_issue(db: Database, settings: Settings, hubspot: HubSpotClient, linear: LinearClient,
                    escalation_id: int, linear_issue_id: str, *, now: datetime,
                    checkpoint: Checkpoint | None = None) -> LinkResult:
    """Link an escalation to an existing Linear issue (a second customer reporting it): new ticket, need, comment."""
    run = _run_for(db, settings, hubspot, linear, escalation_id, now)
    issue = linear.get_issue(linear_issue_id)
    current = run.entries.get("linear_issue")
    if current is not None and current.complete:
        if run.detail("linear_issue").get("id") != issue.id:
            linked_to = run.detail("linear_issue").get("identifier")
            raise ValidationError(f"Escalation {escalation_id} is already linked to {linked_to}.")
    elif current is not None and linear.find_issue(issue_id_for(run.esc["message_id"])) is not None:
        raise ValidationError(f"Escalation {escalation_id} already has an issue of its own; "
                              "it cannot be attached elsewhere.")
    else:
        detail = {"id": issue.id, "identifier": issue.identifier, "url": issue.url, "title": issue.title,
                  "state": issue.state_name, "attached": True}
        store.finish_step(db, escalation_id, "linear_issue", detail, now)
        store.save_link(db, escalation_id, {"linear_issue_id": issue.id, "linear_identifier": issue.identifier,
                                            "linear_url": issue.url, "linear_state": issue.state_name,
                                            "linear_state_type": issue.state_type}, now)
    return link_escalation(db, settings, hubspot, linear, escalation_id, now=now, checkpoint=checkpoint)


def link_followup(db: Database, settings: Settings, hubspot: HubSpotClient, linear: LinearClient, message_id: str, *,
                  now: datetime, checkpoint: Checkpoint | None = None) -> LinkResult:
    """Add a follow-up in a known thread to the linked issue (comment) and ticket (note)."""
    rows = list(db.query("select * from followups where message_id = ?", [message_id]))
    if not rows:
        raise ValidationError(f"There is no follow-up {message_id}.")
    followup = rows[0]
    run = _run_for(db, settings, hubspot, linear, followup["escalation_id"], now)
    issue, ticket = run.detail("linear_issue"), run.detail("hubspot_ticket")
    if not issue.get("id") or not ticket.get("id"):
        return LinkResult(run.esc["id"], "waiting", None, "the escalation is not linked yet")
    ref = cx.ref_for(message_id)

    def comment(run: Run, attempt: int) -> dict[str, Any]:
        prefix = f"{cx.FOLLOWUP_PREFIX} (ref {ref})"
        found = linear.latest_comment_starting_with(issue["id"], prefix) if attempt > 1 else None
        return {"id": (found or linear.create_comment(issue["id"], cx.followup_comment(ref, followup))).id}

    def note(run: Run, attempt: int) -> dict[str, Any]:
        if attempt > 1 and hubspot.find_note(ticket["id"], f"Rotadesk ref: {ref}"):
            return {"found": True}
        head, text, tail = cx.followup_note_parts(ref, followup, issue["identifier"], issue["url"])
        name = f"followup-{ref}.txt"
        fitted = fit_html(head, text, tail, where=f"The full message is attached as {name}.")
        files = [full_text_file(run, name, text, attempt).id] if fitted.cut else []
        note = create_once(lambda: hubspot.create_note(ticket["id"], fitted.text, timestamp=now, attachment_ids=files),
                           lambda: hubspot.find_note(ticket["id"], f"Rotadesk ref: {ref}"))
        return {"id": note.id}

    steps: list[Step] = [(f"followup:{ref}:comment", "linear", comment), (f"followup:{ref}:note", "hubspot", note)]
    return _drive(run, steps, checkpoint)


def _backing_off(db: Database, escalation_id: int, now: datetime) -> bool:
    """A step that failed waits 1, 2, 4... minutes (at most an hour) before it is tried again."""
    for entry in store.journal(db, escalation_id).values():
        if entry.status == "failed":
            delay = timedelta(minutes=min(60, 2 ** max(0, entry.attempts - 1)))
            if datetime.fromisoformat(entry.at) + delay > now:
                return True
    return False


# -- one pass over everything pending --------------------------------------------------------------------------------
@dataclass
class _Pass:
    """The shared state of one ``sync_pending`` pass: the summary, progress and the stop flag, under one lock."""

    summary: SyncSummary
    total: int
    progress: Callable[[int, int], None] | None
    done: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, result: LinkResult | None) -> None:
        with self.lock:
            if result is None:
                self.summary.deferred += 1
            else:
                _tally(self.summary, kind, result)
                if result.stop:
                    self.summary.stopped = self.summary.stopped or result.error
                    self.stop.set()
            self.done += 1
            if self.progress:
                self.progress(self.done, self.total)


class _Connections:
    """One SQLite connection per linking thread, so no two threads ever share one; closed together at the end."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._opened: list[Database] = []
        self._lock = threading.Lock()

    def get(self) -> Database:
        conn = getattr(self._local, "db", None)
        if conn is None:
            conn = self._local.db = open_db(self.path, shared=True)  # shared: closed from the calling thread
            with self._lock:
                self._opened.append(conn)
        return conn

    def close(self) -> None:
        for conn in self._opened:
            conn.close()


def _file_of(db: Database) -> str | None:
    """The file behind ``db``'s main database, or None for an in-memory one (which threads cannot share)."""
    for row in db.execute("pragma database_list").fetchall():
        if row[1] == "main":
            return row[2] or None
    return None


def sync_pending(db: Database, settings: Settings, hubspot: HubSpotClient | None, linear: LinearClient | None, *,
                 now: datetime, progress: Callable[[int, int], None] | None = None,
                 checkpoint: Checkpoint | None = None, workers: int = DEFAULT_WORKERS) -> SyncSummary:
    """Link every escalation and follow-up not linked yet (the backlog too); ``progress(done, total)`` after each.

    Up to ``workers`` escalations are linked at once, each on its own thread with its own database connection;
    the clients pace their lanes across threads. Follow-ups run afterwards, on the calling thread.
    """
    summary = SyncSummary()
    if settings.local_only or hubspot is None or linear is None:
        return summary
    escalations = store.pending_escalation_ids(db)
    followups = [f["message_id"] for f in store.pending_followups(db) if not _followup_noted(db, f)]
    state = _Pass(summary, len(escalations) + len(followups), progress)

    def escalation(conn: Database, eid: int) -> None:
        if state.stop.is_set():
            return
        deferred = _backing_off(conn, eid, now)
        state.record("escalation", None if deferred else link_escalation(
            conn, settings, hubspot, linear, eid, now=now, checkpoint=checkpoint))

    path = _file_of(db) if workers > 1 and len(escalations) > 1 else None
    if path is None:
        for eid in escalations:
            escalation(db, eid)
    else:
        connections = _Connections(path)
        try:
            with ThreadPoolExecutor(workers, thread_name_prefix="linking") as pool:
                for future in [pool.submit(lambda e=eid: escalation(connections.get(), e)) for eid in escalations]:
                    future.result()  # an unexpected error surfaces here, as it would without threads
        finally:
            connections.close()
    for message_id in followups:  # after their escalations
        if not state.stop.is_set():
            state.record("followup", link_followup(db, settings, hubspot, linear, message_id, now=now,
                                                   checkpoint=checkpoint))
    set_state(db, "linking.last_sync", iso(now))
    set_state(db, "linking.last_summary", str(summary))
    return summary


def _followup_noted(db: Database, followup: dict[str, Any]) -> bool:
    entry = store.journal(db, followup["escalation_id"]).get(f"followup:{cx.ref_for(followup['message_id'])}:note")
    return entry is not None and entry.complete


def _tally(summary: SyncSummary, kind: str, result: LinkResult) -> None:
    if result.status == "linked":
        if kind == "escalation":
            summary.linked += 1
        else:
            summary.followups += 1
    elif result.status == "waiting":
        summary.waiting += 1
    else:
        summary.failed += 1
        summary.errors.append(f"escalation {result.escalation_id}: {result.error}")
