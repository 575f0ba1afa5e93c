"""The boundary guard, pure: during a rotation week the queue is the engineer's only deliverable.

An issue assigned to the engineer on support that is not an escalation's issue breaches the boundary in their
week when it was *in progress* (started before the week ended and still started), *moved* by them (a state
change they made in the week) or *commented* on by them in the week. The shell
(``core.boundary_sync``) reads the issues from Linear and stores the breaches; the pages read the store.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core.linear_models import AssignedIssue
from core.slack import mrkdwn_escape

REASONS = ("in progress", "moved", "commented")


@dataclass(frozen=True)
class Breach:
    """One issue that took the engineer on support away from the queue in their week."""

    week_start: date
    engineer_email: str
    issue_id: str
    identifier: str
    url: str
    title: str
    state_name: str
    reasons: tuple[str, ...]
    last_at: datetime | None  # the latest of their moves and comments in the week

    def row(self) -> dict[str, Any]:
        return {"week_start": self.week_start.isoformat(), "issue_id": self.issue_id,
                "engineer_email": self.engineer_email, "identifier": self.identifier, "url": self.url,
                "title": self.title, "state_name": self.state_name, "reasons": ", ".join(self.reasons),
                "last_at": self.last_at.isoformat() if self.last_at else None}


@dataclass(frozen=True)
class WeekBreaches:
    """A rotation week's breaches, as the Calendar and Capacity pages list them."""

    week_start: str
    engineer_email: str
    issues: tuple[dict[str, Any], ...]

    @property
    def count(self) -> int:
        return len(self.issues)


def breach_of(issue: AssignedIssue, *, week_start: date, start: datetime, end: datetime, user_id: str,
              engineer_email: str) -> Breach | None:
    """The breach ``issue`` makes in the week [start, end), or ``None`` when it stayed out of the week."""
    moves = [at for at, actor, _ in issue.moves if start <= at < end and actor == user_id]
    comments = [at for at in issue.comment_times if start <= at < end]
    in_progress = issue.state_type == "started" and issue.started_at is not None and issue.started_at < end
    reasons = tuple(reason for reason, hit in zip(REASONS, (in_progress, moves, comments)) if hit)
    if not reasons:
        return None
    return Breach(week_start, engineer_email, issue.id, issue.identifier, issue.url, issue.title, issue.state_name,
                  reasons, max([*moves, *comments], default=None))


def breaches(issues: Iterable[AssignedIssue], *, week_start: date, start: datetime, end: datetime, user_id: str,
             engineer_email: str, escalation_issue_ids: Collection[str]) -> list[Breach]:
    """Every breach of the week, leaving out the escalations' own issues (those are the engineer's job)."""
    found = (breach_of(i, week_start=week_start, start=start, end=end, user_id=user_id,
                       engineer_email=engineer_email)
             for i in issues if i.id not in escalation_issue_ids)
    return sorted((b for b in found if b is not None), key=lambda b: b.identifier)


def by_week(rows: Iterable[dict[str, Any]]) -> list[WeekBreaches]:
    """Stored breach rows grouped per rotation week, newest week first."""
    weeks: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        weeks.setdefault(str(row["week_start"])[:10], []).append(row)
    return [WeekBreaches(week, items[0].get("engineer_email") or "",
                         tuple(sorted(items, key=lambda r: str(r.get("identifier")))))
            for week, items in sorted(weeks.items(), reverse=True)]


def counts(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Breaches per week start (ISO date), for the retro."""
    out: dict[str, int] = {}
    for row in rows:
        key = str(row["week_start"])[:10]
        out[key] = out.get(key, 0) + 1
    return out


def notice(week: WeekBreaches, engineer_name: str, public_url: str) -> str:
    """The engineering manager's Slack note about a week's breaches; titles are escaped, so they can never mention."""
    who = mrkdwn_escape(engineer_name or week.engineer_email)
    lines = [f"Boundary guard: {who} worked on {week.count} non-escalation issue{'s' if week.count != 1 else ''} "
             f"during their support week of {week.week_start}."]
    lines += [f"- {r['identifier']} {mrkdwn_escape(r['title'] or '')} ({r['reasons']})" for r in week.issues]
    lines.append(f"Calendar: {public_url.rstrip('/')}/calendar")
    return "\n".join(lines)


def summary(weeks: Sequence[WeekBreaches]) -> str:
    """``"2 breaches in 1 week"``, for the worker's log."""
    total = sum(w.count for w in weeks)
    return f"{total} breach{'es' if total != 1 else ''} in {len(weeks)} week{'s' if len(weeks) != 1 else ''}"
