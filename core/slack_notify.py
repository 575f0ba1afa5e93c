"""Which rotation notifications are due, pure: facts and ``now`` in, events (a key and a text) out.

Each event's key names what it tells about (``week:2026-03-02``, ``office_hours:2026-03-03``,
``reply_waiting:<reply>``, ``swap:<week>:<when>``); the outbox posts a key once, so calling :func:`due` every
worker cycle is safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.rotation import Override, RotationWeek, week_start_for
from core.slack import mrkdwn_escape

OFFICE_HOURS_LEAD = timedelta(minutes=15)  # "about to start": this long before the sync
SWAP_RECENT = timedelta(days=7)  # older swaps are history, not news (a first start posts none of them)
HANDOFF_LIMIT = 1500


@dataclass(frozen=True)
class Facts:
    """What the notifications are about, read from the store in one go."""

    weeks: list[RotationWeek]
    names: dict[str, str]
    handoffs: dict[date, dict[str, Any]] = field(default_factory=dict)
    queue_size: int = 0
    staged_replies: list[dict[str, Any]] = field(default_factory=list)  # key, escalation_id, staged_at
    overrides: list[Override] = field(default_factory=list)


@dataclass(frozen=True)
class Event:
    key: str
    text: str


def due(facts: Facts, settings, now: datetime) -> list[Event]:
    tz = ZoneInfo(settings.team_timezone)
    local = now.astimezone(tz)
    events: list[Event] = []
    if settings.slack_notify_week_start:
        events += _week_start(facts, local.date(), settings.week_start_index)
    if settings.slack_notify_office_hours:
        events += _office_hours(facts, local, settings.slack_office_hours_time)
    if settings.slack_notify_waiting_replies:
        events += _waiting_replies(facts, now, timedelta(hours=settings.slack_reply_wait_hours), settings.public_url)
    if settings.slack_notify_swaps:
        events += _swaps(facts, now)
    return events


def _name(facts: Facts, email: str | None) -> str:
    return mrkdwn_escape(facts.names.get(email, email)) if email else "nobody"


def _week_start(facts: Facts, today: date, week_start_index: int) -> list[Event]:
    start = week_start_for(today, week_start_index)
    by_start = {w.week_start: w.engineer_email for w in facts.weeks}
    if start not in by_start:
        return []
    text = (f"The rotation week of {start:%a %d %b} starts: *{_name(facts, by_start[start])}* is on support "
            f"(next week: {_name(facts, by_start.get(start + timedelta(weeks=1)))}).")
    handoff = facts.handoffs.get(start - timedelta(weeks=1))
    if handoff:
        parts = [(label, mrkdwn_escape((handoff.get(column) or "").strip())) for label, column in
                 (("Priorities", "priorities"), ("Still open", "triaged"), ("Notes", "notes"))]
        body = "\n".join(f"*{label}:*\n{value}" for label, value in parts if value)
        if body:
            text += f"\nHandoff from {_name(facts, handoff.get('engineer_email'))}:\n{body[:HANDOFF_LIMIT]}"
    else:
        text += "\nNo handoff was submitted for last week."
    return [Event(f"week:{start.isoformat()}", text)]


def _office_hours(facts: Facts, local: datetime, at: str) -> list[Event]:
    if local.weekday() >= 5:
        return []
    hours, minutes = (int(part) for part in at.split(":"))
    starts = datetime.combine(local.date(), time(hours, minutes), local.tzinfo)
    if not starts - OFFICE_HOURS_LEAD <= local < starts:
        return []
    waiting = f"{facts.queue_size} item{'s' if facts.queue_size != 1 else ''} in the queue"
    return [Event(f"office_hours:{local.date().isoformat()}",
                  f"Office hours start at {at}: {waiting}.")]


def _waiting_replies(facts: Facts, now: datetime, limit: timedelta, public_url: str) -> list[Event]:
    events = []
    for reply in facts.staged_replies:
        staged = datetime.fromisoformat(reply["staged_at"])
        waited = now - staged
        if waited >= limit:
            hours = int(waited.total_seconds() // 3600)
            events.append(Event(f"reply_waiting:{reply['key']}",
                                f"The closing reply for escalation #{reply['escalation_id']} has waited {hours} hours "
                                f"to be sent: {public_url.rstrip('/')}/replies"))
    return events


def _swaps(facts: Facts, now: datetime) -> list[Event]:
    events = []
    for o in facts.overrides:
        if o.at is None or now - o.at > SWAP_RECENT or o.at > now:
            continue
        why = f" ({mrkdwn_escape(o.reason)})" if o.reason else ""
        by = f", decided by {mrkdwn_escape(o.decided_by)}" if o.decided_by else ""
        events.append(Event(f"swap:{o.week_start.isoformat()}:{o.at.isoformat()}",
                            f"The week of {o.week_start:%a %d %b} changes hands: {_name(facts, o.from_email)} → "
                            f"*{_name(facts, o.to_email)}*{why}{by}."))
    return events
