"""The steps that link one escalation, each a function of the run so far and its attempt number.

A step is marked started in the journal before its request goes out, so on a later attempt (``attempt > 1``) it
looks before it creates: the Linear issue has an id derived from the escalation's Message-ID, the ticket carries
the unique ``rotadesk_message_id`` property, attachments are one per URL, and notes, emails, comments and customer
needs carry a reference a retry can find. :mod:`core.linking` drives the steps; this module only does them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from sqlite_utils import Database

from core import context as cx
from core.accounts import linear_user_id
from core.context import CustomerContext
from core.errors import ConfigError, HubSpotError, LinearError
from core.hubspot import HubFile, HubSpotClient, ticket_url
from core.impact import impact_of
from core.linear import LinearClient, LinearFeatureDisabled
from core.longtext import fit_plain
from core.once import create_once
from core.settings import Settings, env_name
from core.store import follow as follow_store
from core.store import get_state, iso, set_state
from core.store import intake as intake_store
from core.store import links as store
from core.store.links import JournalEntry
from core.store.rotation import current_engineer_email

log = logging.getLogger("rotadesk.linking")
ISSUE_NAMESPACE = uuid.UUID("6f0f7a52-3c1e-5b8e-9a49-0d6c2f1e7b31")
UNIQUE_PROPERTY = "rotadesk_message_id"
FILES_FOLDER = "/rotadesk/messages"  # HubSpot file-manager folder for full texts too long for a property
CUSTOMERS_OFF_KEY = "linear.customers_disabled_at"
MERGE_STEPS = ("linear_duplicate", "hubspot_relink")
CUSTOMERS_RECHECK = timedelta(hours=24)
_warned: set[str] = set()


class Skip(Exception):
    """A step that does not apply to this escalation."""


@dataclass
class Run:
    """One escalation's linking in progress: its row, the clients and the journal entries so far."""

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


StepFn = Callable[[Run, int], dict[str, Any]]
Step = tuple[str, "str | None", StepFn]  # (journal name, service it calls, function)


def issue_id_for(message_id: str) -> str:
    """The Linear issue id of an escalation: uuid5 of its Message-ID, stamped as v4 since Linear asks for v4."""
    return str(uuid.UUID(bytes=uuid.uuid5(ISSUE_NAMESPACE, message_id).bytes, version=4))


# -- HubSpot context ---------------------------------------------------------------------------------------------
def hubspot_context(run: Run, attempt: int) -> dict[str, Any]:
    """Contact, company, tier, owner and the contact's other open tickets (none to look for when just created)."""
    hub, esc = run.hubspot, run.esc
    email, domain = (esc.get("customer_address") or "").lower() or None, esc.get("customer_domain")
    local = intake_store.customer_for_domain(run.db, domain)
    contact_id, created = _contact_id(run, email) if email else (None, False)
    company = (_company(run, domain) if domain else None) or {}
    portal = hub.portal_id()
    tickets = hub.open_tickets_for_contact(contact_id) if contact_id and not created else []
    ctx = CustomerContext(
        portal_id=portal, contact_id=contact_id, contact_name=esc.get("customer_name"), contact_email=email,
        company_id=company.get("company_id"),
        company=company.get("name") or (local and local.company) or esc.get("company"),
        domain=domain, tier=company.get("tier") or (local and local.tier) or esc.get("tier"),
        revenue=company.get("revenue") or (local and local.revenue) or None, size=local.size if local else None,
        owner=company.get("owner") or (local and local.owner) or None,
        other_tickets=cx.other_tickets(tickets, portal),
    )
    return ctx.to_json()


def _contact_id(run: Run, email: str) -> tuple[str | None, bool]:
    """The contact's id, and whether this call created the contact (then it has no tickets yet).

    Creating goes through an upsert keyed on email: one call whether or not the contact exists, and a retry after a
    lost answer finds the contact the first try made instead of making a second.
    """
    cached = store.cached_contact(run.db, email, run.now)
    if cached:
        return cached, False
    if run.settings.hubspot_create_contacts:
        first, _, last = (run.esc.get("customer_name") or "").partition(" ")
        contact, created = run.hubspot.upsert_contact(email, first, last)
    else:
        contact, created = run.hubspot.find_contact_by_email(email), False
    if contact is None:
        return None, False
    store.remember_contact(run.db, email, contact.id, run.now)
    return contact.id, created


def _company(run: Run, domain: str) -> dict[str, Any] | None:
    cached = store.cached_company(run.db, domain, run.now)
    if cached is not None:
        return cached if cached["company_id"] else None
    s = run.settings
    found = run.hubspot.find_company_by_domain(domain, s.hubspot_tier_property, s.hubspot_revenue_property)
    data = None
    if found is not None:
        owner = run.hubspot.owner(found.owner_id) if found.owner_id else None
        data = {"company_id": found.id, "name": found.name, "tier": found.tier, "revenue": found.revenue,
                "owner": owner.display_name if owner else None}
    store.remember_company(run.db, domain, data, run.now)
    return data


# -- Linear issue ----------------------------------------------------------------------------------------------------
def linear_issue(run: Run, attempt: int) -> dict[str, Any]:
    s, lin, ctx = run.settings, run.linear, run.ctx
    if not s.linear_team:
        raise ConfigError(env_name("linear_team"), "is needed to create Linear issues")
    issue_id = issue_id_for(run.esc["message_id"])
    issue = lin.find_issue(issue_id) if attempt > 1 else None  # an earlier attempt may have landed
    if issue is None:
        team = lin.team_by_key(s.linear_team)
        state = lin.state_by_name(team.id, s.linear_state)
        labels = [_label_id(lin, team.id, name) for name in (cx.CUSTOMER_LABEL, cx.tier_label(ctx.tier)) if name]
        first = impact_of([{"escalation_id": run.esc["id"], "customer_domain": run.esc.get("customer_domain"),
                            "customer_address": run.esc.get("customer_address"), "context": ctx.to_json()}])
        description = cx.with_impact(cx.issue_description(run.esc, ctx), first.line())
        issue = lin.create_issue(team.id, cx.issue_title(run.esc, ctx), description,
                                 cx.issue_priority(ctx.tier), labels, state.id, _on_support(run), issue_id)
    store.save_link(run.db, run.esc["id"], {"linear_issue_id": issue.id, "linear_identifier": issue.identifier,
                                            "linear_url": issue.url, "linear_state": issue.state_name,
                                            "linear_state_type": issue.state_type}, run.now)
    return {"id": issue.id, "identifier": issue.identifier, "url": issue.url, "title": issue.title,
            "state": issue.state_name}


def _label_id(lin: LinearClient, team_id: str, name: str) -> str:
    """The label's id, created when missing; someone else creating it meanwhile is fine."""
    try:
        return lin.ensure_label(team_id, name).id
    except LinearError as exc:
        if exc.retryable:
            raise
        lin.refresh_labels(team_id)  # the cached list is stale: read it again
        return lin.ensure_label(team_id, name).id


def _on_support(run: Run) -> str | None:
    """The Linear user id of the engineer on support this week, when a rotation exists."""
    email = current_engineer_email(run.db, run.settings, run.now)
    return linear_user_id(run.db, run.linear, email) if email else None


# -- HubSpot ticket and Linear attachment ----------------------------------------------------------------------------
def hubspot_ticket(run: Run, attempt: int) -> dict[str, Any]:
    s, hub, ctx, issue, mid = run.settings, run.hubspot, run.ctx, run.detail("linear_issue"), run.esc["message_id"]
    ticket = hub.get_ticket_by_unique(UNIQUE_PROPERTY, mid) if attempt > 1 else None
    source = follow_store.source_ticket(run.db, mid)
    if source is not None:  # the escalation came from this ticket: link it, never make a second one
        ticket = hub.update_ticket(source, {UNIQUE_PROPERTY: mid, "linear_issue_url": issue["url"],
                                            "linear_issue_identifier": issue["identifier"],
                                            "linear_issue_state": issue["state"]})
    if ticket is None:
        props = {UNIQUE_PROPERTY: mid, "linear_issue_url": issue["url"],
                 "linear_issue_identifier": issue["identifier"], "linear_issue_state": issue["state"]}
        try:
            ticket = hub.create_ticket(cx.ticket_subject(run.esc), cx.ticket_content(run.esc, ctx),
                                       s.hubspot_pipeline, s.hubspot_stage, cx.ticket_priority(ctx.tier), props,
                                       ctx.contact_id, ctx.company_id, unique_property=UNIQUE_PROPERTY)
        except HubSpotError as exc:
            _explain_ticket_error(run, exc)
            raise
    url = ticket_url(ctx.portal_id or hub.portal_id(), ticket.id)
    store.save_link(run.db, run.esc["id"], {"hubspot_ticket_id": ticket.id, "hubspot_ticket_url": url,
                                            "hubspot_contact_id": ctx.contact_id,
                                            "hubspot_company_id": ctx.company_id}, run.now)
    return {"id": ticket.id, "url": url, "stage": ticket.stage or s.hubspot_stage}


def _explain_ticket_error(run: Run, exc: HubSpotError) -> None:
    text = str(exc)
    if "PROPERTY_DOESNT_EXIST" in text:
        raise ConfigError("HubSpot", "Rotadesk's ticket properties are missing; "
                                     "run `python -m ingest setup-hubspot`") from exc
    if exc.status_code == 400 and "associations" in text.lower():
        # A cached contact or company was merged or deleted: look them up afresh next time.
        store.forget_hubspot_cache(run.db, email=run.esc.get("customer_address"), domain=run.esc.get("customer_domain"))
        store.reset_step(run.db, run.esc["id"], "hubspot_context")


def linear_attachment(run: Run, attempt: int) -> dict[str, Any]:
    ctx, issue, ticket = run.ctx, run.detail("linear_issue"), run.detail("hubspot_ticket")
    subtitle = " · ".join(p for p in (ctx.company or ctx.domain, cx.tier_label(ctx.tier)) if p) or None
    metadata = cx.attachment_metadata(run.esc, ctx, stage=_stage_label(run.hubspot, ticket.get("stage")))
    title = f"HubSpot ticket #{ticket['id']}"
    attachment = run.linear.create_attachment(issue["id"], title, ticket["url"], subtitle, metadata)
    store.save_link(run.db, run.esc["id"], {"linear_attachment_id": attachment.id}, run.now)
    return {"id": attachment.id}


def _stage_label(hub: HubSpotClient, stage_id: str | None) -> str | None:
    for pipeline in hub.pipelines():
        for stage in pipeline.stages:
            if stage.id == stage_id:
                return stage.label
    return stage_id


# -- Linear customer, need and comment -------------------------------------------------------------------------------
def linear_customer(run: Run, attempt: int) -> dict[str, Any]:
    ctx = run.ctx
    if not ctx.company_id:
        raise Skip("no HubSpot company for this customer")
    skip_if_customers_off(run)
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


def linear_need(run: Run, attempt: int) -> dict[str, Any]:
    customer, issue = run.detail("linear_customer"), run.detail("linear_issue")
    attachment_id = run.detail("linear_attachment").get("id")
    if not customer.get("id"):
        raise Skip(customer.get("skipped") or "no Linear customer")
    skip_if_customers_off(run)
    if attempt > 1:
        for need in run.linear.customer_needs(issue["id"]):
            if need.customer_id == customer["id"] and need.attachment_id == attachment_id:
                return {"id": need.id}
    priority = 1 if (run.ctx.tier or "").lower() == "enterprise" else 0
    need = run.linear.customer_need_create(issue["id"], customer_id=customer["id"], attachment_id=attachment_id,
                                           body=cx.need_body(run.esc), priority=priority)
    return {"id": need.id}


def linear_comment(run: Run, attempt: int) -> dict[str, Any]:
    """A second customer's report on an existing issue: say so on the issue."""
    issue, ticket = run.detail("linear_issue"), run.detail("hubspot_ticket")
    prefix = f"{cx.ALSO_REPORTED_PREFIX} (ref {run.ref})"
    found = run.linear.latest_comment_starting_with(issue["id"], prefix) if attempt > 1 else None
    body = cx.also_reported_comment(run.ref, run.esc, run.ctx, ticket["url"])
    return {"id": (found or run.linear.create_comment(issue["id"], body)).id}


# -- HubSpot email and note ------------------------------------------------------------------------------------------
def hubspot_email(run: Run, attempt: int) -> dict[str, Any]:
    """Log the customer's email on the ticket; one over HubSpot's limit is cut and its full text attached."""
    hub, ticket_id, marker = run.hubspot, run.detail("hubspot_ticket")["id"], f"Rotadesk ref: {run.ref}"
    if follow_store.source_ticket(run.db, run.esc["message_id"]) is not None:
        raise Skip("the escalation came from this ticket; its conversation is already on it")
    if attempt > 1 and hub.find_email_log(ticket_id, marker):
        return {"found": True}
    head, body, tail = cx.email_log_parts(run.esc)
    name = f"email-{run.ref}.txt"
    fitted = fit_plain(head, body, tail, where=f"The full message is attached as {name}.")
    files = [full_text_file(run, name, head + body + tail, attempt).id] if fitted.cut else []
    subject = run.esc.get("subject") or "(no subject)"
    logged = create_once(
        lambda: hub.log_email(ticket_id, subject, fitted.text, sent_at(run.esc, run.now), attachment_ids=files),
        lambda: hub.find_email_log(ticket_id, marker))
    return {"id": logged.id, **({"file_id": files[0]} if files else {})}


def full_text_file(run: Run, name: str, text: str, attempt: int) -> HubFile:
    """The full text as a private file under ``FILES_FOLDER``; a retry finds an earlier upload by its path."""
    return create_once(lambda: run.hubspot.upload_file(FILES_FOLDER, name, text.encode("utf-8")),
                       lambda: run.hubspot.file_at(f"{FILES_FOLDER}/{name}"), look_first=attempt > 1)


def hubspot_note(run: Run, attempt: int) -> dict[str, Any]:
    hub, ticket_id, issue = run.hubspot, run.detail("hubspot_ticket")["id"], run.detail("linear_issue")
    marker = f"Rotadesk ref: {run.ref}"
    if attempt > 1 and hub.find_note(ticket_id, marker):
        return {"found": True}
    body = cx.link_note_html(issue["identifier"], issue["url"], issue["title"], run.ref)
    note = create_once(lambda: hub.create_note(ticket_id, body, timestamp=run.now),
                       lambda: hub.find_note(ticket_id, marker))
    return {"id": note.id}


# -- moving a linked escalation onto another issue ("Same bug as...", core.same_bug) ------------------------------
def linear_duplicate(run: Run, attempt: int) -> dict[str, Any]:
    """Mark the escalation's own issue a duplicate of the one it moved to (a relation id we chose: once)."""
    issue = run.detail("linear_issue")
    run.linear.mark_duplicate(issue["moved_from"], issue["id"], issue["relation_id"])
    return {"duplicate_of": issue["identifier"]}


def hubspot_relink(run: Run, attempt: int) -> dict[str, Any]:
    """Point the ticket's Linear properties at the new issue and say so in a note (found again by its marker)."""
    hub, issue, ticket_id = run.hubspot, run.detail("linear_issue"), run.detail("hubspot_ticket")["id"]
    hub.update_ticket(ticket_id, {"linear_issue_url": issue["url"], "linear_issue_identifier": issue["identifier"],
                                  "linear_issue_state": issue["state"]})  # a PATCH: safe to repeat
    marker = f"Rotadesk ref: {run.ref}:moved"
    body = cx.moved_note_html(issue["identifier"], issue["url"], issue.get("moved_from_identifier") or "", marker)
    note = create_once(lambda: hub.create_note(ticket_id, body, timestamp=run.now),
                       lambda: hub.find_note(ticket_id, marker), look_first=attempt > 1)
    return {"id": note.id}


def done(run: Run, attempt: int) -> dict[str, Any]:
    return {"issue": run.detail("linear_issue").get("identifier"), "ticket": run.detail("hubspot_ticket").get("id")}


STEPS: tuple[Step, ...] = (
    ("hubspot_context", "hubspot", hubspot_context),
    ("linear_issue", "linear", linear_issue),
    ("linear_duplicate", "linear", linear_duplicate),  # only for an escalation moved to another issue
    ("hubspot_ticket", "hubspot", hubspot_ticket),
    ("hubspot_relink", "hubspot", hubspot_relink),  # likewise
    ("linear_attachment", "linear", linear_attachment),
    ("linear_customer", "linear", linear_customer),
    ("linear_need", "linear", linear_need),
    ("linear_comment", "linear", linear_comment),  # only for an escalation attached to an existing issue
    ("hubspot_email", "hubspot", hubspot_email),
    ("hubspot_note", "hubspot", hubspot_note),
    ("done", None, done),
)


def sent_at(esc: dict[str, Any], now: datetime) -> datetime:
    """When the customer sent the message: its Date header, else when it arrived, else ``now``."""
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


# -- pauses and switched-off features, kept in sync_state --------------------------------------------------------------
def paused_until(db: Database, service: str, now: datetime) -> str | None:
    """When ``service`` was paused by a rate limit and the pause still holds, its end (ISO)."""
    until = get_state(db, f"{service}.paused_until")
    return until if until and until > iso(now) else None


def pause(db: Database, service: str, seconds: float, now: datetime) -> None:
    with store.write(db):
        set_state(db, f"{service}.paused_until", iso(now + timedelta(seconds=max(1.0, seconds))))


def skip_if_customers_off(run: Run) -> None:
    off_at = get_state(run.db, CUSTOMERS_OFF_KEY)
    if off_at and off_at > iso(run.now - CUSTOMERS_RECHECK):
        raise Skip("customer requests are switched off in Linear")


def customers_switched_off(run: Run, exc: LinearFeatureDisabled) -> dict[str, Any]:
    """Remember that Linear's customer requests are off (warning once per process) and skip the step."""
    if "customers" not in _warned:
        _warned.add("customers")
        log.warning("Linear customer requests are switched off; linking without customers (%s)", exc)
    with store.write(run.db):
        set_state(run.db, CUSTOMERS_OFF_KEY, iso(run.now))
    return {"skipped": "customer requests are switched off in Linear"}
