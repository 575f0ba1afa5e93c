"""Context that stays true: each side follows the other's changes after linking.

HubSpot -> Linear: tickets (stage, owner, priority) and companies (name, tier, revenue, owner) changed since the
cursor are read with the search API's ``hs_lastmodifieddate`` filter, oldest first, in pages of 200 on the
client's paced search lane. Each linked escalation whose facts differ from what was last written gets its Linear
attachment's metadata and its issue's context block rewritten in place, and its Linear customer's tier and
revenue updated. Linear -> HubSpot: issues changed since the cursor set the ticket's ``linear_issue_state``,
``linear_issue_assignee``, ``linear_issue_priority`` and, through ``ROTADESK_HUBSPOT_STAGE_MAP``, its stage; the
latest comment marked for the customer (``ROTADESK_CUSTOMER_NOTE_MARKER``) becomes a note on the ticket.

Each change is written once and in order: the facts last written are stored per escalation and compared
(:mod:`core.store.follow`), every write is an idempotent update, and a cursor moves only past what was applied.
A crash between the read and the write leaves the old facts stored, so the next pass writes the change again.
Search lags writes by seconds, so each pass re-reads ``LAG`` before its cursor; the stored facts absorb repeats.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlite_utils import Database

from core import context as cx
from core.context import CustomerContext
from core.errors import AppError, ConfigError
from core.hubspot import HubSpotClient, modified_ms, truncate_html
from core.impact import impact_of
from core.linear import Issue, LinearClient
from core.link_steps import UNIQUE_PROPERTY
from core.once import create_once
from core.settings import Settings
from core.store import follow as store
from core.store import get_state, impacts, iso, set_state
from core.store import links as links_store

log = logging.getLogger("rotadesk.follow")
LAG = timedelta(minutes=2)  # re-read this much before the cursor: search shows changes seconds late
FIRST_LOOKBACK = timedelta(days=1)
LEASE = timedelta(minutes=2)  # how long a pass that died mid-write keeps others off that ticket
HUBSPOT_CURSOR, LINEAR_CURSOR = "follow.hubspot_since", "follow.linear_since"
TICKET_FACTS = ("hs_pipeline_stage", "hubspot_owner_id", "hs_ticket_priority")
COMPANY_FACTS = {"company", "tier", "revenue", "owner"}  # the ones the context block and impact line show
PRIORITY_NAMES = {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}
CLOSING_TYPES = ("completed", "canceled")  # stages for these are the closing loop's (ROTADESK_HUBSPOT_*_STAGE)


@dataclass
class FollowSummary:
    """What one pass changed."""

    updated: int = 0
    failed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.updated or self.failed)

    def __str__(self) -> str:
        return f"{self.updated} updated" + (f", failed: {'; '.join(self.failed)}" if self.failed else "")


# -- pure decisions --------------------------------------------------------------------------------------------------
def stage_map(raw: str) -> dict[str, str]:
    """``"In Progress=2, Done=4"`` as {Linear state name (case-folded): HubSpot stage id}."""
    pairs = (p.partition("=") for p in raw.split(",") if p.strip())
    return {name.strip().casefold(): stage.strip() for name, _, stage in pairs if name.strip() and stage.strip()}


def ticket_values(issue: Issue, mapping: dict[str, str]) -> dict[str, str]:
    """The ticket properties that mirror ``issue``."""
    values = {"linear_issue_state": issue.state_name, "linear_issue_assignee": issue.assignee_name or "",
              "linear_issue_priority": PRIORITY_NAMES.get(issue.priority, str(issue.priority))}
    stage = mapping.get(issue.state_name.casefold())
    if stage and issue.state_type not in CLOSING_TYPES:
        values["hs_pipeline_stage"] = stage
    return values


def changed(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in after.items() if (before or {}).get(k) != v}


# -- HubSpot -> Linear ---------------------------------------------------------------------------------------------
def follow_hubspot(db: Database, settings: Settings, hubspot: HubSpotClient | None, linear: LinearClient | None, *,
                   now: datetime) -> FollowSummary:
    """Write HubSpot's ticket and company changes onto the linked Linear issues."""
    summary = FollowSummary()
    if settings.local_only or hubspot is None or linear is None:
        return summary
    rows = store.linked(db)
    if not rows:
        set_state(db, HUBSPOT_CURSOR, iso(now))
        return summary
    since = _cursor(db, HUBSPOT_CURSOR, now) - LAG
    events = _hubspot_events(settings, hubspot, rows, since)
    for at_ms, row, ticket_props, company_props in events:
        try:
            if _apply_hubspot(db, settings, hubspot, linear, row, ticket_props, company_props, at_ms, now):
                summary.updated += 1
        except AppError as exc:  # stop here; the next pass starts again at this change
            summary.failed.append(f"escalation {row['escalation_id']}: {exc}")
            set_state(db, HUBSPOT_CURSOR, iso(datetime.fromtimestamp(at_ms / 1000, timezone.utc) + LAG))
            return summary
    set_state(db, HUBSPOT_CURSOR, iso(now))
    return summary


def _hubspot_events(settings: Settings, hubspot: HubSpotClient, rows: list[dict], since: datetime) -> list[tuple]:
    """(modified ms, linked row, ticket properties or None, company properties or None), oldest first."""
    by_ticket = {r["hubspot_ticket_id"]: r for r in rows}
    by_company: dict[str, list[dict]] = {}
    for r in rows:
        if r.get("hubspot_company_id"):
            by_company.setdefault(r["hubspot_company_id"], []).append(r)
    events: list[tuple] = []
    has_key = [{"propertyName": UNIQUE_PROPERTY, "operator": "HAS_PROPERTY"}]
    for record in hubspot.modified_since("tickets", since, TICKET_FACTS, has_key):
        row = by_ticket.get(str(record["id"]))
        if row is not None:
            events.append((modified_ms(record), row, record.get("properties") or {}, None))
    props = ("name", "hubspot_owner_id", settings.hubspot_tier_property, settings.hubspot_revenue_property)
    ids = sorted(by_company)
    for start in range(0, len(ids), 100):  # IN takes up to 100 values
        only = [{"propertyName": "hs_object_id", "operator": "IN", "values": ids[start:start + 100]}]
        for record in hubspot.modified_since("companies", since, props, only):
            for row in by_company.get(str(record["id"]), []):
                events.append((modified_ms(record), row, None, record.get("properties") or {}))
    events.sort(key=lambda e: (e[0], e[1]["escalation_id"]))
    return events


def _facts_at_link(row: dict) -> dict[str, Any]:
    """What the escalation's Linear side was written with when it was linked."""
    ctx = row["ctx"]
    return {"stage": (row["ticket"] or {}).get("stage"), "ticket_owner": None,
            "priority": cx.ticket_priority(ctx.get("tier")), "company": ctx.get("company"), "tier": ctx.get("tier"),
            "revenue": ctx.get("revenue"), "owner": ctx.get("owner")}


def _apply_hubspot(db: Database, settings: Settings, hubspot: HubSpotClient, linear: LinearClient, row: dict,
                   ticket: dict | None, company: dict | None, at_ms: int, now: datetime) -> bool:
    key = f"hubspot:{row['escalation_id']}"
    stored = store.followed(db, key)
    before = stored[0] if stored else _facts_at_link(row)
    after = dict(before)
    if ticket is not None:
        after["stage"] = ticket.get("hs_pipeline_stage") or before.get("stage")
        after["priority"] = ticket.get("hs_ticket_priority") or None
        after["ticket_owner"] = _owner_name(hubspot, ticket.get("hubspot_owner_id"))
    if company is not None:
        revenue = company.get(settings.hubspot_revenue_property)
        after.update(company=company.get("name") or before.get("company"),
                     tier=company.get(settings.hubspot_tier_property) or None,
                     revenue=float(revenue) if _number(revenue) else None,
                     owner=_owner_name(hubspot, company.get("hubspot_owner_id")))
    diff = changed(before, after)
    if not diff:
        return False
    ctx = replace(CustomerContext.from_json(row["ctx"]), company=after["company"], tier=after["tier"],
                  revenue=after["revenue"], owner=after["owner"])
    esc = {**row, "company": row.get("company"), "tier": row.get("tier")}
    stage_label = _stage_label(hubspot, after["stage"])
    metadata = cx.attachment_metadata(esc, ctx, stage=stage_label, priority=after["priority"],
                                      ticket_owner=after["ticket_owner"])
    subtitle = " · ".join(p for p in (ctx.company or ctx.domain, cx.tier_label(ctx.tier)) if p) or None
    links_store.finish_step(db, row["escalation_id"], "hubspot_context", ctx.to_json(), now)  # later steps see it
    linear.create_attachment(row["linear_issue_id"], f"HubSpot ticket #{row['hubspot_ticket_id']}",
                             row["hubspot_ticket_url"], subtitle, metadata)  # same (issue, url): updated in place
    company_changed = bool(COMPANY_FACTS & set(diff))
    if company_changed:  # the context block: this escalation's lines if the issue is its own, and the impact line
        issue = linear.get_issue(row["linear_issue_id"])
        description = issue.description
        if not (row["issue"] or {}).get("attached"):
            description = cx.with_context(description, cx.context_lines(esc, ctx))
        description = cx.with_impact(description, impact_of(links_store.issue_reports(db, issue.id)).line())
        if description != issue.description:
            linear.update_issue(issue.id, description=description)
        impacts.refresh(db, [issue.id])  # and the board's sort by impact
    if company_changed and (row["cust"] or {}).get("id") and ctx.company_id:
        linear.customer_upsert(ctx.company_id, ctx.company or ctx.domain or ctx.company_id,
                               [ctx.domain] if ctx.domain else [], revenue=ctx.revenue, size=ctx.size,
                               tier_name=cx.tier_label(ctx.tier))
    store.remember(db, key, after, str(at_ms), now)
    return True


# -- Linear -> HubSpot ---------------------------------------------------------------------------------------------
def follow_linear(db: Database, settings: Settings, hubspot: HubSpotClient | None, linear: LinearClient | None, *,
                  now: datetime, issues: Iterable[Issue] | None = None) -> FollowSummary:
    """Write Linear's state, assignee and priority changes onto the linked tickets (``issues``: a webhook's)."""
    summary = FollowSummary()
    if settings.local_only or hubspot is None or linear is None or not settings.linear_team:
        return summary
    by_issue: dict[str, list[dict]] = {}
    for row in store.linked(db):
        by_issue.setdefault(row["linear_issue_id"], []).append(row)
    polling = issues is None
    if polling:
        team = linear.team_by_key(settings.linear_team)
        since = _cursor(db, LINEAR_CURSOR, now) - LAG
        issues = linear.issues_updated_since(team.id, since, state_types=None)
    mapping = stage_map(settings.hubspot_stage_map)
    for issue in sorted((i for i in issues if i.id in by_issue), key=lambda i: i.updated_at):
        try:
            comment = linear.latest_comment_starting_with(issue.id, settings.customer_note_marker)
            for row in by_issue[issue.id]:
                summary.updated += _follow_row(db, settings, hubspot, row, issue, comment, mapping, now)
        except AppError as exc:
            summary.failed.append(f"{issue.identifier}: {exc}")
            if polling:
                set_state(db, LINEAR_CURSOR, iso(issue.updated_at + LAG))
            return summary
    if polling:
        set_state(db, LINEAR_CURSOR, iso(now))
    return summary


def _follow_row(db: Database, settings: Settings, hubspot: HubSpotClient, row: dict, issue: Issue, comment: Any,
                mapping: dict[str, str], now: datetime) -> int:
    """One ticket's share of an issue's changes, written by whichever pass (poll or webhook) holds its lease;
    the other skips it, and finds nothing left to write when it next looks."""
    key = f"lease:linear:{row['escalation_id']}"
    claim = store.take_lease(db, key, now, LEASE.total_seconds())
    if claim is None:
        return 0
    try:
        written = int(_apply_linear(db, hubspot, row, issue, mapping, now))
        if comment is not None:
            written += int(_note_comment(db, hubspot, row, issue, comment, settings, now))
        return written
    finally:
        store.drop_lease(db, key, claim)


def follow_issue(db: Database, settings: Settings, hubspot: HubSpotClient | None, linear: LinearClient | None,
                 issue_id: str, *, now: datetime) -> FollowSummary:
    """A webhook's issue, read again now (deliveries arrive out of order), followed onto its tickets."""
    if settings.local_only or hubspot is None or linear is None:
        return FollowSummary()
    issue = linear.find_issue(issue_id)
    return follow_linear(db, settings, hubspot, linear, now=now, issues=[issue] if issue else [])


def _apply_linear(db: Database, hubspot: HubSpotClient, row: dict, issue: Issue, mapping: dict[str, str],
                  now: datetime) -> bool:
    key = f"linear:{row['escalation_id']}"
    stored = store.followed(db, key)
    source_at = iso(issue.updated_at)
    if stored and stored[1] > source_at:
        return False  # an older view of the issue than the one already written (a late webhook or poll)
    diff = changed(stored[0] if stored else None, ticket_values(issue, mapping))
    if not diff:
        return False
    try:
        hubspot.update_ticket(row["hubspot_ticket_id"], diff)  # a PATCH: writing it twice changes nothing
    except AppError as exc:
        if "PROPERTY_DOESNT_EXIST" in str(exc):
            raise ConfigError("HubSpot", "Rotadesk's ticket properties are missing; "
                                         "run `python -m ingest setup-hubspot`") from exc
        raise
    store.remember(db, key, {**(stored[0] if stored else {}), **diff}, source_at, now)
    return True


def _note_comment(db: Database, hubspot: HubSpotClient, row: dict, issue: Issue, comment: Any, settings: Settings,
                  now: datetime) -> bool:
    """A comment marked for the customer becomes a note on the ticket, once per comment."""
    key = f"comment:{row['escalation_id']}"
    stored = store.followed(db, key)
    noted = set((stored[0] if stored else {}).get("noted", []))
    if comment.id in noted:
        return False
    marker = f"Rotadesk ref: comment-{comment.id}"
    text = comment.body[len(settings.customer_note_marker):].strip()
    body = (f"<p>{html.escape(issue.identifier)}, note for the customer:</p>"
            f"<blockquote>{html.escape(text).replace(chr(10), '<br>')}</blockquote><p>{html.escape(marker)}</p>")
    ticket_id = row["hubspot_ticket_id"]
    create_once(lambda: hubspot.create_note(ticket_id, truncate_html(body), timestamp=now),
                lambda: hubspot.find_note(ticket_id, marker), look_first=True)  # a crash may have left it there
    store.remember(db, key, {"noted": sorted(noted | {comment.id})}, iso(comment.created_at), now)
    return True


# -- helpers -------------------------------------------------------------------------------------------------------
def _cursor(db: Database, key: str, now: datetime) -> datetime:
    raw = get_state(db, key)
    return datetime.fromisoformat(raw) if raw else now - FIRST_LOOKBACK


def _owner_name(hubspot: HubSpotClient, owner_id: str | None) -> str | None:
    owner = hubspot.owner(owner_id) if owner_id else None
    return owner.display_name if owner else None


def _stage_label(hubspot: HubSpotClient, stage_id: str | None) -> str | None:
    for pipeline in hubspot.pipelines():
        for stage in pipeline.stages:
            if stage.id == stage_id:
                return stage.label
    return stage_id


def _number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
