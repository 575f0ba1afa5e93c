"""The support roster: engineers, their time off and critical-path periods.

Rows come from the Calendar page's data editor or a CSV file; both pass through the validators here, which
collect every problem and raise one ``ValidationError`` naming the row and the field.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import ValidationError

KINDS = {"pto": "PTO", "critical": "critical path"}
ROSTER_COLUMNS = ("name", "email", "timezone", "start_date", "active", "linear_user_id", "hubspot_owner_id",
                  "holiday_country")
_ALIASES = {"time_zone": "timezone", "tz": "timezone", "start": "start_date", "started": "start_date",
            "linear_user": "linear_user_id", "hubspot_owner": "hubspot_owner_id", "e-mail": "email", "mail": "email",
            "country": "holiday_country", "holidays": "holiday_country"}
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_TRUE = {"1", "true", "yes", "y", "on", "x", "active"}
_FALSE = {"0", "false", "no", "n", "off", "inactive"}
_PUNCTUATION = re.compile(r"[^\w@.+-]")  # one character class: linear time


@dataclass(frozen=True)
class Engineer:
    email: str
    name: str
    timezone: str = "UTC"
    start_date: date | None = None
    active: bool = True
    linear_user_id: str = ""
    hubspot_owner_id: str = ""
    holiday_country: str = ""  # whose public holidays they keep; empty: the team's (ROTADESK_HOLIDAY_COUNTRY)


@dataclass(frozen=True)
class Unavailability:
    """A range (inclusive) when an engineer must not rotate: PTO, or critical-path work with a reason."""

    email: str
    start: date
    end: date
    kind: str = "pto"
    reason: str = ""

    def overlaps(self, first: date, last: date) -> bool:
        return self.start <= last and first <= self.end


class RosterLookup:
    """Roster look-up by email or by name, both case-insensitive; a name two engineers share must be an email."""

    def __init__(self, engineers: Sequence[Engineer]) -> None:
        self.by_email = {e.email.lower(): e.email for e in engineers}
        self.by_name: dict[str, str | None] = {}
        for e in engineers:
            key = _folded(e.name)
            self.by_name[key] = None if key in self.by_name else e.email

    def find(self, text: str) -> str:
        key = _folded(text)
        if not key:
            raise ValueError("nobody is named")
        if key in self.by_email:
            return self.by_email[key]
        if key in self.by_name:
            if self.by_name[key] is None:
                raise ValueError(f"two engineers are called '{text.strip()}'; use the email instead")
            return self.by_name[key]
        raise ValueError(f"'{text.strip()}' is not on the roster (add them first, inactive if they have left)")

    def mentioned(self, text: str) -> set[str]:
        """Engineers whose email or unique name appears in ``text`` (plain substring search, linear per name)."""
        tokens = (t.strip(".-+") for t in _PUNCTUATION.sub(" ", text.lower()).split())
        words = f" {' '.join(tokens)} "  # whole words only: Al is not Alice
        found = {email for key, email in self.by_email.items() if f" {key} " in words}
        found |= {email for key, email in self.by_name.items() if email and key and f" {key} " in words}
        return found


def validate_roster(rows: Iterable[Mapping[str, Any]]) -> list[Engineer]:
    """Engineers from editor or CSV rows; blank rows are skipped, every problem is reported at once."""
    engineers: list[Engineer] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if all(_text(v) == "" for v in row.values()):
            continue
        try:
            engineer = validate_engineer(row)
        except ValidationError as exc:
            problems.append(f"row {number}: {exc}")
            continue
        if engineer.email in seen:
            problems.append(f"row {number}: {engineer.email} appears more than once")
        seen.add(engineer.email)
        engineers.append(engineer)
    if problems:
        raise ValidationError("Roster not saved. " + "; ".join(problems))
    return engineers


def validate_engineer(row: Mapping[str, Any]) -> Engineer:
    problems: list[str] = []
    name = _text(row.get("name"))
    email = _text(row.get("email")).lower()
    if not name:
        problems.append("name is missing")
    if not _EMAIL.match(email):
        problems.append(f"email {email!r} is not an address" if email else "email is missing")
    tz = _text(row.get("timezone")) or "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"time zone {tz!r} is unknown (use an IANA name such as Europe/Berlin)")
    start = _date(row.get("start_date"), "start date", problems)
    active = _bool(row.get("active"), problems)
    country = _text(row.get("holiday_country")).upper()
    if country and country not in _supported_countries():
        problems.append(f"holiday country {country!r} is unknown (use a code such as DE or US)")
    if problems:
        raise ValidationError(", ".join(problems))
    return Engineer(email=email, name=name, timezone=tz, start_date=start, active=active,
                    linear_user_id=_text(row.get("linear_user_id")),
                    hubspot_owner_id=_text(row.get("hubspot_owner_id")), holiday_country=country)


def validate_unavailability(rows: Iterable[Mapping[str, Any]], known_emails: Iterable[str]) -> list[Unavailability]:
    """Time-off and critical-path rows; the engineer must be on the roster and the range must not run backwards."""
    known = {e.lower() for e in known_emails}
    items: list[Unavailability] = []
    problems: list[str] = []
    for number, row in enumerate(rows, start=1):
        if all(_text(v) == "" for v in row.values()):
            continue
        row_problems: list[str] = []
        email = _text(row.get("email") or row.get("engineer_email")).lower()
        if email not in known:
            row_problems.append(f"{email or 'email'} is not on the roster")
        kind = (_text(row.get("kind")) or "pto").lower().replace("-", "_").replace(" ", "_")
        kind = "critical" if kind in {"critical_path", "critical"} else kind
        if kind not in KINDS:
            row_problems.append(f"kind {kind!r} must be pto or critical")
        start = _date(row.get("start"), "start", row_problems)
        end = _date(row.get("end"), "end", row_problems) or start
        reason = _text(row.get("reason"))
        if start is None and not any("start" in p for p in row_problems):
            row_problems.append("start is missing")
        if start and end and end < start:
            row_problems.append(f"end {end} is before start {start}")
        if kind == "critical" and not reason:
            row_problems.append("critical-path periods need a reason")
        if row_problems:
            problems.append(f"row {number}: " + ", ".join(row_problems))
        elif start and end:
            items.append(Unavailability(email=email, start=start, end=end, kind=kind, reason=reason))
    if problems:
        raise ValidationError("Time off not saved. " + "; ".join(problems))
    return items


def parse_roster_csv(text: str) -> tuple[list[Engineer], list[str]]:
    """Engineers from CSV text with a header row; unknown columns are ignored with a warning."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames:
        raise ValidationError("The CSV file is empty; it needs a header row with at least name and email.")
    columns = {field: _column(field) for field in reader.fieldnames}
    missing = {"name", "email"} - set(columns.values())
    if missing:
        raise ValidationError(f"The CSV header lacks {', '.join(sorted(missing))}; "
                              f"known columns are {', '.join(ROSTER_COLUMNS)}.")
    warnings = [f"Column {field!r} is not used." for field, column in columns.items() if column not in ROSTER_COLUMNS]
    rows = [{columns[k]: v for k, v in row.items() if k is not None and columns[k] in ROSTER_COLUMNS}
            for row in reader]
    return validate_roster(rows), warnings


def match_external_ids(engineers: Iterable[Engineer], linear_users: Mapping[str, str],
                       hubspot_owners: Mapping[str, str]) -> list[Engineer]:
    """Fill Linear user and HubSpot owner ids by email (case-insensitive), keeping ids already set."""
    linear = {k.lower(): v for k, v in linear_users.items()}
    hubspot = {k.lower(): v for k, v in hubspot_owners.items()}
    return [replace(e, linear_user_id=e.linear_user_id or linear.get(e.email, ""),
                    hubspot_owner_id=e.hubspot_owner_id or hubspot.get(e.email, "")) for e in engineers]


def slug(email: str) -> str:
    """A file-name-safe token for an engineer, stable for the same address."""
    return re.sub(r"[^a-z0-9]+", "-", email.lower()).strip("-")


def _supported_countries() -> set[str]:
    import holidays

    return set(holidays.list_supported_countries())


def _column(field: str) -> str:
    key = field.strip().lower().replace(" ", "_")
    return _ALIASES.get(key, key)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):  # NaN from the data editor
        return ""
    return str(value).strip()


def _date(value: Any, label: str, problems: list[str]) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = _text(value)
    if raw in {"", "NaT", "None"}:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        problems.append(f"{label} {raw!r} is not a date (use YYYY-MM-DD)")
        return None


def _bool(value: Any, problems: list[str]) -> bool:
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raw = _text(value).lower()
    if raw == "" or raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    problems.append(f"active {raw!r} must be yes or no")
    return True


def _folded(text: str) -> str:
    return " ".join(str(text).split()).lower()
