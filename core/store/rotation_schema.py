"""Migrations of the rotation tables: backups, overrides for part of a week, swap requests, engineers' calendars.

Kept apart from ``core.store.rotation`` so the schema can register them without an import cycle.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("rotadesk.rotation")


@migrations()
def m001_backup_partial_overrides_and_calendars(db: Database) -> None:
    db["rotation_weeks"].add_column("backup_email", str)
    # Empty first_day: the override is a whole-week swap (every override before this migration was one).
    db["rotation_overrides"].add_column("first_day", str)
    db["rotation_overrides"].add_column("last_day", str)
    db["engineers"].add_column("holiday_country", str)


@migrations()
def m002_swap_requests(db: Database) -> None:
    db["swap_requests"].create(
        {"id": int, "week_start": str, "from_email": str, "to_email": str, "requested_by": str, "reason": str,
         "status": str, "created_at": str, "decided_by": str, "decided_at": str, "note": str},
        pk="id", defaults={"status": "open"},
    )
    db["swap_requests"].create_index(["status", "week_start"])


@migrations()
def m003_feed_generations(db: Database) -> None:
    # Only the generation of each private feed's token; the token itself is derived from ROTADESK_FEED_SECRET.
    db["feed_generations"].create({"scope": str, "generation": int, "rotated_at": str}, pk="scope",
                                  defaults={"generation": 0})


@migrations()
def m004_schedule_imports(db: Database) -> None:
    # The file a schedule was imported from, kept as it came: the imported weeks can always be traced back.
    db["schedule_imports"].create({"id": int, "filename": str, "content": bytes, "weeks": int, "at": str}, pk="id")


@migrations()
def m005_override_reassignments(db: Database) -> None:
    # What happened to each open Linear issue of a week when an override took effect, written before the
    # reassignment ("started") and after it, so a crash in between neither reassigns twice nor misses one.
    db["override_reassignments"].create(
        {"override_id": int, "escalation_id": int, "linear_issue_id": str, "outcome": str, "at": str},
        pk=("override_id", "escalation_id"))
    # An override whose issues have all been seen to; the worker never looks at it again.
    db["override_effects"].create({"override_id": int, "moved": int, "done_at": str}, pk="override_id")
