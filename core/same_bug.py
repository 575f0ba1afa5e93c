"""One issue per bug: attach an escalation to an existing Linear issue ("Same bug as..."), and what it costs.

:func:`same_bug` is what the Escalations page calls. An escalation not linked yet goes through
:func:`core.linking.attach_to_issue`. One already linked to an issue of its own (the worker links every new
escalation at once) is moved: its own issue is marked a duplicate of the target, its ticket points at the
target, and its customer need, ticket attachment and an "also reported" comment land on the target. Each of those
is a journal step, so a crash part-way resumes. The target's context block then shows the customers it has.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from core import context as cx
from core import linking
from core.errors import ValidationError
from core.hubspot import HubSpotClient
from core.impact import Impact, impact_of
from core.linear import Issue, LinearClient
from core.link_steps import ISSUE_NAMESPACE, MERGE_STEPS, issue_id_for
from core.settings import Settings
from core.store import intake as intake_store
from core.store import links as store
from core.store import similar

RESET_ON_MOVE = ("linear_attachment", "linear_need", "linear_comment", "done", *MERGE_STEPS)


@dataclass(frozen=True)
class Candidate:
    """An open Linear issue the escalation may be the same bug as."""

    issue_id: str
    identifier: str
    title: str
    url: str
    score: float | None = None

    @property
    def label(self) -> str:
        return f"{self.identifier} · {self.title}"


def similar_issues(db: Database, escalation_id: int, *, now: datetime, limit: int = 5) -> list[Candidate]:
    """Open linked issues whose title and first report look most like this escalation's subject and body."""
    esc = intake_store.escalation(db, escalation_id)
    if esc is None:
        raise ValidationError(f"There is no escalation {escalation_id}.")
    similar.refresh(db)
    own = (store.link(db, escalation_id) or {}).get("linear_issue_id")
    text = f"{esc.get('subject') or ''}\n{esc.get('body') or ''}"
    return [Candidate(r["linear_issue_id"], r["identifier"] or "", r["title"] or "", r["url"] or "", r["score"])
            for r in similar.similar(db, text, now=now, exclude=own, limit=limit)]


def search_issues(settings: Settings, linear: LinearClient | None, text: str) -> list[Candidate]:
    """Open issues of the team found by identifier (``ENG-42``) or by words of the title."""
    if linear is None or not settings.linear_team:
        raise ValidationError("Searching Linear needs ROTADESK_LINEAR_API_KEY and ROTADESK_LINEAR_TEAM.")
    team = linear.team_by_key(settings.linear_team)
    return [_candidate(i) for i in linear.search_issues(team.id, text)]


def impact(db: Database, linear_issue_id: str) -> Impact | None:
    """The customers behind one linked issue, or None when none is linked to it."""
    reports = store.issue_reports(db, linear_issue_id)
    return impact_of(reports) if reports else None


def current_issue(db: Database, escalation_id: int) -> tuple[str, Impact] | None:
    """The identifier of the issue the escalation is linked to and the customers behind it, when linked."""
    link = store.link(db, escalation_id) or {}
    found = impact(db, link["linear_issue_id"]) if link.get("linear_issue_id") else None
    return (link.get("linear_identifier") or "", found) if found else None


def impacts(db: Database) -> dict[str, Impact]:
    """Every linked issue's impact, by Linear issue id."""
    grouped: dict[str, list[dict]] = {}
    for r in store.issue_reports(db):
        grouped.setdefault(r["linear_issue_id"], []).append(r)
    return {issue_id: impact_of(rows) for issue_id, rows in grouped.items()}


def same_bug(db: Database, settings: Settings, hubspot: HubSpotClient | None, linear: LinearClient | None,
             escalation_id: int, target: str, *, now: datetime) -> linking.LinkResult:
    """Attach escalation ``escalation_id`` to the issue ``target`` (an id or an identifier such as ``ENG-42``)."""
    if settings.local_only or hubspot is None or linear is None:
        raise ValidationError("Same bug as... needs HubSpot and Linear connected (local-only mode has no issues).")
    esc = intake_store.escalation(db, escalation_id)
    if esc is None:
        raise ValidationError(f"There is no escalation {escalation_id}.")
    issue = linear.get_issue(target.strip())
    entry = store.journal(db, escalation_id).get("linear_issue")
    current = entry.detail if entry is not None and entry.complete and isinstance(entry.detail, dict) else None
    if current is None:
        result = linking.attach_to_issue(db, settings, hubspot, linear, escalation_id, issue.id, now=now)
    elif current.get("id") == issue.id:
        result = linking.link_escalation(db, settings, hubspot, linear, escalation_id, now=now)  # finish, if needed
    elif current.get("attached"):
        raise ValidationError(f"Escalation {escalation_id} is already attached to {current.get('identifier')}.")
    else:
        _move(db, escalation_id, current, issue, now)
        result = linking.link_escalation(db, settings, hubspot, linear, escalation_id, now=now)
    if result.status == "linked":
        refresh_context_block(db, linear, issue.id)
    return result


def refresh_context_block(db: Database, linear: LinearClient, issue_id: str) -> None:
    """Write the issue's customer count, tickets, top tier and revenue into its context block (in place)."""
    found = impact(db, issue_id)
    if found is None:
        return
    issue = linear.get_issue(issue_id)
    updated = cx.with_impact(issue.description, found.line())
    if updated != issue.description:
        linear.update_issue(issue_id, description=updated)


def _move(db: Database, escalation_id: int, current: dict, issue: Issue, now: datetime) -> None:
    """Point a linked escalation's journal at ``issue``; the merge steps then do the writes, resumably."""
    own_id = current.get("id")
    esc = intake_store.escalation(db, escalation_id) or {}
    if own_id != issue_id_for(esc.get("message_id") or ""):
        raise ValidationError(f"Escalation {escalation_id} is linked to {current.get('identifier')}, "
                              "which it did not create; move it in Linear.")
    others = [r for r in store.links_for_issue(db, own_id) if r["escalation_id"] != escalation_id]
    if others:
        raise ValidationError(f"{current.get('identifier')} has other customers on it; merge it in Linear instead.")
    detail = {"id": issue.id, "identifier": issue.identifier, "url": issue.url, "title": issue.title,
              "state": issue.state_name, "attached": True, "moved_from": own_id,
              "moved_from_identifier": current.get("identifier"),
              "relation_id": str(uuid.uuid5(ISSUE_NAMESPACE, f"duplicate:{own_id}:{issue.id}"))}
    with store.write(db):
        for step in RESET_ON_MOVE:
            db["journal"].delete_where("escalation_id = ? and step = ?", [escalation_id, step])
        store.finish_step(db, escalation_id, "linear_issue", detail, now)
        store.save_link(db, escalation_id, {"linear_issue_id": issue.id, "linear_identifier": issue.identifier,
                                            "linear_url": issue.url, "linear_state": issue.state_name,
                                            "linear_state_type": issue.state_type, "linear_attachment_id": None},
                        now)


def _candidate(issue: Issue) -> Candidate:
    return Candidate(issue.id, issue.identifier, issue.title, issue.url)
