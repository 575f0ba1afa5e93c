"""Importing a schedule kept elsewhere: past weeks become history that counts in fairness, planned weeks are kept
as published, and the rest of the plan is worked out around them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlite_utils import Database

from core import rotation
from core.errors import ValidationError
from core.rotation import RotationWeek
from core.schedule_import import parse_schedule
from core.settings import Settings
from core.store import iso
from core.store.rotation import list_engineers, load_schedule, regenerate, save_schedule, team_day

IMPORTED_NOTE = "imported"


@dataclass
class ImportResult:
    past: int  # weeks before this one: history the fairness counts start from
    planned: int  # this week and later: kept as published
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"Imported {self.past} past week{'s' * (self.past != 1)} and {self.planned} planned "
                f"week{'s' * (self.planned != 1)}; the rest of the plan now counts them.")


def import_schedule(db: Database, settings: Settings, filename: str, data: bytes, *, now: datetime) -> ImportResult:
    """Read ``data`` (CSV or iCal) and write its weeks over what was planned for them, keeping the file."""
    engineers = list_engineers(db)
    parsed = parse_schedule(filename, data, engineers, week_start_index=settings.week_start_index,
                            tz=settings.team_timezone)
    current = rotation.week_start_for(team_day(now, settings), settings.week_start_index)
    active = {e.email for e in engineers if e.active}
    problems = [f"{w.source}: {who} is no longer active and cannot take the week of {w.week_start}"
                for w in parsed.weeks if w.week_start >= current
                for who in (w.engineer_email, w.backup_email) if who and who not in active]
    if problems:
        raise ValidationError("Schedule not imported. " + "; ".join(problems) + ".")
    existing = {w.week_start: w for w in load_schedule(db)}
    weeks = []
    for week in parsed.weeks:
        old = existing.get(week.week_start)
        # A week whose person changes gets a higher SEQUENCE, so subscribed calendars replace their event.
        sequence = old.sequence + (old.engineer_email != week.engineer_email) if old else 0
        weeks.append(RotationWeek(week.week_start, week.engineer_email, True, sequence, IMPORTED_NOTE,
                                  week.backup_email))
    with db.atomic():
        db["schedule_imports"].insert({"filename": filename, "content": data, "weeks": len(weeks), "at": iso(now)})
        save_schedule(db, weeks)
    schedule = regenerate(db, settings, now)
    past = sum(w.week_start < current for w in weeks)
    return ImportResult(past, len(weeks) - past, [*parsed.warnings, *schedule.warnings])
