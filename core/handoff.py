"""The outgoing engineer's one-page handoff, pure: draft it from the week's escalations and render Markdown.

The draft sorts the week into fixed (closed or done), triaged (linked to Linear, still open), open (not yet
in Linear) and what to prioritise next (open items, highest tier and longest waiting first). The engineer
edits the draft; the result lands in the next planning meeting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import ValidationError
from core.escalations import WONT_FIX_STATUS, Escalation, format_age, from_row, tier_rank
from core.markup import escape_markdown

TOP_PRIORITIES = 5
SECTIONS = (("fixed", "Fixed"), ("triaged", "Triaged into the backlog"), ("still_open", "Still open"),
            ("priorities", "What to prioritise"))


@dataclass(frozen=True)
class Handoff:
    """A handoff; each section is text with one item per line, as the engineer edits it."""

    week_start: date
    engineer_email: str = ""
    fixed: str = ""
    triaged: str = ""
    still_open: str = ""
    priorities: str = ""
    notes: str = ""
    submitted_at: str | None = None


def week_window(week_start: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The rotation week as UTC instants: midnight of ``week_start`` in the team's zone, seven days on."""
    start = datetime.combine(week_start, time(0), tzinfo=tz)
    end = datetime.combine(week_start + timedelta(days=7), time(0), tzinfo=tz)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def current_week(rotation_weeks: Iterable[str | date], today: date) -> date | None:
    """The scheduled week containing ``today``, else the latest one before it, else the earliest one."""
    weeks = sorted({w if isinstance(w, date) else date.fromisoformat(str(w)[:10]) for w in rotation_weeks})
    started = [w for w in weeks if w <= today]
    if started:
        return started[-1]
    return weeks[0] if weeks else None


def line(e: Escalation) -> str:
    """One escalation as a handoff line."""
    ref = f" [{e.linear_identifier}]" if e.linear_identifier else ""
    tier = f", {e.tier}" if e.tier else ""
    return f"#{e.id} {e.subject} — {e.customer_label}{tier}{ref}"


def _is_fixed(row: dict[str, Any], e: Escalation) -> bool:
    """Closed as done (a canceled issue is closed, not fixed), or its Linear issue is completed."""
    return (not e.is_open and e.status != WONT_FIX_STATUS) or row.get("linear_state_type") == "completed"


def draft(rows: Iterable[dict[str, Any]], week_start: date, tz: ZoneInfo, now: datetime, *,
          engineer_email: str = "", top: int = TOP_PRIORITIES) -> Handoff:
    """A first draft for the week from escalation rows (joined with their links)."""
    start, end = week_window(week_start, tz)
    as_of = min(now, end)
    fixed, triaged, still_open = [], [], []
    for row in rows:
        e = from_row(row)
        if e.received_at >= end:
            continue
        if _is_fixed(row, e):
            closed = e.closed_at or e.received_at
            if start <= closed < end:
                fixed.append(e)
        elif not e.is_open:
            continue  # won't fix: neither fixed nor waiting
        elif e.linear_identifier:
            triaged.append(e)
        else:
            still_open.append(e)
    waiting = sorted(triaged + still_open, key=lambda e: (tier_rank(e.tier), -e.followups, e.received_at, e.id))
    priorities = [f"{line(e)} ({_why(e, as_of)})" for e in waiting[:top]]
    return Handoff(week_start, engineer_email, _lines(fixed), _lines(triaged), _lines(still_open),
                   "\n".join(priorities))


def _lines(escalations: list[Escalation]) -> str:
    return "\n".join(line(e) for e in sorted(escalations, key=lambda e: e.id))


def _why(e: Escalation, now: datetime) -> str:
    reasons = [f"waiting {format_age(e.age(now))}"]
    if e.followups:
        reasons.append(f"{e.followups} follow-up{'s' if e.followups != 1 else ''}")
    return ", ".join(reasons)


def items(text: str) -> list[str]:
    """The non-empty lines of a section, with any bullet the engineer typed removed."""
    out = []
    for raw in (text or "").splitlines():
        stripped = raw.strip()
        if stripped[:2] in {"- ", "* ", "• "}:
            stripped = stripped[2:].strip()
        if stripped:
            out.append(stripped)
    return out


def submit(handoff: Handoff, now: datetime) -> Handoff:
    """The handoff ready to save; it must say what to prioritise."""
    if not items(handoff.priorities):
        raise ValidationError("Say what to prioritise next week (write “nothing pressing” if that is the answer).")
    return replace(handoff, submitted_at=now.astimezone(timezone.utc).isoformat(timespec="seconds"))


def to_row(handoff: Handoff) -> dict[str, Any]:
    return {"week_start": handoff.week_start.isoformat(), "engineer_email": handoff.engineer_email or None,
            "fixed": handoff.fixed, "triaged": handoff.triaged, "still_open": handoff.still_open,
            "priorities": handoff.priorities, "notes": handoff.notes, "submitted_at": handoff.submitted_at}


def from_saved(row: dict[str, Any]) -> Handoff:
    return Handoff(date.fromisoformat(str(row["week_start"])[:10]), row.get("engineer_email") or "",
                   row.get("fixed") or "", row.get("triaged") or "", row.get("still_open") or "",
                   row.get("priorities") or "", row.get("notes") or "", row.get("submitted_at"))


def render_markdown(handoff: Handoff, *, level: int = 1, names: Mapping[str, str] | None = None) -> str:
    """The handoff as one Markdown page (its title a heading of ``level``, to sit inside a larger page); every
    item is escaped, since subjects come from customers' email. ``names`` puts the engineer's name in the title."""
    engineer = (names or {}).get(handoff.engineer_email) or handoff.engineer_email
    who = f" — {escape_markdown(engineer)}" if engineer else ""
    out = [f"{'#' * level} Support rotation handoff: week of {handoff.week_start.isoformat()}{who}", ""]
    for attr, title in SECTIONS:
        out.append(f"{'#' * (level + 1)} {title}")
        entries = items(getattr(handoff, attr))
        out.extend(f"- {escape_markdown(i)}" for i in entries or ["Nothing."])
        out.append("")
    notes = items(handoff.notes)
    if notes:
        out.append(f"{'#' * (level + 1)} Notes")
        out.extend(f"- {escape_markdown(n)}" for n in notes)
        out.append("")
    return "\n".join(out).rstrip() + "\n"
