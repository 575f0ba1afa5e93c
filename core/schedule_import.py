"""Reading a schedule kept elsewhere, pure: a spreadsheet's CSV or another tool's iCal file, into rotation weeks.

A team moving to Rotadesk brings its past weeks (they count in fairness) and the weeks it has already promised
(they are kept as published). People are matched to the roster by email or by name; every line that cannot be
read is reported at once, by line (CSV) or by event (iCal), and nothing is imported while any remains.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.errors import ValidationError
from core.roster import Engineer, RosterLookup
from core.schedule import WEEK, week_start_for

MAX_BYTES = 2_000_000  # a decade of weekly rows is a few hundred kilobytes
MAX_PROBLEMS = 20  # said in full; beyond that only counted
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_PERSON = ("email", "engineer", "name", "person", "primary", "on_call", "oncall", "who")
_WEEK = ("week_start", "week", "week_of", "start", "start_date", "date")
_BACKUP = ("backup", "backup_email", "secondary", "backup_name")
_BACKUP_WORDS = ("backup", "secondary")


@dataclass(frozen=True)
class ImportedWeek:
    week_start: date
    engineer_email: str
    backup_email: str | None
    source: str  # "line 4" or "event 2 (On call: Ada)": where it came from, for messages


@dataclass
class ScheduleImport:
    weeks: list[ImportedWeek]
    warnings: list[str] = field(default_factory=list)


def parse_schedule(filename: str, data: bytes, engineers: Sequence[Engineer], *, week_start_index: int,
                   tz: str) -> ScheduleImport:
    """A CSV or iCal file, told apart by its name or, failing that, by its first line."""
    if len(data) > MAX_BYTES:
        raise ValidationError(f"{filename} is larger than {MAX_BYTES // 1_000_000} MB; split it by year.")
    looks_ical = data.lstrip()[:15].upper().startswith(b"BEGIN:VCALENDAR")
    if filename.lower().endswith((".ics", ".ical")) or looks_ical:
        return parse_ical(data, engineers, week_start_index=week_start_index, tz=tz)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{filename} is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8.") from exc
    return parse_csv(text, engineers, week_start_index=week_start_index)


def parse_csv(text: str, engineers: Sequence[Engineer], *, week_start_index: int) -> ScheduleImport:
    """Rows of a person (name or email) and a week start (YYYY-MM-DD, the team's first weekday); optional backup."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ValidationError("The schedule file is empty.")
    columns = [_norm(h).replace(" ", "_").replace("-", "_") for h in header]
    person, week, backup = _column(columns, _PERSON), _column(columns, _WEEK), _column(columns, _BACKUP)
    missing = [what for what, index in (("a person (name or email)", person), ("a week start", week))
               if index is None]
    if missing:
        raise ValidationError(f"The schedule's header ({', '.join(header)}) lacks a column for "
                              f"{' and '.join(missing)}; name them for example 'email' and 'week_start'.")
    people, problems, weeks = RosterLookup(engineers), [], []
    warnings = [f"Column '{h}' is not used." for i, h in enumerate(header)
                if i not in (person, week, backup) and h.strip()]
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = row + [""] * (len(columns) - len(row))
        try:
            start = _week_start(cells[week], week_start_index)
            primary = people.find(cells[person])
            second = people.find(cells[backup]) if backup is not None and cells[backup].strip() else None
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        if second == primary:
            problems.append(f"line {number}: {primary} cannot be their own backup")
            continue
        weeks.append(ImportedWeek(start, primary, second, f"line {number}"))
    return _finish(weeks, problems, warnings)


def parse_ical(data: bytes, engineers: Sequence[Engineer], *, week_start_index: int, tz: str) -> ScheduleImport:
    """Events of another tool's on-call calendar: each names its engineer by attendee, email or name, and covers
    the rotation weeks starting inside it (or the one it falls in). Events titled backup or secondary name the
    week's backup."""
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(data)
    except ValueError as exc:
        raise ValidationError(f"The calendar file cannot be read: {exc}") from exc
    zone, people = ZoneInfo(tz), RosterLookup(engineers)
    primaries: dict[date, tuple[str, str]] = {}
    backups: dict[date, tuple[str, str]] = {}
    problems: list[str] = []
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        summary = str(event.get("summary", "")).strip()
        where = f"event {number}" + (f" ({summary[:60]})" if summary else "")
        try:
            if event.get("rrule") is not None:
                raise ValueError("it repeats (RRULE); export the calendar with each occurrence as its own event")
            email = _event_person(event, summary, people)
            starts = _event_weeks(event, zone, week_start_index)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        target = backups if any(word in summary.lower() for word in _BACKUP_WORDS) else primaries
        for start in starts:
            before = target.get(start)
            if before is not None and before[0] != email:
                problems.append(f"{where}: the week of {start} is already {before[0]}'s ({before[1]})")
            target.setdefault(start, (email, where))
    weeks = []
    for start, (email, where) in sorted(primaries.items()):
        second = backups.get(start, (None, ""))[0]
        weeks.append(ImportedWeek(start, email, second if second != email else None, where))
    warnings = [f"{where}: the week of {start} has a backup but no primary; it was left out."
                for start, (_, where) in sorted(backups.items()) if start not in primaries]
    if not weeks and not problems:
        problems.append("the calendar has no on-call events")
    return _finish(weeks, problems, warnings)


def _event_person(event, summary: str, people: RosterLookup) -> str:
    attendees = event.get("attendee")
    attendees = attendees if isinstance(attendees, list) else [attendees] if attendees is not None else []
    addresses = {str(a).split(":", 1)[-1].strip().lower() for a in attendees}
    found = {people.by_email[a] for a in addresses if a in people.by_email}
    if not found:
        found = people.mentioned(summary) or people.mentioned(str(event.get("description", "")))
    if len(found) != 1:
        raise ValueError("names nobody on the roster" if not found
                         else f"names more than one engineer ({', '.join(sorted(found))})")
    return found.pop()


def _event_weeks(event, zone: ZoneInfo, week_start_index: int) -> list[date]:
    if event.get("dtstart") is None:
        raise ValueError("it has no start")
    first = _day(event["dtstart"].dt, zone)
    end = event.get("dtend")
    last = _day(end.dt, zone) if end is not None else first + timedelta(days=1)
    if (last - first).days > 366:
        raise ValueError(f"it lasts from {first} to {last}; an on-call shift is shorter than a year")
    start, inside = week_start_for(first, week_start_index), []
    if start < first:
        start += WEEK
    while start < last:
        inside.append(start)
        start += WEEK
    return inside or [week_start_for(first, week_start_index)]


def _day(value: date | datetime, zone: ZoneInfo) -> date:
    if isinstance(value, datetime):
        return (value.astimezone(zone) if value.tzinfo else value).date()
    return value


def _week_start(text: str, week_start_index: int) -> date:
    value = text.strip()
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"week start '{value}' is not a date (write it as YYYY-MM-DD)") from None
    if day.weekday() != week_start_index:
        raise ValueError(f"{day} is a {WEEKDAYS[day.weekday()]}; rotation weeks start on a "
                         f"{WEEKDAYS[week_start_index]} (ROTADESK_WEEK_START)")
    return day


def _finish(weeks: list[ImportedWeek], problems: list[str], warnings: list[str]) -> ScheduleImport:
    seen: dict[date, ImportedWeek] = {}
    for week in weeks:
        other = seen.setdefault(week.week_start, week)
        if other is not week and (other.engineer_email, other.backup_email) != (week.engineer_email,
                                                                                 week.backup_email):
            problems.append(f"{week.source}: the week of {week.week_start} is already given to "
                            f"{other.engineer_email} on {other.source}")
    if problems:
        more = len(problems) - MAX_PROBLEMS
        raise ValidationError("Schedule not imported. " + "; ".join(problems[:MAX_PROBLEMS])
                              + (f"; and {more} more." if more > 0 else "."))
    if not seen:
        raise ValidationError("The schedule file has a header but no weeks.")
    return ScheduleImport(sorted(seen.values(), key=lambda w: w.week_start), warnings)


def _column(columns: list[str], names: tuple[str, ...]) -> int | None:
    return next((columns.index(n) for n in names if n in columns), None)


def _norm(text: str) -> str:
    return " ".join(str(text).split()).lower()
