"""Linking: every escalation becomes one HubSpot ticket and one Linear issue, never twice and never lost.

Each escalation runs through a persisted journal of steps (``journal`` table). A step is marked started and
committed before its request goes out; on a later attempt it looks before it creates: the Linear issue has an id
derived from the escalation's Message-ID, the ticket carries the unique ``rotadesk_message_id`` property (read
back with ``GET ?idProperty=``), attachments are one per URL, and notes, emails, comments and customer needs carry
a reference a retry can find. The Linear issue is made before the ticket so the ticket is created once with the
write-back properties set inline: a warm escalation costs 5 HubSpot and 4 Linear calls.
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any

from sqlite_utils import Database

from core import context as cx
from core.context import CustomerContext
from core.errors import AppError, ConfigError, HubSpotError, HubSpotRateLimited, LinearError, LinearRateLimited, ValidationError
from core.hubspot import HubSpotClient, ticket_url
from core.linear import LinearClient, LinearFeatureDisabled
from core.settings import Settings, env_name
from core.store import get_state, iso, open_db, set_state
from core.store import intake as intake_store
from core.store import links as store
from core.store.links import JournalEntry

log = logging.getLogger("rotadesk.linking")
ISSUE_NAMESPACE = uuid.UUID("6f0f7a52-3c1e-5b8e-9a49-0d6c2f1e7b31")
UNIQUE_PROPERTY = "rotadesk_message_id"
CUSTOMERS_OFF_KEY = "linear.customers_disabled_at"
CUSTOMERS_RECHECK = timedelta(hours=24)
Checkpoint = Callable[[str, str], None]
_warned: set[str] = set()
_labels_lock = threading.Lock()


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
        parts = [f"{n} {label}" for n, label in ((self.linked, "linked"), (self.followups, "follow-ups"),
                 (self.waiting, "waiting"), (self.failed, "failed"), (self.deferred, "deferred")) if n]
        text = ", ".join(parts) or "nothing to link"
        return f"{text}; stopped: {self.stopped}" if self.stopped else text


class _Skip(Exception):
    """A step that does not apply to this escalation."""


@dataclass
class _Run:
    db: Database
    settings: Settings
    hubspot: HubSpotClient
    linear: LinearClient
    esc: dict[str, Any]
    now: datetime
    entries: dict[str, JournalEntry]

    def detail(self, step: str) -> dict[str, Any]:
        entry = self.entries.get(step)
        return entry.detail if entry and isinstance(entry.detail, dict) else {}

    @property
    def ctx(self) -> CustomerContext:
        return CustomerContext.from_json(self.detail("hubspot_context"))

    @property
    def ref(self) -> str:
        return cx.ref_for(self.esc["message_id"])


def issue_id_for(message_id: str) -> str:
    """The Linear issue id of an escalation: uuid5 of its Message-ID, stamped as v4 since Linear asks for v4."""
    return str(uuid.UUID(bytes=uuid.uuid5(ISSUE_NAMESPACE, message_id).bytes, version=4))


# -- the steps -----------------------------------------------------------------------------------------------------
def _hubspot_context(run: _Run, attempt: int) -> dict[str, Any]:
    """Contact, company, tier, owner and the contact's other open tickets."""
    hub, esc = run.hubspot, run.esc
    email, domain = (esc.get("customer_address") or "").lower() or None, esc.get("customer_domain")
    local = intake_store.customer_for_domain(run.db, domain)
    contact_id = _contact_id(run, email) if email else None
    company = _company(run, domain) if domain else None
    portal = hub.portal_id()
    tickets = hub.open_tickets_for_contact(contact_id) if contact_id else []
    ctx = CustomerContext(
        portal_id=portal, contact_id=contact_id, contact_name=esc.get("customer_name"), contact_email=email,
        company_id=(company or {}).get("company_id"), company=(company or {}).get("name") or (local and local.company) or esc.get("company"),
        domain=domain, tier=(company or {}).get("tier") or (local and local.tier) or esc.get("tier"),
        revenue=(company or {}).get("revenue") or (local and local.revenue) or None, size=local.size if local else None,
        owner=(company or {}).get("owner") or (local and local.owner) or None, other_tickets=cx.other_tickets(tickets, portal),
    )
    return ctx.to_json()


def _contact_id(run: _Run, email: str) -> str | None:
    cached = store.cached_contact(run.db, email, run.now)
    if cached:
        return cached
    contact = run.hubspot.find_contact_by_email(email)
    if contact is None and run.settings.hubspot_create_contacts:
        first, _, last = (run.esc.get("customer_name") or "").partition(" ")
        contact = run.hubspot.create_contact(email, first, last)
    if contact is None:
        return None
    store.remember_contact(run.db, email, contact.id, run.now)
    return contact.id


def _company(run: _Run, domain: str) -> dict[str, Any] | None:
    cached = store.cached_company(run.db, domain, run.now)
    if cached is not None:
        return cached if cached["company_id"] else None
    s = run.settings
    found = run.hubspot.find_company_by_domain(domain, s.hubspot_tier_property, s.hubspot_revenue_property)
    data = None if found is None else {"company_id": found.id, "name": found.name, "tier": found.tier, "revenue": found.revenue,
                                       "owner": _owner_name(run.hubspot, getattr(found, "owner_id", None))}
    store.remember_company(run.db, domain, data, run.now)
    return data


def _owner_name(hub: HubSpotClient, owner_id: str | None) -> str | None:
    for owner in hub.owners() if owner_id else []:
        if owner.id == str(owner_id):
            return " ".join(p for p in (owner.first_name, owner.last_name) if p) or owner.email
    return None


def _linear_issue(run: _Run, attempt: int) -> dict[str, Any]:
    s, lin, ctx = run.settings, run.linear, run.ctx
    if not s.linear_team:
        raise ConfigError(env_name("linear_team"), "is needed to create Linear issues")
    issue_id = issue_id_for(run.esc["message_id"])
    issue = lin.find_issue(issue_id) if attempt > 1 else None  # an earlier attempt may have landed
    if issue is None:
        team = lin.team_by_key(s.linear_team)
        state = lin.state_by_name(team.id, s.linear_state)
        labels = [_label_id(lin, team.id, name) for name in (cx.CUSTOMER_LABEL, cx.tier_label(ctx.tier)) if name]
        issue = lin.create_issue(team.id, cx.issue_title(run.esc, ctx), cx.issue_description(run.esc, ctx),
                                 cx.issue_priority(ctx.tier), labels, state.id, _on_support(run), issue_id)
    store.save_link(run.db, run.esc["id"], {"linear_issue_id": issue.id, "linear_identifier": issue.identifier,
                                            "linear_url": issue.url, "linear_state": issue.state_name,
                                            "linear_state_type": issue.state_type}, run.now)
    return {"id": issue.id, "identifier": issue.identifier, "url": issue.url, "title": issue.title, "state": issue.state_name}


def _label_id(lin: LinearClient, team_id: str, name: str) -> str:
    """The label's id, created when missing; someone else creating it meanwhile is fine."""
    with _labels_lock:  # the client's label cache is shared by the linking threads
        try:
            return lin.ensure_label(team_id, name).id
        except LinearError as exc:
            if exc.retryable:
                raise
            lin._labels.pop(team_id, None)  # the cached list is stale: read it again
            return lin.ensure_label(team_id, name).id


def _on_support(run: _Run) -> str | None:
    """The Linear user id of the engineer on support this week, when a rotation exists."""
    try:
        from core.store.rotation import current_engineer_email
    except ImportError:
        return None
    email = current_engineer_email(run.db, run.settings, run.now)
    user = run.linear.user_by_email(email) if email else None
    return user.id if user and user.active else None


def _hubspot_ticket(run: _Run, attempt: int) -> dict[str, Any]:
    s, hub, ctx, issue, mid = run.settings, run.hubspot, run.ctx, run.detail("linear_issue"), run.esc["message_id"]
    ticket = hub.get_ticket_by_unique(UNIQUE_PROPERTY, mid) if attempt > 1 else None
    if ticket is None:
        props = {UNIQUE_PROPERTY: mid, "linear_issue_url": issue["url"], "linear_issue_identifier": issue["identifier"],
                 "linear_issue_state": issue["state"]}
        try:
            ticket = hub.create_ticket(cx.ticket_subject(run.esc), cx.ticket_content(run.esc, ctx), s.hubspot_pipeline, s.hubspot_stage,
                                       cx.ticket_priority(ctx.tier), props, ctx.contact_id, ctx.company_id, unique_property=UNIQUE_PROPERTY)
        except HubSpotError as exc:
            _explain_ticket_error(run, exc)
            raise
    url = ticket_url(ctx.portal_id or hub.portal_id(), ticket.id)
    store.save_link(run.db, run.esc["id"], {"hubspot_ticket_id": ticket.id, "hubspot_ticket_url": url,
                                            "hubspot_contact_id": ctx.contact_id, "hubspot_company_id": ctx.company_id}, run.now)
    return {"id": ticket.id, "url": url, "stage": ticket.stage or s.hubspot_stage}


def _explain_ticket_error(run: _Run, exc: HubSpotError) -> None:
    text = str(exc)
    if "PROPERTY_DOESNT_EXIST" in text:
        raise ConfigError("HubSpot", "Rotadesk's ticket properties are missing; run `python -m ingest setup-hubspot`") from exc
    if exc.status_code == 400 and "associations" in text.lower():
        # A cached contact or company was merged or deleted: look them up afresh next time.
        store.forget_hubspot_cache(run.db, email=run.esc.get("customer_address"), domain=run.esc.get("customer_domain"))
        store.reset_step(run.db, run.esc["id"], "hubspot_context")


def _linear_attachment(run: _Run, attempt: int) -> dict[str, Any]:
    ctx, issue, ticket = run.ctx, run.detail("linear_issue"), run.detail("hubspot_ticket")
    subtitle = " · ".join(p for p in (ctx.company or ctx.domain, cx.tier_label(ctx.tier)) if p) or None
    metadata = cx.attachment_metadata(run.esc, ctx, stage=_stage_label(run.hubspot, ticket.get("stage")))
    attachment = run.linear.create_attachment(issue["id"], f"HubSpot ticket #{ticket['id']}", ticket["url"], subtitle, metadata)
    store.save_link(run.db, run.esc["id"], {"linear_attachment_id": attachment.id}, run.now)
    return {"id": attachment.id}


def _stage_label(hub: HubSpotClient, stage_id: str | None) -> str | None:
    for pipeline in hub.pipelines():
        for stage in pipeline.stages:
            if stage.id == stage_id:
                return stage.label
    return stage_id


def _linear_customer(run: _Run, attempt: int) -> dict[str, Any]:
    ctx = run.ctx
    if not ctx.company_id:
        raise _Skip("no HubSpot company for this customer")
    _skip_if_customers_off(run)
    domains = [ctx.domain] if ctx.domain else []
    args = (ctx.company_id, ctx.company or ctx.domain or ctx.company_id)
    extra = {"revenue": ctx.revenue, "size": ctx.size, "tier_name": cx.tier_label(ctx.tier)}
    try:
        customer = run.linear.customer_upsert(*args, domains, **extra)
    except LinearError as exc:
        if exc.retryable or isinstance(exc, LinearFeatureDisabled) or not domains:
            raise
        customer = run.linear.customer_upsert(*args, (), **extra)  # the domain already belongs to another customer
    return {"id": customer.id}


def _linear_need(run: _Run, attempt: int) -> dict[str, Any]:
    customer, issue, attachment = run.detail("linear_customer"), run.detail("linear_issue"), run.detail("linear_attachment")
    if not customer.get("id"):
        raise _Skip(customer.get("skipped") or "no Linear customer")
    _skip_if_customers_off(run)
    if attempt > 1:
        found = _existing_need(run.linear, issue["id"], customer["id"], attachment.get("id"))
        if found:
            return {"id": found}
    priority = 1 if (run.ctx.tier or "").lower() == "enterprise" else 0
    need = run.linear.customer_need_create(issue["id"], customer_id=customer["id"], attachment_id=attachment.get("id"),
                                           body=cx.need_body(run.esc), priority=priority)
    return {"id": need.id}


def _linear_comment(run: _Run, attempt: int) -> dict[str, Any]:
    """A second customer's report on an existing issue: say so on the issue."""
    issue, ticket = run.detail("linear_issue"), run.detail("hubspot_ticket")
    prefix = f"{cx.ALSO_REPORTED_PREFIX} (ref {run.ref})"
    found = run.linear.latest_comment_starting_with(issue["id"], prefix) if attempt > 1 else None
    comment = found or run.linear.create_comment(issue["id"], cx.also_reported_comment(run.ref, run.esc, run.ctx, ticket["url"]))
    return {"id": comment.id}


def _hubspot_email(run: _Run, attempt: int) -> dict[str, Any]:
    ticket_id, marker = run.detail("hubspot_ticket")["id"], f"Rotadesk ref: {run.ref}"
    if attempt > 1 and _has_engagement(run.hubspot, ticket_id, "emails", "hs_email_text", marker):
        return {"found": True}
    logged = run.hubspot.log_email(ticket_id, run.esc.get("subject") or "(no subject)", cx.email_log_text(run.esc), _sent_at(run.esc, run.now))
    return {"id": logged.id}


def _hubspot_note(run: _Run, attempt: int) -> dict[str, Any]:
    ticket_id, issue = run.detail("hubspot_ticket")["id"], run.detail("linear_issue")
    if attempt > 1 and _has_engagement(run.hubspot, ticket_id, "notes", "hs_note_body", f"Rotadesk ref: {run.ref}"):
        return {"found": True}
    note = run.hubspot.create_note(ticket_id, cx.link_note_html(issue["identifier"], issue["url"], issue["title"], run.ref), timestamp=run.now)
    return {"id": note.id}


def _done(run: _Run, attempt: int) -> dict[str, Any]:
    return {"issue": run.detail("linear_issue").get("identifier"), "ticket": run.detail("hubspot_ticket").get("id")}


STEPS: tuple[tuple[str, str | None, Callable[[_Run, int], dict[str, Any]]], ...] = (
    ("hubspot_context", "hubspot", _hubspot_context),
    ("linear_issue", "linear", _linear_issue),
    ("hubspot_ticket", "hubspot", _hubspot_ticket),
    ("linear_attachment", "linear", _linear_attachment),
    ("linear_customer", "linear", _linear_customer),
    ("linear_need", "linear", _linear_need),
    ("linear_comment", "linear", _linear_comment),  # only for an escalation attached to an existing issue
    ("hubspot_email", "hubspot", _hubspot_email),
    ("hubspot_note", "hubspot", _hubspot_note),
    ("done", None, _done),
)


# -- lookups for retries (the clients have no public call for these) ---------------------------------------------
NEEDS_OF_ISSUE = """
query IssueNeeds($id: String!) {
  issue(id: $id) { needs(first: 100) { nodes { id customer { id } attachment { id } } } }
}
"""


def _existing_need(lin: LinearClient, issue_id: str, customer_id: str, attachment_id: str | None) -> str | None:
    nodes = lin._execute(NEEDS_OF_ISSUE, {"id": issue_id})["issue"]["needs"]["nodes"]
    for n in nodes:
        if (n.get("customer") or {}).get("id") == customer_id and (n.get("attachment") or {}).get("id") == attachment_id:
            return n["id"]
    return None


def _has_engagement(hub: HubSpotClient, ticket_id: str, kind: str, prop: str, marker: str) -> bool:
    """True when the ticket already has a ``kind`` record whose ``prop`` holds ``marker`` (read via associations)."""
    ids = [str(r["toObjectId"]) for r in hub._paged(hub._path("objects", f"tickets/{ticket_id}/associations/{kind}", v4=True), {"limit": 500})]
    for start in range(0, len(ids), 100):
        body = {"inputs": [{"id": i} for i in ids[start : start + 100]], "properties": [prop]}
        for record in hub._json("POST", hub._path("objects", f"{kind}/batch/read"), json=body).get("results", []):
            if marker in ((record.get("properties") or {}).get(prop) or ""):
                return True
    return False


# -- driving the journal ---------------------------------------------------------------------------------------------
def paused_until(db: Database, service: str, now: datetime) -> str | None:
    """When ``service`` was paused by a rate limit and the pause still holds, its end (ISO)."""
    until = get_state(db, f"{service}.paused_until")
    return until if until and until > iso(now) else None


def _pause(db: Database, service: str, seconds: float, now: datetime) -> None:
    with store.write(db):
        set_state(db, f"{service}.paused_until", iso(now + timedelta(seconds=max(1.0, seconds))))


def _skip_if_customers_off(run: _Run) -> None:
    off_at = get_state(run.db, CUSTOMERS_OFF_KEY)
    if off_at and off_at > iso(run.now - CUSTOMERS_RECHECK):
        raise _Skip("customer requests are switched off in Linear")


def _customers_switched_off(run: _Run, exc: LinearFeatureDisabled) -> dict[str, Any]:
    if "customers" not in _warned:
        _warned.add("customers")
        log.warning("Linear customer requests are switched off; linking without customers (%s)", exc)
    with store.write(run.db):
        set_state(run.db, CUSTOMERS_OFF_KEY, iso(run.now))
    return {"skipped": "customer requests are switched off in Linear"}


def _drive(run: _Run, steps: list[tuple[str, str | None, Callable[[_Run, int], dict[str, Any]]]], checkpoint: Checkpoint | None) -> LinkResult:
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
        except _Skip as skip:
            detail, status = {"skipped": str(skip)}, "skipped"
        except LinearFeatureDisabled as exc:
            detail, status = _customers_switched_off(run, exc), "skipped"
        except (HubSpotRateLimited, LinearRateLimited) as exc:
            store.fail_step(run.db, eid, name, str(exc), run.now)
            if isinstance(exc, LinearRateLimited) or exc.daily:
                _pause(run.db, "linear" if isinstance(exc, LinearRateLimited) else "hubspot", exc.retry_after, run.now)
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
    return LinkResult(eid, "linked", None, None, False, run.detail("linear_issue").get("identifier"), run.detail("hubspot_ticket").get("id"))


def _run_for(db: Database, settings: Settings, hubspot: HubSpotClient, linear: LinearClient, escalation_id: int, now: datetime) -> _Run:
    esc = intake_store.escalation(db, escalation_id)
    if esc is None:
        raise ValidationError(f"There is no escalation {escalation_id}.")
    return _Run(db, settings, hubspot, linear, esc, now, store.journal(db, escalation_id))


def link_escalation(db: Database, settings: Settings, hubspot: HubSpotClient, linear: LinearClient, escalation_id: int, *,
                    now: datetime, checkpoint: Checkpoint | None = None) -> LinkResult:
    """Run (or resume) the linking of one escalation; ``checkpoint(step, "before"|"after")`` is a test seam."""
    run = _run_for(db, settings, hubspot, linear, escalation_id, now)
    attached = bool(run.detail("linear_issue").get("attached"))
    steps = [s for s in STEPS if s[0] != "linear_comment" or attached]
    return _drive(run, steps, checkpoint)


def attach_to_issue(db: Database, settings: Settings, hubspot: HubSpotClient, linear: LinearClient, escalation_id: int,
                    linear_issue_id: str, *, now: datetime, checkpoint: Checkpoint | None = None) -> LinkResult:
    """Link an escalation to an existing Linear issue (a second customer reporting it): new ticket, need and comment."""
    run = _run_for(db, settings, hubspot, linear, escalation_id, now)
    issue = linear.get_issue(linear_issue_id)
    current = run.entries.get("linear_issue")
    if current is not None and current.complete:
        if run.detail("linear_issue").get("id") != issue.id:
            raise ValidationError(f"Escalation {escalation_id} is already linked to {run.detail('linear_issue').get('identifier')}.")
    elif current is not None and linear.find_issue(issue_id_for(run.esc["message_id"])) is not None:
        raise ValidationError(f"Escalation {escalation_id} already has an issue of its own; it cannot be attached elsewhere.")
    else:
        detail = {"id": issue.id, "identifier": issue.identifier, "url": issue.url, "title": issue.title, "state": issue.state_name, "attached": True}
        store.finish_step(db, escalation_id, "linear_issue", detail, now)
        store.save_link(db, escalation_id, {"linear_issue_id": issue.id, "linear_identifier": issue.identifier, "linear_url": issue.url,
                                            "linear_state": issue.state_name, "linear_state_type": issue.state_type}, now)
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

    def comment(run: _Run, attempt: int) -> dict[str, Any]:
        prefix = f"{cx.FOLLOWUP_PREFIX} (ref {ref})"
        found = linear.latest_comment_starting_with(issue["id"], prefix) if attempt > 1 else None
        return {"id": (found or linear.create_comment(issue["id"], cx.followup_comment(ref, followup))).id}

    def note(run: _Run, attempt: int) -> dict[str, Any]:
        if attempt > 1 and _has_engagement(hubspot, ticket["id"], "notes", "hs_note_body", f"Rotadesk ref: {ref}"):
            return {"found": True}
        return {"id": hubspot.create_note(ticket["id"], cx.followup_note_html(ref, followup, issue["identifier"], issue["url"]), timestamp=now).id}

    return _drive(run, [(f"followup:{ref}:comment", "linear", comment), (f"followup:{ref}:note", "hubspot", note)], checkpoint)


def _sent_at(esc: dict[str, Any], now: datetime) -> datetime:
    for raw in (esc.get("original_date"), esc.get("received_at")):
        if not raw:
            continue
        for parse in (lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")), parsedate_to_datetime):
            try:
                moment = parse(raw)
            except (TypeError, ValueError):
                continue
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return now


def _backing_off(db: Database, escalation_id: int, now: datetime) -> bool:
    """A step that failed waits 1, 2, 4... minutes (at most an hour) before it is tried again."""
    for entry in store.journal(db, escalation_id).values():
        if entry.status == "failed":
            delay = timedelta(minutes=min(60, 2 ** max(0, entry.attempts - 1)))
            if datetime.fromisoformat(entry.at) + delay > now:
                return True
    return False


def sync_pending(db: Database, settings: Settings, hubspot: HubSpotClient | None, linear: LinearClient | None, *, now: datetime,
                 progress: Callable[[int, int], None] | None = None, checkpoint: Checkpoint | None = None,
                 workers: int = 1) -> SyncSummary:
    """Link every escalation and follow-up not linked yet (the backlog too); ``progress(done, total)`` after each.

    With ``workers`` > 1 escalations run on threads, each with its own database connection, so one escalation's
    Linear work can overlap another's HubSpot pacing; the clients pace and serialise their own requests.
    """
    summary = SyncSummary()
    if settings.local_only or hubspot is None or linear is None:
        return summary
    escalations = store.pending_escalation_ids(db)
    followups = [f["message_id"] for f in store.pending_followups(db)
                 if not (e := store.journal(db, f["escalation_id"]).get(f"followup:{cx.ref_for(f['message_id'])}:note")) or not e.complete]
    total, done, lock, stop = len(escalations) + len(followups), [0], threading.Lock(), threading.Event()
    local, opened = threading.local(), []

    def job(kind: str, key: Any) -> None:
        if stop.is_set():
            return
        conn = db if workers <= 1 or kind == "followup" else getattr(local, "db", None)
        if conn is None:
            conn = local.db = open_db(settings.db, shared=True)  # closed by this thread's caller
            with lock:
                opened.append(conn)
        deferred = kind == "escalation" and _backing_off(conn, key, now)
        link = link_escalation if kind == "escalation" else link_followup
        result = None if deferred else link(conn, settings, hubspot, linear, key, now=now, checkpoint=checkpoint)
        with lock:
            if result is None:
                summary.deferred += 1
            else:
                _tally(summary, kind, result)
                if result.stop:
                    summary.stopped = summary.stopped or result.error
                    stop.set()
            done[0] += 1
            if progress:
                progress(done[0], total)

    try:
        if workers > 1 and len(escalations) > 1:
            with ThreadPoolExecutor(workers, thread_name_prefix="linking") as pool:
                list(pool.map(partial(job, "escalation"), escalations))
        else:
            for key in escalations:
                job("escalation", key)
        for key in followups:  # after their escalations, on this thread
            job("followup", key)
    finally:
        for conn in opened:
            conn.close()
    set_state(db, "linking.last_sync", iso(now))
    set_state(db, "linking.last_summary", str(summary))
    return summary


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


# -- setup and health -------------------------------------------------------------------------------------------------
TICKET_PROPERTIES = (
    (UNIQUE_PROPERTY, "Rotadesk message id", True),
    ("linear_issue_url", "Linear issue URL", False),
    ("linear_issue_identifier", "Linear issue", False),
    ("linear_issue_state", "Linear issue state", False),
)


@dataclass(frozen=True)
class Check:
    """One line of the Settings page's connector health."""

    name: str
    ok: bool
    detail: str


def setup_hubspot(client: HubSpotClient) -> Iterator[str]:
    """Create Rotadesk's ticket properties where missing (safe to re-run) and list pipelines; yields lines to print."""
    yield f"HubSpot portal {client.portal_id()}"
    for name, label, unique in TICKET_PROPERTIES:
        if client.ticket_property_exists(name):
            yield f"ticket property {name}: already there"
        else:
            client.create_ticket_property(name, label, unique=unique)
            yield f"ticket property {name}: created" + (" (unique)" if unique else "")
    for pipeline in client.pipelines():
        stages = ", ".join(f"{s.id} {s.label}" for s in pipeline.stages)
        yield f"pipeline {pipeline.id} ({pipeline.label}); stages: {stages}"


def connector_health(settings: Settings, hubspot: HubSpotClient | None, linear: LinearClient | None, *,
                     db: Database | None = None, now: datetime | None = None) -> list[Check]:
    """Call each connector and report what works: tokens, portal, team, pipeline, properties, headroom, last sync.

    With ``db`` the checks also show rate-limit pauses and the last sync, as recorded in ``sync_state``.
    """
    now = now or datetime.now(timezone.utc)
    checks = [*_hubspot_checks(settings, hubspot, db, now), *_linear_checks(settings, linear, db, now)]
    if db is not None:
        last = get_state(db, "linking.last_sync")
        checks.append(Check("Last sync", bool(last), f"{last}: {get_state(db, 'linking.last_summary', '')}" if last else "never"))
    return checks


def _checked(name: str, probe: Callable[[], tuple[bool, str]]) -> Check:
    try:
        ok, detail = probe()
    except AppError as exc:
        return Check(name, False, str(exc))
    return Check(name, ok, detail)


def _hubspot_checks(settings: Settings, hub: HubSpotClient | None, db: Database | None, now: datetime) -> list[Check]:
    if hub is None or not settings.hubspot_token:
        return [Check("HubSpot", False, "not configured (local-only): set ROTADESK_HUBSPOT_TOKEN")]

    def stage() -> tuple[bool, str]:
        for pipeline in hub.pipelines():
            if pipeline.id == settings.hubspot_pipeline:
                found = any(s.id == settings.hubspot_stage for s in pipeline.stages)
                return found, f"pipeline {pipeline.label}, stage {settings.hubspot_stage}" + ("" if found else " not found")
        return False, f"no pipeline {settings.hubspot_pipeline}"

    def properties() -> tuple[bool, str]:
        missing = [n for n, _, _ in TICKET_PROPERTIES if not hub.ticket_property_exists(n)]
        return not missing, "all present" if not missing else f"missing {', '.join(missing)}: run `python -m ingest setup-hubspot`"

    checks = [_checked("HubSpot token and portal", lambda: (True, f"portal {hub.portal_id()}")),
              _checked("HubSpot pipeline and stage", stage), _checked("HubSpot ticket properties", properties)]
    checks.append(_headroom("HubSpot rate limit", hub.last_rate_limit, "X-HubSpot-RateLimit-Remaining", "X-HubSpot-RateLimit-Max",
                            paused_until(db, "hubspot", now) if db is not None else None))
    return checks


def _linear_checks(settings: Settings, lin: LinearClient | None, db: Database | None, now: datetime) -> list[Check]:
    if lin is None or not settings.linear_api_key:
        return [Check("Linear", False, "not configured (local-only): set ROTADESK_LINEAR_API_KEY")]

    def team() -> tuple[bool, str]:
        if not settings.linear_team:
            return False, "set ROTADESK_LINEAR_TEAM"
        found = lin.team_by_key(settings.linear_team)
        state = lin.state_by_name(found.id, settings.linear_state)
        return True, f"{found.name} ({found.key}), new issues go to {state.name}"

    def viewer() -> tuple[bool, str]:
        v = lin.viewer()
        return True, f"{v.name} in {v.organization}"

    checks = [_checked("Linear API key", viewer), _checked("Linear team and state", team)]
    if db is not None and get_state(db, CUSTOMERS_OFF_KEY):
        checks.append(Check("Linear customer requests", False, "switched off in the workspace; issues are linked without customers"))
    checks.append(_headroom("Linear rate limit", lin.last_rate_limit, "X-RateLimit-Requests-Remaining", "X-RateLimit-Requests-Limit",
                            paused_until(db, "linear", now) if db is not None else None))
    return checks


def _headroom(name: str, headers: dict[str, str], remaining_key: str, limit_key: str, paused: str | None) -> Check:
    if paused:
        return Check(name, False, f"paused until {paused}")
    values = {k.lower(): v for k, v in headers.items()}
    remaining, limit = values.get(remaining_key.lower()), values.get(limit_key.lower())
    if remaining is None:
        return Check(name, True, "no requests yet")
    return Check(name, remaining != "0", f"{remaining} of {limit} left in the current window")
