from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from core import office_hours as oh
from core.errors import ValidationError
from core.escalations import from_row

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=timezone.utc)
TODAY = date(2026, 3, 4)


def esc(n: int, *, hours: float = 1, tier: str = "business"):
    return from_row({"id": n, "subject": f"Bug {n}", "status": "open", "tier": tier,
                     "received_at": (NOW - timedelta(hours=hours)).isoformat()})


def at(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).isoformat()


def entry(i: int, *, escalation_id=None, asked_by="Dana", status="open", created=1.0, topic=None, outcome=None):
    return {"id": i, "day": TODAY.isoformat(), "escalation_id": escalation_id, "topic": topic or f"Topic {i}",
            "asked_by": asked_by, "status": status, "outcome": outcome, "created_at": at(created)}


def test_undiscussed_escalations_by_tier_then_age():
    queue = oh.build_queue([esc(1, hours=2), esc(2, hours=9), esc(3, hours=1, tier="enterprise")], [])
    assert [(i.kind, i.escalation_id) for i in queue] == [("escalation", 3), ("escalation", 2), ("escalation", 1)]
    assert all(i.reason == "not discussed yet" for i in queue)


def test_discussed_before_drops_out_unless_a_newer_followup_came():
    queue = oh.build_queue(
        [esc(1), esc(2), esc(3)], [],
        last_discussed={1: at(20), 2: at(20), 3: at(20)},
        latest_followups={1: at(2), 2: at(30)},
    )
    assert [(i.kind, i.escalation_id, i.reason) for i in queue] == [("followup", 1, "new follow-up")]


def test_followups_first_newest_first_then_topics_then_escalations():
    queue = oh.build_queue(
        [esc(1, hours=50), esc(2, hours=40), esc(3, hours=30, tier="enterprise")],
        [entry(10, created=3), entry(11, created=1)],
        latest_followups={1: at(5), 2: at(1)},
    )
    assert [(i.kind, i.escalation_id or i.entry_id) for i in queue] == [
        ("followup", 2), ("followup", 1), ("topic", 10), ("topic", 11), ("escalation", 3)]


def test_todays_rows_replace_the_automatic_item_and_discussed_go_last():
    queue = oh.build_queue(
        [esc(1), esc(2), esc(3)],
        [entry(10, escalation_id=1, asked_by=None, status="discussed", outcome="fix this week", topic="Bug 1"),
         entry(11, escalation_id=2, topic="Customer angry about 2")],
        latest_followups={1: at(0.5)},
    )
    assert [(i.kind, i.escalation_id, i.status) for i in queue] == [
        ("topic", 2, "open"), ("escalation", 3, "open"), ("escalation", 1, "discussed")]
    assert queue[-1].outcome == "fix this week" and queue[-1].discussed
    assert queue[0].title == "Customer angry about 2" and queue[0].asked_by == "Dana"


def test_topic_linked_to_a_closed_escalation_is_still_a_topic():
    (item,) = oh.build_queue([], [entry(5, escalation_id=99, asked_by=None)])
    assert item.kind == "topic" and item.escalation_id == 99 and item.reason == "added by hand"


def closed(n: int, *, closed_hours_ago: float) -> object:
    return from_row({"id": n, "subject": f"Bug {n}", "status": "done", "tier": "enterprise",
                     "received_at": at(100), "closed_at": at(closed_hours_ago)})


def test_a_customer_writing_after_the_close_comes_back_to_the_queue():
    queue = oh.build_queue(
        [esc(1)], [],
        closed_items=[closed(7, closed_hours_ago=10), closed(8, closed_hours_ago=10), closed(9, closed_hours_ago=10)],
        latest_followups={7: at(2), 8: at(20), 9: at(3)},
        last_discussed={9: at(1)},
    )
    assert [(i.escalation_id, i.reason) for i in queue] == [
        (7, "wrote again after it was closed"), (1, "not discussed yet")]  # 8 wrote before the close; 9 was discussed


def test_empty_queue():
    assert oh.build_queue([], []) == []


@pytest.mark.parametrize("count,expect", [
    (0, "Nothing queued"), (1, "about 15 min each"), (4, "about 3 min 45 s each"), (7, "about 2 min 8 s each"),
])
def test_timebox_hint(count, expect):
    assert expect in oh.timebox_hint(count)


def test_timebox_hint_says_when_the_queue_is_too_long():
    hint = oh.timebox_hint(12)
    assert "12 items" in hint and "first 7" in hint
    assert "Too many" not in oh.timebox_hint(7)


def test_new_topic_row():
    row = oh.new_topic("  Export  times\nout ", " Dana ", TODAY, NOW, escalation_id=4)
    assert row == {"day": "2026-03-04", "escalation_id": 4, "topic": "Export times out", "asked_by": "Dana",
                   "status": "open", "outcome": None, "created_at": "2026-03-04T09:00:00+00:00",
                   "updated_at": "2026-03-04T09:00:00+00:00"}


@pytest.mark.parametrize("topic,asked_by,message", [
    ("", "Dana", "topic"), ("x" * 301, "Dana", "under 300"), ("Slow export", "  ", "who asked"),
])
def test_new_topic_refuses_bad_input(topic, asked_by, message):
    with pytest.raises(ValidationError, match=message):
        oh.new_topic(topic, asked_by, TODAY, NOW)


def test_outcome_is_required():
    assert oh.outcome_text("  triaged  ") == "triaged"
    with pytest.raises(ValidationError):
        oh.outcome_text(" ")


def test_each_item_names_its_customer_and_keeps_its_reason_once_discussed():
    # Issue 19: who it is about, and why it was on the queue, after the sync too.
    acme = from_row({"id": 7, "subject": "Export fails", "status": "open", "tier": "enterprise",
                     "customer_name": "Jane Smith", "company": "Acme", "received_at": at(3)})
    [queued] = oh.build_queue([acme], [], latest_followups={7: at(1)})
    assert (queued.customer, queued.company, queued.reason) == ("Jane Smith", "Acme", "new follow-up")
    discussed = {**entry(1, escalation_id=7, asked_by=None, status="discussed", outcome="fix this week"),
                 "reason": queued.reason}
    [after] = oh.build_queue([acme], [discussed], latest_followups={7: at(1)})
    assert (after.discussed, after.reason, after.customer, after.company) == (True, "new follow-up", "Jane Smith",
                                                                              "Acme")
