"""The shared rotation calendar: an iCalendar feed for the team and one per engineer.

Each rotation week is one all-day event (working days, Monday to Friday by default). UIDs depend only on the week
(and the engineer, in personal feeds), so a subscribed calendar replaces an event when its week changes hands, and
SEQUENCE rises with every change. Feeds are written under ``static/`` so Streamlit serves them at a subscribe URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from icalendar import Calendar, Event

from core.roster import Engineer, slug
from core.rotation import RotationWeek

PRODID = "-//Rotadesk//Support rotation//EN"
TEAM_FILE = "rotation-team.ics"
DOMAIN = "rotadesk"


def feed_filename(email: str | None = None) -> str:
    return TEAM_FILE if email is None else f"rotation-{slug(email)}.ics"


def subscribe_url(public_url: str, filename: str) -> str:
    """Where Streamlit's static file serving publishes ``static/<filename>``."""
    return f"{public_url.rstrip('/')}/app/static/{filename}"


def event_uid(week: RotationWeek, email: str | None = None) -> str:
    suffix = f"-{slug(email)}" if email else ""
    return f"rotation-{week.week_start.isoformat()}{suffix}@{DOMAIN}"


def build_feed(weeks: Sequence[RotationWeek], engineers: Sequence[Engineer], *, now: datetime, tz: str,
               email: str | None = None, event_days: int = 5, team_name: str = "Support rotation") -> bytes:
    """The team feed (``email`` None) or one engineer's feed, as iCalendar bytes."""
    names = {e.email: e.name for e in engineers}
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    title = team_name if email is None else f"{team_name}: {names.get(email, email)}"
    calendar.add("x-wr-calname", title)
    calendar.add("x-wr-timezone", tz)
    # Hints for subscribing clients; Google and Outlook poll on their own schedule regardless.
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for week in sorted(weeks, key=lambda w: w.week_start):
        if week.engineer_email is None or (email is not None and week.engineer_email != email):
            continue
        calendar.add_component(_event(week, names, now=now, email=email, event_days=event_days))
    return calendar.to_ical()


def _event(week: RotationWeek, names: dict[str, str], *, now: datetime, email: str | None, event_days: int) -> Event:
    person = names.get(week.engineer_email or "", week.engineer_email or "")
    event = Event()
    event.add("uid", event_uid(week, email))
    event.add("dtstamp", now)
    event.add("dtstart", week.week_start)
    event.add("dtend", week.week_start + timedelta(days=event_days))
    event.add("sequence", week.sequence)
    event.add("summary", f"On support: {person}" if email is None else "On support rotation")
    lines = [f"{person} <{week.engineer_email}> is on the support rotation this week."]
    if not week.published:
        lines.append("Draft: this week may still change when the schedule is regenerated.")
    if week.note:
        lines.append(f"Note: {week.note}")
    event.add("description", "\n".join(lines))
    event.add("status", "CONFIRMED" if week.published else "TENTATIVE")
    event.add("transp", "TRANSPARENT")  # being on support does not make anyone busy for meetings
    event.add("categories", ["Support rotation"])
    return event


def write_feeds(directory: Path, weeks: Sequence[RotationWeek], engineers: Sequence[Engineer], *, now: datetime,
                tz: str, event_days: int = 5) -> list[Path]:
    """Write the team feed and one feed per engineer; unchanged files are left alone."""
    directory.mkdir(parents=True, exist_ok=True)
    targets: list[tuple[str, str | None]] = [(TEAM_FILE, None)]
    targets += [(feed_filename(e.email), e.email) for e in engineers]
    written: list[Path] = []
    for filename, email in targets:
        path = directory / filename
        content = build_feed(weeks, engineers, now=now, tz=tz, email=email, event_days=event_days)
        if not path.exists() or _without_stamps(path.read_bytes()) != _without_stamps(content):
            tmp = path.with_suffix(".ics.tmp")
            tmp.write_bytes(content)
            tmp.replace(path)  # subscribers never read a half-written file
        written.append(path)
    return written


def _without_stamps(content: bytes) -> bytes:
    return b"\n".join(line for line in content.splitlines() if not line.startswith(b"DTSTAMP"))
