"""Store functions for planning: the rows the retro reads, and the planning meetings that reviewed handoffs.

Imports nothing from ``core.store`` so the schema can register its migrations without a cycle.
"""

from __future__ import annotations

import json

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from core import retro

migrations = Migrations("rotadesk.planning")


@migrations()
def m001_planning_reviews(db: Database) -> None:
    # One row per planning meeting: when it marked the handoffs in front of it as reviewed, and which ones.
    db["planning_reviews"].create({"id": int, "reviewed_at": str, "by": str, "handoff_weeks": str}, pk="id")


@migrations()
def m002_pulses(db: Database) -> None:
    # The one-question pulse after each rotation week, one answer per role (a second answer replaces the first).
    db["pulses"].create({"week_start": str, "role": str, "rating": int, "comment": str, "submitted_at": str},
                        pk=("week_start", "role"))


@migrations()
def m003_closed_at_index(db: Database) -> None:
    # The retro reads what was closed in its period: an index search rather than a scan of every escalation.
    db["escalations"].create_index(["closed_at"], index_name="idx_escalations_closed_at", if_not_exists=True)


def save_pulses(db: Database, week_start: str, answers: dict[str, tuple[int | None, str]], now: str) -> int:
    """Save the rated answers of a week's pulse (role -> (rating, comment)); returns how many were saved."""
    rows = []
    for role, (rating, comment) in answers.items():
        rating, comment = retro.validate_pulse(role, rating, comment)
        if rating is not None:
            rows.append({"week_start": week_start, "role": role, "rating": rating, "comment": comment or None,
                         "submitted_at": now})
    db["pulses"].upsert_all(rows, pk=("week_start", "role"))
    return len(rows)


def pulses(db: Database) -> list[dict]:
    return list(db.query("select * from pulses order by week_start, role"))


def retro_rows(db: Database, since: str) -> list[dict]:
    """Escalations received or closed since ``since``, or still open, with what the retro needs of each."""
    return list(db.query(
        "select e.id, e.received_at, e.closed_at, e.status, e.support_tier, e.customer_domain, c.revenue, "
        "l.linear_identifier, "
        "(select j.at from journal j where j.escalation_id = e.id and j.step = 'linear_issue' "
        " and j.status = 'done') as triaged_at, "
        "(select max(f.received_at) from followups f where f.escalation_id = e.id) as last_followup_at, "
        "exists(select 1 from handbacks h where h.escalation_id = e.id) as handed_back "
        "from escalations e left join links l on l.escalation_id = e.id "
        "left join customers c on c.domain = e.customer_domain "
        # Three index searches instead of one scan for the OR.
        "where e.id in (select id from escalations where received_at >= ? union "
        "select id from escalations where status = 'open' union "
        "select id from escalations where closed_at >= ?) order by e.received_at", [since, since]))


def last_review(db: Database) -> dict | None:
    rows = list(db.query("select * from planning_reviews order by reviewed_at desc, id desc limit 1"))
    return {**rows[0], "handoff_weeks": json.loads(rows[0]["handoff_weeks"] or "[]")} if rows else None


def mark_reviewed(db: Database, handoff_weeks: list[str], by: str, now: str) -> int:
    """Close the set of handoffs the meeting reviewed; the next meeting sees only those submitted after ``now``."""
    return int(db["planning_reviews"].insert({"reviewed_at": now, "by": by.strip() or None,
                                              "handoff_weeks": json.dumps(sorted(handoff_weeks))}).last_pk)
