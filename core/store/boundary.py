"""Store functions for the boundary guard: the breaches found per rotation week, and what the pages read.

Imports nothing from ``core.store`` so the schema can register its migrations without a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from sqlite_utils import Database

from core.boundary import Breach


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def escalation_issue_ids(db: Database) -> set[str]:
    """Linear issues that belong to escalations: working on those is the engineer's job that week."""
    return {r["linear_issue_id"] for r in db.query("select linear_issue_id from links where linear_issue_id != ''")}


def save_week(db: Database, breaches: Iterable[Breach], now: datetime) -> int:
    """Record a week's breaches (a breach once seen stays: the work happened); returns how many are new."""
    stamp, new = _iso(now), 0
    with db.atomic():
        for breach in breaches:
            row = {**breach.row(), "checked_at": stamp}
            known = list(db.query("select 1 from boundary_breaches where week_start = ? and issue_id = ?",
                                  [row["week_start"], row["issue_id"]]))
            if not known:
                row["found_at"], new = stamp, new + 1
            db["boundary_breaches"].upsert(row, pk=("week_start", "issue_id"))
        # An issue linked to an escalation since is the queue's work after all.
        db.execute("delete from boundary_breaches where issue_id in "
                   "(select linear_issue_id from links where linear_issue_id != '')")
    return new


def breach_rows(db: Database, since: str = "") -> list[dict]:
    """Stored breaches of the weeks starting on or after ``since`` (an ISO date), oldest week first."""
    return list(db.query("select * from boundary_breaches where week_start >= ? order by week_start, identifier",
                         [since]))


def week_rows(db: Database, week_start: str) -> list[dict]:
    return list(db.query("select * from boundary_breaches where week_start = ? order by identifier", [week_start]))
