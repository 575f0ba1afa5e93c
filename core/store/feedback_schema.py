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
