"""Handing support over: days covered by someone else, "X is out today", and swap requests asked and answered.

A decided handover is an override (``core.store.rotation``): the plan stays, the calendar, the feeds, routing and
capacity follow it, and the override row is the audit trail (who asked, who decided, when, why).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlite_utils import Database

from core import coverage, rotation
from core.errors import ValidationError
from core.rotation import Override
from core.settings import Settings
from core.store.rotation import absences, check_handover, effective_schedule, list_overrides, record_override, team_day


def cover_days(db: Database, settings: Settings, first_day: date, last_day: date, to_email: str, *,
               requested_by: str, decided_by: str, reason: str, now: datetime) -> Override:
    """``to_email`` covers ``first_day`` to ``last_day`` of one rotation week; the plan itself stays as it is."""
    check_handover(db, to_email, reason)
    if last_day < first_day:
        raise ValidationError(f"The last day {last_day} is before the first day {first_day}.")
    week_start = rotation.week_start_for(first_day, settings.week_start_index)
    if rotation.week_start_for(last_day, settings.week_start_index) != week_start:
        raise ValidationError("An override covers days of one rotation week; add one per week.")
    week = next((w for w in effective_schedule(db) if w.week_start == week_start), None)
    if week is None:
        raise ValidationError(f"There is no rotation week starting {week_start}; regenerate the schedule first.")
    overrides = list_overrides(db)
    away = absences(db, settings, first_day)
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    if all(coverage.on_duty(week, d, overrides, away) == to_email for d in days):
        raise ValidationError(f"{to_email} already covers those days.")
    override = Override(week_start, to_email, coverage.on_duty(week, first_day, overrides, away),
                        requested_by.strip(), decided_by.strip(), reason.strip(), now, first_day, last_day)
    record_override(db, override, now)
    return override


def out_today(db: Database, settings: Settings, email: str, *, decided_by: str, now: datetime) -> Override:
    """"X is out today": the rest of today goes to the week's backup (an override of today), routing with it."""
    day = team_day(now, settings)
    start = rotation.week_start_for(day, settings.week_start_index)
    week = next((w for w in effective_schedule(db) if w.week_start == start), None)
    if week is None or email not in {week.engineer_email, week.backup_email}:
        raise ValidationError(f"{email} is neither the primary nor the backup this week.")
    takes_over = week.backup_email if email == week.engineer_email else week.engineer_email
    if not takes_over or absences(db, settings, day).off(takes_over, day):
        raise ValidationError("Nobody of this week's pair can take over today; hand the day to someone on the "
                              "Cover days tab.")
    return cover_days(db, settings, day, day, takes_over, requested_by=email, decided_by=decided_by,
                      reason=f"{email} is out today", now=now)
