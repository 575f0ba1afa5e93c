"""Handing support over: days covered by someone else, "X is out today", and swap requests asked and answered.

A decided handover is an override (``core.store.rotation``): the plan stays, the calendar, the feeds, routing and
capacity follow it, and the override row is the audit trail (who asked, who decided, when, why).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlite_utils import Database

from core import coverage, rotation
from core.errors import ValidationError
from core.rotation import Override
from core.settings import Settings
from core.store import iso
from core.store.rotation import (
    absences,
    accept_swap,
    check_handover,
    effective_schedule,
    list_overrides,
    record_override,
    team_day,
)


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


@dataclass(frozen=True)
class SwapRequest:
    """One engineer asks another to take a week; the other accepts (the week changes hands) or declines."""

    id: int
    week_start: date
    from_email: str | None
    to_email: str
    requested_by: str
    reason: str
    status: str  # open, accepted, declined
    created_at: str
    decided_by: str = ""
    decided_at: str = ""


def ask_swap(db: Database, week_start: date, to_email: str, *, requested_by: str, reason: str,
             now: datetime) -> SwapRequest:
    """Ask ``to_email`` to take the week of ``week_start``; nothing changes until they accept."""
    check_handover(db, to_email, reason)
    week = next((w for w in effective_schedule(db) if w.week_start == week_start), None)
    if week is None:
        raise ValidationError(f"There is no rotation week starting {week_start}; regenerate the schedule first.")
    if week.engineer_email == to_email:
        raise ValidationError(f"{to_email} already covers the week of {week_start}.")
    if db["swap_requests"].count_where("status = 'open' and week_start = ? and to_email = ?",
                                       [week_start.isoformat(), to_email]):
        raise ValidationError(f"{to_email} has already been asked about the week of {week_start}.")
    row = {"week_start": week_start.isoformat(), "from_email": week.engineer_email, "to_email": to_email,
           "requested_by": requested_by.strip(), "reason": reason.strip(), "status": "open", "created_at": iso(now)}
    row_id = db["swap_requests"].insert(row).last_pk
    return _request(db["swap_requests"].get(row_id))


def swap_requests(db: Database, *, status: str | None = "open") -> list[SwapRequest]:
    where, args = ("where status = ?", [status]) if status else ("", [])
    return [_request(r) for r in db.query(f"select * from swap_requests {where} order by week_start, id", args)]


def answer_swap(db: Database, request_id: int, *, accept: bool, decided_by: str, now: datetime) -> SwapRequest:
    """Accept (the week changes hands, with the request's reason in the audit trail) or decline an open request.

    Safe to repeat after a crash between the handover and the status update: a week already handed to the asked
    engineer is not handed again."""
    rows = list(db.query("select * from swap_requests where id = ?", [request_id]))
    if not rows:
        raise ValidationError(f"There is no swap request {request_id}.")
    request = _request(rows[0])
    if request.status != "open":
        raise ValidationError(f"That request was already {request.status}.")
    if accept:
        week = next((w for w in effective_schedule(db) if w.week_start == request.week_start), None)
        if week is None or week.engineer_email != request.to_email:
            accept_swap(db, request.week_start, request.to_email, requested_by=request.requested_by,
                        decided_by=decided_by or request.to_email, reason=request.reason, now=now)
    db["swap_requests"].update(request_id, {"status": "accepted" if accept else "declined",
                                            "decided_by": decided_by or request.to_email, "decided_at": iso(now)})
    return _request(db["swap_requests"].get(request_id))


def _request(row: dict) -> SwapRequest:
    return SwapRequest(row["id"], date.fromisoformat(row["week_start"]), row["from_email"], row["to_email"],
                       row["requested_by"] or "", row["reason"] or "", row["status"], row["created_at"] or "",
                       row["decided_by"] or "", row["decided_at"] or "")
