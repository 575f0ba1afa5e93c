"""Migrations of the feedback loop's tables: boundary breaches, and handoffs posted to Linear.

Kept apart from the modules that read and write them so the schema can register them without an import cycle.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("rotadesk.feedback")


@migrations()
def m001_boundary_breaches(db: Database) -> None:
    # One row per (rotation week, Linear issue) that took the engineer on support away from the queue.
    db["boundary_breaches"].create(
        {"week_start": str, "issue_id": str, "engineer_email": str, "identifier": str, "url": str, "title": str,
         "state_name": str, "reasons": str, "last_at": str, "found_at": str, "checked_at": str},
        pk=("week_start", "issue_id"))


@migrations()
def m002_handoff_posts(db: Database) -> None:
    # One row per rotation week whose handoff is posted to Linear. The key is written before the create and goes
    # with it as the document's or comment's id, so a run that crashed after creating reads it back instead.
    db["handoff_posts"].create(
        {"week_start": str, "target": str, "key": str, "status": str, "linear_id": str, "url": str,
         "posted_submitted_at": str, "attempted_at": str, "created_at": str, "updated_at": str},
        pk="week_start", defaults={"status": "pending"})


@migrations()
def m003_linear_cycles(db: Database) -> None:
    # The team's Linear cycles, read by the worker, so the planning view can show the rotation per cycle.
    db["linear_cycles"].create(
        {"id": str, "team_key": str, "number": int, "name": str, "starts_at": str, "ends_at": str, "synced_at": str},
        pk="id")
