"""Store side of reassigning a week's open Linear issues when an override takes effect (``core.reassign``)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlite_utils import Database

from core.store import iso


def pending(db: Database) -> list[dict]:
    """Overrides whose issues have not all been seen to, oldest decision first."""
    return list(db.query("select o.* from rotation_overrides o left join override_effects e "
                         "on e.override_id = o.id where e.override_id is null order by o.at, o.id"))


def outcomes(db: Database, override_id: int) -> dict[int, str]:
    return {r["escalation_id"]: r["outcome"] for r in db.query(
        "select escalation_id, outcome from override_reassignments where override_id = ?", [override_id])}


def record(db: Database, override_id: int, escalation_id: int, issue_id: str, outcome: str, now: datetime) -> None:
    db["override_reassignments"].insert({"override_id": override_id, "escalation_id": escalation_id,
                                         "linear_issue_id": issue_id, "outcome": outcome, "at": iso(now)},
                                        replace=True)


def mark_done(db: Database, override_id: int, moved: int, now: datetime) -> None:
    db["override_effects"].insert({"override_id": override_id, "moved": moved, "done_at": iso(now)}, replace=True)


def open_issues(db: Database, first: datetime, end: datetime) -> list[tuple[int, str]]:
    """Open escalations received in [first, end) that have a Linear issue, as (escalation id, issue id)."""
    rows = db.query("select e.id, e.received_at, l.linear_issue_id from escalations e join links l "
                    "on l.escalation_id = e.id where e.status = 'open' and l.linear_issue_id is not null "
                    "order by e.id")
    found = []
    for row in rows:
        try:
            received = datetime.fromisoformat(row["received_at"])
        except (TypeError, ValueError):
            continue
        if received.tzinfo is None:
            received = received.replace(tzinfo=timezone.utc)
        if first <= received < end:
            found.append((row["id"], row["linear_issue_id"]))
    return found


