"""Open Linear issues follow a handover: when a swap or override takes effect, the week's open escalations whose
issue is still assigned to the outgoing engineer go to whoever covers now.

The worker runs ``reassign_due`` every cycle (gather the overrides in effect, decide per issue, apply). Each issue's
outcome is written before the Linear call ("started") and after it, and an override is marked done only once all
its issues are seen to, so a crash neither reassigns an issue twice nor misses one. Issues someone reassigned by
hand, and closed ones, are left alone; the rows say why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from core.accounts import linear_user_id
from core.linear import LinearClient
from core.linear_models import Issue
from core.schedule import WEEK
from core.settings import Settings
from core.store import reassignments

STALE = timedelta(days=7)  # an override of a week that ended longer ago than this moves nothing (history)
CLOSED_TYPES = ("completed", "canceled")


@dataclass(frozen=True)
class Handover:
    """An override as the reassignment sees it."""

    id: int
    week_start: date
    from_email: str | None
    to_email: str
    at: datetime
    first_day: date | None = None


def midnight(day: date, tz: str) -> datetime:
    """The start of ``day`` in the team's zone, as UTC (rotation days are the team's days)."""
    return datetime.combine(day, time(), ZoneInfo(tz)).astimezone(timezone.utc)


def takes_effect(handover: Handover, tz: str) -> datetime:
    """A swap takes effect when its week starts, a cover on its first day, neither before it was decided."""
    return max(midnight(handover.first_day or handover.week_start, tz), handover.at)


def decide(issue: Issue | None, from_user: str | None, to_user: str | None) -> str:
    """What to do with one issue: ``reassign``, or the reason it stays as it is."""
    if issue is None:
        return "issue gone"
    if issue.state_type in CLOSED_TYPES:
        return "closed"
    if to_user is None:
        return "no Linear user for the engineer now covering"
    if issue.assignee_id == to_user:
        return "already theirs"
    if issue.assignee_id != from_user:
        return "assigned to someone else"
    return "reassign"


def reassign_due(db: Database, settings: Settings, linear: LinearClient, *, now: datetime) -> str:
    """Move the open issues of every override now in effect; returns a summary ("" when nothing moved)."""
    tz, moved, seen = settings.team_timezone, 0, 0
    for handover in map(_handover, reassignments.pending(db)):
        if takes_effect(handover, tz) > now:
            continue
        week_end = midnight(handover.week_start + WEEK, tz)
        count = 0 if week_end + STALE < now else _move(db, linear, handover, midnight(handover.week_start, tz),
                                                       week_end, now)
        reassignments.mark_done(db, handover.id, count, now)
        moved, seen = moved + count, seen + 1
    return f"{moved} open issue(s) reassigned for {seen} handover(s)" if moved else ""


def _move(db: Database, linear: LinearClient, handover: Handover, week_start: datetime, week_end: datetime,
          now: datetime) -> int:
    from_user = linear_user_id(db, linear, handover.from_email) if handover.from_email else None
    to_user = linear_user_id(db, linear, handover.to_email)
    done = reassignments.outcomes(db, handover.id)
    moved = 0
    for escalation_id, issue_id in reassignments.open_issues(db, week_start, week_end):
        if done.get(escalation_id, "started") != "started":
            continue
        issue = linear.find_issue(issue_id)
        outcome = decide(issue, from_user, to_user)
        if outcome == "already theirs" and done.get(escalation_id) == "started":
            outcome = "reassigned"  # the call went through before a crash
        if outcome == "reassign":
            reassignments.record(db, handover.id, escalation_id, issue_id, "started", now)
            linear.update_issue(issue_id, assignee_id=to_user)
            outcome = "reassigned"
        reassignments.record(db, handover.id, escalation_id, issue_id, outcome, now)
        moved += outcome == "reassigned"
    return moved


def _handover(row: dict) -> Handover:
    return Handover(row["id"], date.fromisoformat(row["week_start"]), row["from_email"], row["to_email"],
                    datetime.fromisoformat(row["at"]), date.fromisoformat(row["first_day"]) if row["first_day"]
                    else None)
