"""Closing the loop: when a linked Linear issue is done, stage one closing reply per HubSpot ticket.

Pure decisions first (outcome, completion key, what to stage or withdraw), then the shell that gathers
links and issue state, decides, and applies the result to HubSpot and the store. Each (issue, ticket,
completion) stages exactly one reply: the ``staging`` row is recorded before HubSpot is called, and a
resumed attempt looks for its task (``find_task``) before creating one.
"""

from __future__ import annotations

import html
import logging
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from core import templates
from core.access import WORKER
from core.context import ref_for
from core.errors import AppError, ValidationError
from core.escalations import DONE_STATUS, WONT_FIX_STATUS
from core.hubspot import HubSpotClient
from core.linear import LinearClient
from core.once import create_once
from core.settings import Settings
from core.store import audit, get_state, iso, set_state
from core.store import replies as store
from core.store.rotation import current_engineer_email

log = logging.getLogger(__name__)

CLOSED_TYPES = ("completed", "canceled")
CURSOR_KEY = "closing.linear_cursor"
FIRST_LOOKBACK = timedelta(days=1)
# The worker's status changes are recorded under the same action names as a person's.
STATUS_ACTIONS = {DONE_STATUS: "escalation.done", WONT_FIX_STATUS: "escalation.wont_fix", "open": "escalation.reopen"}
STAGING_LEASE = timedelta(minutes=5)  # a 'staging' claim older than this belongs to a crashed attempt
TASK_PREFIX = "Send closing reply: "


# Pure decisions
@dataclass(frozen=True)
class IssueState:
    """What closing needs to know about a Linear issue."""

    id: str
    identifier: str
    title: str
    state_name: str
    state_type: str
    done_at: str | None = None
    assignee_name: str | None = None
    labels: tuple[str, ...] = ()
    updated_at: str | None = None

    @property
    def closed(self) -> bool:
        return self.state_type in CLOSED_TYPES


@dataclass(frozen=True)
class StageAction:
    key: str
    link: Mapping[str, Any]
    outcome: str
    subject: str


@dataclass(frozen=True)
class WithdrawAction:
    key: str
    reason: str


@dataclass
class Plan:
    stage: list[StageAction] = field(default_factory=list)
    resume: list[str] = field(default_factory=list)
    withdraw: list[WithdrawAction] = field(default_factory=list)


@dataclass
class Summary:
    """What one pass did, by completion key (``failed`` also names issues that could not be read)."""

    issues: int = 0
    staged: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def merge(self, other: Summary) -> None:
        self.issues += other.issues
        for name in ("staged", "withdrawn", "skipped", "failed"):
            getattr(self, name).extend(getattr(other, name))


@dataclass(frozen=True)
class Timings:
    """Median seconds from Done to staged and from staged to sent (None until there is a sample)."""

    done_to_staged: float | None
    staged_to_sent: float | None
    waiting: int
    sent: int


def issue_state(issue: Any) -> IssueState:
    """An :class:`IssueState` from ``core.linear.Issue``."""
    done = issue.completed_at or issue.canceled_at
    if done is None and issue.state_type in CLOSED_TYPES:
        done = issue.updated_at
    return IssueState(
        issue.id,
        issue.identifier,
        issue.title,
        issue.state_name,
        issue.state_type,
        iso(done) if done else None,
        issue.assignee_name,
        tuple(issue.labels),
        iso(issue.updated_at),
    )


def issue_state_from_link(link: Mapping[str, Any]) -> IssueState:
    """The issue as the store last saw it (local-only mode has no Linear to ask)."""
    kind = link.get("linear_state_type") or ""
    return IssueState(
        link["linear_issue_id"],
        link.get("linear_identifier") or link["linear_issue_id"],
        link.get("subject") or "",
        link.get("linear_state") or "",
        kind,
        (link.get("updated_at") or "") if kind in CLOSED_TYPES else None,
    )


def outcome_for(state_type: str, state_name: str = "", labels: Iterable[str] = ()) -> str | None:
    """fixed, wont_fix or duplicate for a closed state; None while the issue is open."""
    if state_type == "completed":
        return "fixed"
    if state_type == "canceled":
        marked = any(label.casefold() == "duplicate" for label in labels)
        return "duplicate" if marked or state_name.casefold() == "duplicate" else "wont_fix"
    return None


def completion_key(issue_id: str, ticket_id: str, completed_at: str | None) -> str:
    return f"{issue_id}:{ticket_id}:{completed_at}"


def ticket_ref(link: Mapping[str, Any]) -> str:
    return link.get("hubspot_ticket_id") or f"local-{link['escalation_id']}"


def task_subject(link: Mapping[str, Any], issue: IssueState, earlier: int = 0) -> str:
    """The task title; a later completion of the same ticket gets a number so find_task tells them apart."""
    subject = f"{TASK_PREFIX}{link.get('subject') or issue.title}"
    return subject if earlier == 0 else f"{subject} ({earlier + 1})"


def plan(
    issue: IssueState, links: Iterable[Mapping[str, Any]], replies: Iterable[Mapping[str, Any]], *, need_ticket: bool
) -> Plan:
    """What to stage, resume and withdraw for ``issue`` given its links and the replies already recorded."""
    by_key = {r["key"]: r for r in replies}
    result, current = Plan(), set()
    outcome = outcome_for(issue.state_type, issue.state_name, issue.labels)
    for link in links:
        if outcome is None or (need_ticket and not link.get("hubspot_ticket_id")):
            continue
        key = completion_key(issue.id, ticket_ref(link), issue.done_at)
        current.add(key)
        existing = by_key.get(key)
        if existing is None:
            earlier = sum(1 for r in by_key.values() if r.get("hubspot_ticket_id") == ticket_ref(link))
            result.stage.append(StageAction(key, link, outcome, task_subject(link, issue, earlier)))
        elif existing["status"] == "staging":
            result.resume.append(key)
    for key, row in by_key.items():
        if row["status"] in store.ACTIVE and key not in current:
            moved = "was closed again" if issue.closed else "moved back"
            result.withdraw.append(
                WithdrawAction(key, f"{issue.identifier} {moved} to {issue.state_name or 'another state'}")
            )
    return result


def first_name(full_name: str | None) -> str:
    name = (full_name or "").strip()
    if name:
        return name.split()[0]
    return "there"


def customer_note(comment_body: str | None, marker: str) -> str | None:
    """The text of a comment written for the customer (it starts with ``marker``), without the marker."""
    if comment_body and comment_body.startswith(marker):
        return comment_body[len(marker):].strip() or None
    return None


FALLBACK_SUMMARIES = {
    "fixed": "The problem you reported, \u201c{subject}\u201d, is fixed.",
    "answered": "You wrote to us about \u201c{subject}\u201d.",
    "wont_fix": "You wrote to us about \u201c{subject}\u201d.",
    "duplicate": "You wrote to us about \u201c{subject}\u201d.",
}


def fix_summary(note: str | None, subject: str, outcome: str) -> str:
    """The engineer's note for the customer, else one plain sentence naming what the customer reported (their own
    subject line, never the issue's internal title)."""
    if note:
        return note
    return FALLBACK_SUMMARIES.get(outcome, FALLBACK_SUMMARIES["answered"]).format(subject=subject.strip())


def reply_values(link: Mapping[str, Any], issue: IssueState, summary: str, engineer: str | None) -> dict[str, str]:
    return {
        "first_name": first_name(link.get("customer_name")),
        "company": link.get("company") or "your team",
        "issue_title": issue.title,
        "issue_identifier": issue.identifier,
        "fix_summary": summary,
        "ticket_number": link.get("hubspot_ticket_id") or str(link.get("escalation_id") or ""),
        "engineer_name": issue.assignee_name or engineer or "The support team",
    }


def timings(rows: Iterable[Mapping[str, Any]], counts: Mapping[str, int] | None = None) -> Timings:
    """Medians over ``rows``; the waiting and sent numbers from ``counts`` (replies by status) when given, else
    counted in ``rows``."""
    def gap(start: str | None, end: str | None) -> float | None:
        if not start or not end:
            return None
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()

    rows = list(rows)
    staged = [g for r in rows if (g := gap(r.get("done_at"), r.get("staged_at"))) is not None]
    sent = [
        g for r in rows if r.get("status") == "sent" and (g := gap(r.get("staged_at"), r.get("sent_at"))) is not None
    ]
    if counts is None:
        counts = {}
        for r in rows:
            counts[r.get("status")] = counts.get(r.get("status"), 0) + 1
    return Timings(
        statistics.median(staged) if staged else None,
        statistics.median(sent) if sent else None,
        sum(counts.get(status, 0) for status in store.ACTIVE),
        counts.get("sent", 0),
    )


def template_for(saved: Mapping[str, str], outcome: str) -> str:
    return saved.get(outcome) or templates.default_for(outcome)


# Shell: gather -> decide -> apply
def stage_for_issue(
    db: Database,
    settings: Settings,
    hubspot: HubSpotClient | None,
    linear: LinearClient | None,
    issue_id: str,
    *,
    now: datetime,
    issue: IssueState | None = None,
) -> Summary:
    """Stage (or withdraw) the closing replies of one linked issue, re-reading it from Linear first."""
    summary = Summary(issues=1)
    links = store.links_for_issue(db, issue_id)
    if not links and not store.replies_for_issue(db, issue_id):
        log.info("closing: issue %s is not linked to any escalation; nothing to do", issue_id)
        summary.issues = 0
        return summary
    if issue is None and linear is None and not links:
        return summary  # local-only with the link gone: nothing tells us the state
    if issue is None:
        issue = issue_state(linear.get_issue(issue_id)) if linear else issue_state_from_link(links[0])
    if linear is not None:
        status = store.ESCALATION_STATUS_BY_STATE_TYPE.get(issue.state_type, "open")
        for row in store.set_link_state(db, issue_id, issue.state_name, issue.state_type, iso(now)):
            audit.record(db, WORKER, STATUS_ACTIONS[status], f"escalation #{row['id']}",
                         {"status": [row["status"], status], "linear": issue.identifier or issue_id,
                          "linear_state": issue.state_name}, now=now)
    decided = plan(issue, links, store.replies_for_issue(db, issue_id), need_ticket=hubspot is not None)
    for action in decided.withdraw:
        _attempt(
            summary,
            "withdrawn",
            action.key,
            lambda a=action: withdraw(db, settings, hubspot, a.key, now=now, reason=a.reason),
        )
    context = _Context(db, settings, linear, issue, now)
    for action in decided.stage:
        _attempt(summary, "staged", action.key, lambda a=action: _stage_new(context, hubspot, a))
    for key in decided.resume:
        _attempt(summary, "staged", key, lambda k=key: _resume(db, settings, hubspot, k, now))
    return summary


def poll_and_stage(
    db: Database, settings: Settings, hubspot: HubSpotClient | None, linear: LinearClient | None, *, now: datetime
) -> Summary:
    """One polling pass: linked issues changed since the stored cursor, plus any attempt left half done."""
    summary = Summary()
    linked = set(store.linked_issue_ids(db))
    stuck = {r["linear_issue_id"] for r in store.stuck_staging(db, iso(now - STAGING_LEASE))}
    states: dict[str, IssueState | None] = {i: None for i in sorted(stuck)}
    linear_failed = False
    if linear is None:
        states.update({i: None for i in sorted(linked)})  # local-only: the links rows hold the state
    else:
        since = get_state(db, CURSOR_KEY)
        start = datetime.fromisoformat(since) if since else now - FIRST_LOOKBACK
        try:
            states.update({i.id: i for i in _changed_issues(settings, linear, start, linked)})
        except AppError as exc:  # Linear unreachable: keep the cursor, try again next pass
            log.warning("closing: could not read changed issues from Linear: %s", exc)
            summary.failed.append(f"linear: {exc}")
            linear_failed = True
    cursor, failed_at = get_state(db, CURSOR_KEY), []
    for issue_id, known in states.items():
        try:
            done = stage_for_issue(db, settings, hubspot, linear, issue_id, now=now, issue=known)
        except AppError as exc:
            log.warning("closing: issue %s not processed: %s", issue_id, exc)
            done = Summary(failed=[f"{issue_id}: {exc}"])
        summary.merge(done)
        if done.failed and known and known.updated_at:
            failed_at.append(known.updated_at)
        if known and known.updated_at and (cursor is None or known.updated_at > cursor):
            cursor = known.updated_at
    if linear is not None and not linear_failed:
        # A failed issue keeps the cursor at its update time, so the next pass sees it again.
        set_state(db, CURSOR_KEY, min(failed_at) if failed_at else (cursor or iso(now - FIRST_LOOKBACK)))
    return summary


def mark_sent(
    db: Database, settings: Settings, hubspot: HubSpotClient | None, key: str, *, now: datetime, body: str | None = None
) -> dict:
    """Record that a staged reply went out: complete its task and close the ticket (local-only: record only).

    ``body`` is the text as sent; when it differs from the staged one, the task is completed with it so HubSpot
    keeps what the customer actually received.
    """
    row = _require(db, key, "staged")
    edited = body if body is not None and body != row["body"] else None
    if edited is not None:
        _check_body(edited)
    if hubspot is not None and row.get("hubspot_task_id"):
        hubspot.complete_task(row["hubspot_task_id"], body=edited)
        if settings.hubspot_closed_stage:
            hubspot.update_ticket(row["hubspot_ticket_id"], {"hs_pipeline_stage": settings.hubspot_closed_stage})
    store.update_reply(
        db, key, status="sent", sent_at=iso(now), claimed_at=None, **({"body": edited} if edited is not None else {})
    )
    return store.reply(db, key) or row


def edit_reply(db: Database, key: str, body: str, hubspot: HubSpotClient | None = None) -> None:
    """Keep an edited reply text, in the DB and on the staged HubSpot task, so support sees the same words."""
    row = _require(db, key, *store.ACTIVE)
    _check_body(body)
    if hubspot is not None and row["status"] == "staged" and row.get("hubspot_task_id"):
        hubspot.update_task(row["hubspot_task_id"], {"hs_task_body": body})
    store.update_reply(db, key, body=body)


def _check_body(body: str) -> None:
    if not body.strip():
        raise ValidationError("the reply is empty")


def withdraw(
    db: Database, settings: Settings, hubspot: HubSpotClient | None, key: str, *, now: datetime, reason: str
) -> dict:
    """Take back a staged reply: complete its task with a note saying why and restore the ticket's stage."""
    row = _require(db, key, *store.ACTIVE)
    if row["status"] == "staging" and not store.reclaim(db, key, iso(now), iso(now - STAGING_LEASE)):
        raise ValidationError(f"reply {key} is being staged right now; try again shortly")
    ticket_id = row.get("hubspot_ticket_id") or ""
    if hubspot is not None and ticket_id and not ticket_id.startswith("local-"):  # local rows never reached HubSpot
        task_id = row.get("hubspot_task_id") or _task_id(hubspot.find_task(ticket_id, row["subject"]))
        if task_id:
            hubspot.complete_task(task_id)
        marker = f"Rotadesk ref: {ref_for('withdrawn:' + key)}"  # a repeated withdraw finds its note
        text = f"<p>Closing reply withdrawn: {html.escape(reason)}.</p><p>{marker}</p>"
        create_once(lambda: hubspot.create_note(ticket_id, text, timestamp=now),
                    lambda: hubspot.find_note(ticket_id, marker), look_first=True)
        if row.get("previous_stage") and settings.hubspot_staged_stage:
            hubspot.update_ticket(ticket_id, {"hs_pipeline_stage": row["previous_stage"]})
    store.update_reply(db, key, status="withdrawn", withdrawn_at=iso(now), claimed_at=None, error=reason)
    audit.record(db, WORKER, "reply.withdraw", f"reply {key}", {"status": [row["status"], "withdrawn"],
                                                                "reason": reason}, now=now)
    return store.reply(db, key) or row


@dataclass
class _Context:
    db: Database
    settings: Settings
    linear: LinearClient | None
    issue: IssueState
    now: datetime
    _note: str | None = None  # "" once read and there was none

    def note(self) -> str | None:
        """The issue's latest comment for the customer, read once for all its tickets."""
        if self._note is None:
            comment = None
            if self.linear is not None:
                comment = self.linear.latest_comment_starting_with(self.issue.id, self.settings.customer_note_marker)
            self._note = customer_note(comment.body if comment else None, self.settings.customer_note_marker) or ""
        return self._note or None


def _stage_new(ctx: _Context, hubspot: HubSpotClient | None, action: StageAction) -> bool:
    engineer = None if ctx.issue.assignee_name else _engineer_on_support(ctx.db, ctx.settings, ctx.now)
    summary = fix_summary(ctx.note(), action.link.get("subject") or ctx.issue.title, action.outcome)
    values = reply_values(action.link, ctx.issue, summary, engineer)
    body = templates.render(template_for(store.template_bodies(ctx.db), action.outcome), values)
    local = hubspot is None
    row = {
        "key": action.key,
        "escalation_id": action.link["escalation_id"],
        "linear_issue_id": ctx.issue.id,
        "hubspot_ticket_id": ticket_ref(action.link),
        "outcome": action.outcome,
        "body": body,
        "done_at": ctx.issue.done_at,
        "status": "staged" if local else "staging",
        "subject": action.subject,
        "staged_at": iso(ctx.now) if local else None,
        "claimed_at": None if local else iso(ctx.now),
        "issue_identifier": ctx.issue.identifier,
        "state_name": ctx.issue.state_name,
    }
    if not store.claim(ctx.db, row):
        return False  # another pass (webhook or poll) recorded this completion first
    audit.record(ctx.db, WORKER, "reply.stage", f"reply {action.key}",
                 {"escalation_id": row["escalation_id"], "outcome": action.outcome,
                  "linear": ctx.issue.identifier or ctx.issue.id}, now=ctx.now)
    if not local:
        _push(ctx.db, ctx.settings, hubspot, row, ctx.now, resuming=False)
    return True


def stage_one(db: Database, settings: Settings, hubspot: HubSpotClient | None, link: Mapping[str, Any],
              issue: IssueState, outcome: str, *, now: datetime) -> str | None:
    """Stage the closing reply of one ticket for ``issue`` (an escalation closed by hand passes an issue of its
    own); returns the reply's key, or None when that completion was staged before."""
    key = completion_key(issue.id, ticket_ref(link), issue.done_at)
    action = StageAction(key, link, outcome, task_subject(link, issue))
    return key if _stage_new(_Context(db, settings, None, issue, now), hubspot, action) else None


def _resume(db: Database, settings: Settings, hubspot: HubSpotClient | None, key: str, now: datetime) -> bool:
    if hubspot is None or not store.reclaim(db, key, iso(now), iso(now - STAGING_LEASE)):
        return False
    _push(db, settings, hubspot, store.reply(db, key) or {}, now, resuming=True)
    return True


def _push(
    db: Database, settings: Settings, hubspot: HubSpotClient, row: dict, now: datetime, *, resuming: bool
) -> None:
    """Task, note and stage in HubSpot, recording progress so a retry repeats nothing."""
    key, ticket_id = row["key"], row["hubspot_ticket_id"]
    try:
        ticket = hubspot.get_ticket(ticket_id)
        if ticket is None:
            raise ValidationError(f"HubSpot ticket {ticket_id} no longer exists")
        if row.get("previous_stage") is None and ticket.stage and ticket.stage != settings.hubspot_staged_stage:
            store.update_reply(db, key, previous_stage=ticket.stage)
        task_id = row.get("hubspot_task_id")
        if not task_id and resuming:  # the task may exist from the attempt that crashed before recording it
            task_id = _task_id(hubspot.find_task(ticket_id, row["subject"]))
        if not task_id:
            task_id = create_once(
                lambda: hubspot.create_task(
                    ticket_id, row["subject"], row["body"], ticket.owner_id, now, "EMAIL", "NOT_STARTED"),
                lambda: hubspot.find_task(ticket_id, row["subject"])).id
        store.update_reply(db, key, hubspot_task_id=task_id)
        if not row.get("note_id"):
            label = templates.OUTCOME_LABELS.get(row["outcome"], row["outcome"])
            marker = f"Rotadesk ref: {ref_for('staged:' + key)}"  # the note is found again by this, read by id
            text = (
                f"<p>Linear {html.escape(row['issue_identifier'] or '')} is "
                f"{html.escape(row['state_name'] or '')} ({label}). A closing reply is staged as a task.</p>"
                f"<p>{marker}</p>"
            )
            note = create_once(lambda: hubspot.create_note(ticket_id, text, ticket.owner_id, now),
                               lambda: hubspot.find_note(ticket_id, marker), look_first=resuming)
            store.update_reply(db, key, note_id=note.id)
        if settings.hubspot_staged_stage:
            hubspot.update_ticket(ticket_id, {"hs_pipeline_stage": settings.hubspot_staged_stage})
        _set_issue_state(hubspot, ticket_id, row.get("state_name") or "")
    except AppError as exc:
        store.update_reply(db, key, claimed_at=None, error=str(exc))  # released: the next pass resumes it
        raise
    store.update_reply(db, key, status="staged", staged_at=iso(now), claimed_at=None, error=None)


def _set_issue_state(hubspot: HubSpotClient, ticket_id: str, state_name: str) -> None:
    """Mirror the Linear state on the ticket's ``linear_issue_state`` property when the portal has it."""
    try:
        hubspot.update_ticket(ticket_id, {"linear_issue_state": state_name})
    except AppError as exc:
        if getattr(exc, "status_code", None) != 400:
            raise
        log.warning("closing: ticket %s has no linear_issue_state property (run setup-hubspot): %s", ticket_id, exc)


def _changed_issues(settings: Settings, linear: LinearClient, since: datetime, linked: set[str]) -> list[IssueState]:
    if settings.linear_team:
        team = linear.team_by_key(settings.linear_team)
        found = linear.issues_updated_since(team.id, since, state_types=None)
        return [issue_state(i) for i in found if i.id in linked]
    # Without a team key, read each linked issue (slower, still correct).
    states = (issue_state(linear.get_issue(i)) for i in sorted(linked))
    return [s for s in states if s.updated_at and s.updated_at >= iso(since)]


def _engineer_on_support(db: Database, settings: Settings, now: datetime) -> str | None:
    try:
        return store.engineer_name(db, current_engineer_email(db, settings, now))
    except (AppError, ValueError, LookupError) as exc:
        log.info("closing: no engineer on support found (%s)", exc)
        return None


def _attempt(summary: Summary, outcome: str, key: str, action: Any) -> None:
    try:
        done = action()
    except AppError as exc:
        log.warning("closing: %s failed: %s", key, exc)
        summary.failed.append(f"{key}: {exc}")
        return
    if done is False:
        summary.skipped.append(key)
    else:
        getattr(summary, outcome).append(key)


def _require(db: Database, key: str, *statuses: str) -> dict:
    row = store.reply(db, key)
    if row is None:
        raise ValidationError(f"no staged reply {key}")
    if row["status"] not in statuses:
        raise ValidationError(f"reply {key} is {row['status']}, not {' or '.join(statuses)}")
    return row


def _task_id(task: Any) -> str | None:
    return task.id if task is not None else None
