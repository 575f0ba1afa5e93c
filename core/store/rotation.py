"""Store reads and writes for the roster, time off, the rotation schedule and its overrides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from core import coverage, readiness, rotation
from core.calendar_feed import write_feeds
from core.coverage import NOBODY_AWAY, Absences, Segment
from core.errors import ValidationError
from core.roster import Engineer, Unavailability, parse_roster_csv
from core.rotation import Override, Plan, RotationWeek, Schedule
from core.settings import Settings
from core.store import iso, utcnow

FEED_DIR = Path("static")  # Streamlit serves ./static/ at <public_url>/app/static/
MIN_WEEKS_AHEAD = 13


@dataclass
class CalendarView:
    """Everything the Calendar page shows, gathered in one read."""

    engineers: list[Engineer]
    unavailability: list[Unavailability]
    weeks: list[RotationWeek]  # effective: overrides applied
    overrides: list[Override]
    today: date
    current_week: date
    on_support: str | None  # today, day overrides and the backup honoured
    next_up: str | None
    conflicts: list[rotation.Conflict]
    findings: list[readiness.Finding]
    covers: dict[date, list[Segment]] = field(default_factory=dict)  # weeks from this one where someone covers days
    absences: Absences = NOBODY_AWAY


def list_engineers(db: Database) -> list[Engineer]:
    return [Engineer(email=r["email"], name=r["name"], timezone=r["timezone"] or "UTC",
                     start_date=_date(r["start_date"]), active=bool(r["active"]),
                     linear_user_id=r["linear_user_id"] or "", hubspot_owner_id=r["hubspot_owner_id"] or "",
                     holiday_country=r["holiday_country"] or "")
            for r in db.query("select * from engineers order by name, email")]


def upsert_engineers(db: Database, engineers: Sequence[Engineer]) -> None:
    now = utcnow()
    with db.atomic():
        db["engineers"].upsert_all([_engineer_row(e, now) for e in engineers], pk="email")


def save_roster(db: Database, engineers: Sequence[Engineer]) -> list[str]:
    """Make the roster exactly ``engineers``; people left out are deactivated, not deleted (history keeps them)."""
    keep = {e.email for e in engineers}
    gone = [e for e in list_engineers(db) if e.email not in keep and e.active]
    now = utcnow()
    with db.atomic():
        db["engineers"].upsert_all([_engineer_row(e, now) for e in engineers], pk="email")
        for engineer in gone:
            db["engineers"].update(engineer.email, {"active": 0, "updated_at": now})
    return [f"{e.name} ({e.email}) is no longer on the rotation." for e in gone]


def import_roster_csv(db: Database, text: str) -> list[str]:
    """Add or update engineers from CSV text; returns warnings (unused columns and the like)."""
    engineers, warnings = parse_roster_csv(text)
    if not engineers:
        raise ValidationError("The CSV file has a header but no engineers.")
    upsert_engineers(db, engineers)
    return warnings


def list_unavailability(db: Database) -> list[Unavailability]:
    return [Unavailability(email=r["engineer_email"], start=date.fromisoformat(r["start"]),
                           end=date.fromisoformat(r["end"]), kind=r["kind"] or "pto", reason=r["reason"] or "")
            for r in db.query("select * from unavailability order by start, engineer_email")]


def replace_unavailability(db: Database, items: Sequence[Unavailability]) -> None:
    with db.atomic():
        db.execute("delete from unavailability")
        db["unavailability"].insert_all([_unavailability_row(u) for u in items])


def add_unavailability(db: Database, item: Unavailability) -> None:
    if not db["engineers"].count_where("email = ?", [item.email]):
        raise ValidationError(f"{item.email} is not on the roster.")
    db["unavailability"].insert(_unavailability_row(item))


def load_schedule(db: Database) -> list[RotationWeek]:
    return [RotationWeek(date.fromisoformat(r["week_start"]), r["engineer_email"], bool(r["published"]),
                         r["sequence"] or 0, r["note"] or "", r["backup_email"])
            for r in db.query("select * from rotation_weeks order by week_start")]


def save_schedule(db: Database, weeks: Sequence[RotationWeek]) -> None:
    now = utcnow()
    rows = [{"week_start": w.week_start.isoformat(), "engineer_email": w.engineer_email,
             "published": int(w.published), "sequence": w.sequence, "note": w.note, "backup_email": w.backup_email,
             "updated_at": now}
            for w in weeks]
    with db.atomic():
        db["rotation_weeks"].upsert_all(rows, pk="week_start")


def list_overrides(db: Database) -> list[Override]:
    return [Override(date.fromisoformat(r["week_start"]), r["to_email"], r["from_email"], r["requested_by"] or "",
                     r["decided_by"] or "", r["reason"] or "", datetime.fromisoformat(r["at"]) if r["at"] else None,
                     _date(r["first_day"]), _date(r["last_day"]))
            for r in db.query("select * from rotation_overrides order by at, id")]


def accept_swap(db: Database, week_start: date, to_email: str, *, requested_by: str, decided_by: str, reason: str,
                now: datetime) -> Override:
    """Hand a week to ``to_email``, recording who asked, who decided, when and why."""
    check_handover(db, to_email, reason)
    weeks = rotation.apply_overrides(load_schedule(db), list_overrides(db))
    current = next((w for w in weeks if w.week_start == week_start), None)
    if current is None:
        raise ValidationError(f"There is no rotation week starting {week_start}; regenerate the schedule first.")
    if current.engineer_email == to_email:
        raise ValidationError(f"{to_email} already covers the week of {week_start}.")
    override = Override(week_start, to_email, current.engineer_email, requested_by.strip(), decided_by.strip(),
                        reason.strip(), now)
    record_override(db, override, now)
    return override


def check_handover(db: Database, to_email: str, reason: str) -> None:
    if not reason.strip():
        raise ValidationError("Say why the week changes hands; the reason goes into the audit trail.")
    if not db["engineers"].count_where("email = ? and active = 1", [to_email]):
        raise ValidationError(f"{to_email} is not an active engineer on the roster.")


def record_override(db: Database, override: Override, now: datetime) -> None:
    with db.atomic():
        db["rotation_overrides"].insert({
            "week_start": override.week_start.isoformat(), "from_email": override.from_email,
            "to_email": override.to_email, "requested_by": override.requested_by,
            "decided_by": override.decided_by, "reason": override.reason, "at": iso(now),
            "first_day": override.first_day.isoformat() if override.first_day else None,
            "last_day": override.last_day.isoformat() if override.last_day else None})
        # The calendar events of this week change, so their SEQUENCE must rise.
        db.execute("update rotation_weeks set sequence = sequence + 1, updated_at = ? where week_start = ?",
                   [iso(now), override.week_start.isoformat()])


def plan_for(settings: Settings, today: date, weeks_ahead: int | None = None,
             engineers: Sequence[Engineer] = ()) -> Plan:
    """Generation parameters; engineers with a holiday country of their own get that country's holidays."""
    ahead = max(MIN_WEEKS_AHEAD, weeks_ahead if weeks_ahead is not None else settings.rotation_weeks_ahead)
    first, last = today - timedelta(weeks=2), today + timedelta(weeks=ahead + 60)
    team_country = settings.holiday_country.upper()
    calendars = {c: rotation.holiday_dates(c, first, last) for c in
                 {team_country} | {e.holiday_country for e in engineers if e.holiday_country}}
    own = {e.email: calendars[e.holiday_country] for e in engineers
           if e.holiday_country and e.holiday_country != team_country}
    return Plan(weeks_ahead=ahead, freeze_weeks=settings.freeze_weeks, ramp_weeks=settings.new_hire_ramp_weeks,
                week_start_index=settings.week_start_index, holidays=calendars[team_country], engineer_holidays=own)


def absences(db: Database, settings: Settings, today: date) -> Absences:
    """Time off and every engineer's own holidays, for who-covers-which-day questions."""
    plan = plan_for(settings, today, engineers=list_engineers(db))
    return Absences(list_unavailability(db), dict(plan.engineer_holidays), plan.holidays)


def regenerate(db: Database, settings: Settings, today: date | datetime, *, extend_weeks: int = 0) -> Schedule:
    """Plan from this week on and save; past, frozen and swapped weeks stay as they are."""
    schedule = _replan(db, settings, today, extend_weeks)
    save_schedule(db, schedule.weeks)
    return schedule


def preview_regenerate(db: Database, settings: Settings, today: date | datetime) -> list[rotation.Move]:
    """The weeks a regeneration would hand to someone else, saving nothing: shown before it is applied."""
    return rotation.moves(load_schedule(db), _replan(db, settings, today, 0).weeks)


def _replan(db: Database, settings: Settings, today: date | datetime, extend_weeks: int) -> Schedule:
    day = team_day(today, settings)
    existing = load_schedule(db)
    ahead = max(MIN_WEEKS_AHEAD, settings.rotation_weeks_ahead)
    if extend_weeks:
        current = rotation.week_start_for(day, settings.week_start_index)
        last = max((w.week_start for w in existing), default=current)
        ahead = max(ahead, (last - current).days // 7 + 1 + extend_weeks)
    engineers = list_engineers(db)
    schedule = rotation.generate(engineers, list_unavailability(db), today=day,
                                 plan=plan_for(settings, day, ahead, engineers), existing=existing,
                                 overrides=list_overrides(db))
    return schedule


def ensure_schedule(db: Database, settings: Settings, now: datetime) -> Schedule | None:
    """Roll the plan forward when it no longer reaches the configured horizon; None when nothing was needed."""
    if not db["engineers"].count_where("active = 1"):
        return None
    day = team_day(now, settings)
    horizon = rotation.week_start_for(day, settings.week_start_index) + timedelta(
        weeks=max(MIN_WEEKS_AHEAD, settings.rotation_weeks_ahead) - 1)
    if db["rotation_weeks"].count_where("week_start = ?", [horizon.isoformat()]):
        return None
    return regenerate(db, settings, day)


def roll_forward(db: Database, settings: Settings, now: datetime, directory: Path = FEED_DIR) -> Schedule | None:
    """What the worker does every cycle: keep the horizon full, then republish the feeds (unchanged files stay).

    Feeds are rewritten every time, not only when the plan moved, because a swap or override made in the
    dashboard changes them too; ``write_feeds`` leaves unchanged files alone, so this costs a comparison."""
    schedule = ensure_schedule(db, settings, now)
    if db["engineers"].count_where("active = 1"):
        refresh_feeds(db, settings, now, directory)
    return schedule


def effective_schedule(db: Database) -> list[RotationWeek]:
    return rotation.apply_overrides(load_schedule(db), list_overrides(db))


def refresh_feeds(db: Database, settings: Settings, now: datetime, directory: Path = FEED_DIR) -> list[Path]:
    """Rewrite the team and personal iCal feeds from the effective schedule. With private feeds
    (``ROTADESK_FEED_SECRET``) nothing is written and public files left from before are removed."""
    if settings.feed_secret:
        for path in directory.glob("rotation-*.ics"):
            path.unlink(missing_ok=True)
        return []
    return write_feeds(directory, effective_schedule(db), list_engineers(db), now=now, tz=settings.team_timezone,
                       overrides=list_overrides(db), absences=absences(db, settings, team_day(now, settings)))


def open_bug_count(db: Database) -> int:
    return db["escalations"].count_where("status = 'open'")


def current_engineer_email(db: Database, settings: Settings, now: datetime) -> str | None:
    """Who is on support at ``now``; the linking pipeline routes tier-3 escalations to them."""
    return coverage.current_engineer(load_schedule(db), list_overrides(db), now, settings.team_timezone,
                                     settings.week_start_index, absences(db, settings, team_day(now, settings)))


def calendar_view(db: Database, settings: Settings, now: datetime) -> CalendarView:
    engineers = list_engineers(db)
    away = list_unavailability(db)
    overrides = list_overrides(db)
    weeks = rotation.apply_overrides(load_schedule(db), overrides)
    today = team_day(now, settings)
    plan = plan_for(settings, today, engineers=engineers)
    days_away = Absences(away, dict(plan.engineer_holidays), plan.holidays)
    start = rotation.week_start_for(today, settings.week_start_index)
    by_start = {w.week_start: w.engineer_email for w in weeks}
    findings = readiness.check(engineers, away, weeks, today=today, week_start_index=settings.week_start_index,
                               window_weeks=plan.weeks_ahead, open_bugs=open_bug_count(db))
    covers = {}
    for week in weeks:
        if week.week_start >= start:
            parts = coverage.segments(week, overrides, days_away)
            if any(p.covering for p in parts):
                covers[week.week_start] = parts
    on_support = coverage.current_engineer(weeks, overrides, now, settings.team_timezone, settings.week_start_index,
                                           days_away)
    return CalendarView(engineers, away, weeks, overrides, today, start, on_support,
                        by_start.get(start + timedelta(weeks=1)),
                        rotation.conflicts(weeks, engineers, away, today=today, plan=plan), findings, covers,
                        days_away)


def team_day(moment: date | datetime, settings: Settings) -> date:
    if isinstance(moment, datetime):
        return rotation.local_date(moment, settings.team_timezone)
    return moment


def _engineer_row(e: Engineer, now: str) -> dict:
    return {"email": e.email, "name": e.name, "timezone": e.timezone,
            "start_date": e.start_date.isoformat() if e.start_date else None, "active": int(e.active),
            "linear_user_id": e.linear_user_id, "hubspot_owner_id": e.hubspot_owner_id,
            "holiday_country": e.holiday_country, "updated_at": now}


def _unavailability_row(u: Unavailability) -> dict:
    return {"engineer_email": u.email, "kind": u.kind, "start": u.start.isoformat(), "end": u.end.isoformat(),
            "reason": u.reason}


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
