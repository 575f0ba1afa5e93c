"""The daily 15-minute office-hours sync, pure: build the day's queue and its timebox.

The queue replaces the stream of pings. It holds, in this order (open items first, discussed ones last):

1. escalations with a follow-up newer than their last discussion (the customer is waiting again), newest first;
2. topics added by hand for the day, in the order they were added (someone asked to talk about it);
3. open escalations never discussed, by tier (enterprise first), then oldest first.

Within each group a higher tier comes first where the group has tiers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from core.errors import ValidationError
from core.escalations import Escalation, parse_time, tier_rank

SYNC_MINUTES = 15
MIN_MINUTES_PER_ITEM = 2
MAX_TOPIC = 300
_GROUP = {"followup": 0, "topic": 1, "escalation": 2}


@dataclass(frozen=True)
class QueueItem:
    """One thing to talk about today."""

    kind: str  # "followup", "topic" or "escalation"
    title: str
    reason: str
    since: datetime
    escalation_id: int | None = None
    entry_id: int | None = None
    asked_by: str = ""
    tier: str = ""
    status: str = "open"
    outcome: str = ""
    customer: str = ""
    company: str = ""

    @property
    def discussed(self) -> bool:
        return self.status == "discussed"


def _epoch() -> datetime:
    return datetime.min.replace(tzinfo=timezone.utc)


def _entry_item(entry: dict[str, Any], by_id: dict[int, Escalation]) -> QueueItem:
    linked = by_id.get(entry["escalation_id"]) if entry.get("escalation_id") else None
    hand_added = bool(entry.get("asked_by")) or linked is None
    return QueueItem(
        kind="topic" if hand_added else "escalation",
        title=entry.get("topic") or (linked.subject if linked else "(no topic)"),
        reason="added by hand" if hand_added else (entry.get("reason") or "escalation"),
        since=parse_time(entry.get("created_at")) or _epoch(),
        escalation_id=entry.get("escalation_id"),
        entry_id=entry.get("id"),
        asked_by=entry.get("asked_by") or "",
        tier=linked.tier if linked else "",
        status=entry.get("status") or "open",
        outcome=entry.get("outcome") or "",
        **_who(linked),
    )


def _who(e: Escalation | None) -> dict[str, str]:
    return {"customer": (e.customer_name or e.customer_address or "") if e else "", "company": e.company if e else ""}


def build_queue(open_items: Iterable[Escalation], entries_today: Iterable[dict[str, Any]], *,
                latest_followups: dict[int, str | datetime] | None = None,
                last_discussed: dict[int, str | datetime] | None = None,
                closed_items: Iterable[Escalation] = ()) -> list[QueueItem]:
    """The day's queue from open escalations, today's ``office_hours`` rows and discussion history.

    ``latest_followups`` maps escalation id → newest follow-up time; ``last_discussed`` maps escalation id →
    when it was last marked discussed on an earlier day. A closed escalation (``closed_items``) comes back only
    when the customer wrote after it was closed: "still broken" and "thanks" both wait for a person to read.
    """
    escalations = list(open_items)
    by_id = {e.id: e for e in [*closed_items, *escalations]}
    entries = [_entry_item(dict(r), by_id) for r in entries_today]
    covered = {i.escalation_id for i in entries if i.escalation_id is not None}
    followed = {k: parse_time(v) for k, v in (latest_followups or {}).items()}
    talked = {k: parse_time(v) for k, v in (last_discussed or {}).items()}
    auto = []
    for e in escalations:
        if e.id in covered:
            continue
        newest, last = followed.get(e.id), talked.get(e.id)
        if newest is not None and (last is None or newest > last):
            auto.append(QueueItem("followup", e.subject, "new follow-up", newest, e.id, tier=e.tier, **_who(e)))
        elif last is None:
            auto.append(QueueItem("escalation", e.subject, "not discussed yet", e.received_at, e.id, tier=e.tier,
                                  **_who(e)))
    for e in closed_items:
        newest, last = followed.get(e.id), talked.get(e.id)
        if (e.id not in covered and newest is not None and e.closed_at is not None and newest > e.closed_at
                and (last is None or newest > last)):
            auto.append(QueueItem("followup", e.subject, "wrote again after it was closed", newest, e.id, tier=e.tier,
                                  **_who(e)))
    return sorted(entries + auto, key=_order)


def _order(item: QueueItem) -> tuple:
    # Follow-ups newest first; everything else oldest first.
    stamp = item.since.timestamp()
    when = -stamp if item.kind == "followup" else stamp
    tier = tier_rank(item.tier) if item.kind != "topic" else 0
    return (item.discussed, _GROUP[item.kind], tier, when, item.escalation_id or 0, item.entry_id or 0)


def timebox_hint(open_count: int, minutes: int = SYNC_MINUTES) -> str:
    """How to spend the sync's minutes across ``open_count`` items."""
    if open_count <= 0:
        return f"Nothing queued: the {minutes}-minute sync can end early."
    seconds = minutes * 60 // open_count
    each = f"{seconds // 60} min" + (f" {seconds % 60} s" if seconds % 60 else "")
    hint = f"{minutes} minutes for {open_count} item{'s' if open_count != 1 else ''}: about {each} each."
    if seconds < MIN_MINUTES_PER_ITEM * 60:
        fits = minutes // MIN_MINUTES_PER_ITEM
        hint += f" Too many for one sync: take the first {fits} and move the rest to tomorrow."
    return hint


def new_topic(topic: str, asked_by: str, day: date, now: datetime, escalation_id: int | None = None) -> dict[str, Any]:
    """A hand-added topic as an ``office_hours`` row; refuses an empty or overlong topic or asker."""
    topic, asked_by = " ".join((topic or "").split()), (asked_by or "").strip()
    if not topic:
        raise ValidationError("Write the topic to discuss.")
    if len(topic) > MAX_TOPIC:
        raise ValidationError(f"Keep the topic under {MAX_TOPIC} characters; details belong in the escalation.")
    if not asked_by:
        raise ValidationError("Say who asked, so the answer gets back to them.")
    stamp = now.astimezone(timezone.utc).isoformat(timespec="seconds")
    return {"day": day.isoformat(), "escalation_id": escalation_id, "topic": topic, "asked_by": asked_by[:120],
            "status": "open", "outcome": None, "created_at": stamp, "updated_at": stamp}


def outcome_text(outcome: str) -> str:
    """The outcome of a discussion; one is required so the handoff can cite it."""
    text = (outcome or "").strip()
    if not text:
        raise ValidationError("Write the outcome (for example: fix this week, triaged to backlog, answered).")
    return text
