"""Issue 19: closing an escalation by hand stages its closing reply, like a Linear issue moving to Done."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core import hand_close
from core.errors import ValidationError
from core.store import intake
from core.store import replies as replies_store

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)


@pytest.fixture
def escalation(db) -> int:
    row = {"message_id": "<m1@acme.example>", "customer_name": "Jane Smith", "customer_address": "jane@acme.example",
           "customer_domain": "acme.example", "company": "Acme", "tier": "enterprise",
           "subject": "Where do I change the export format?", "body": "How?", "received_at": NOW.isoformat(),
           "attachments": [], "status": "open"}
    return intake.create_escalation(db, row, [row["message_id"]])


def test_done_by_hand_stages_the_answered_reply(db, settings, escalation) -> None:
    key = hand_close.close_by_hand(db, settings, None, escalation, "done", now=NOW)
    assert intake.escalation(db, escalation)["status"] == "done"
    [reply] = replies_store.queue(db)
    assert reply["key"] == key and reply["outcome"] == "answered" and reply["status"] == "staged"
    assert reply["body"].startswith("Hi Jane,\n\nThank you for your report (ticket #")
    assert "You wrote to us about \u201cWhere do I change the export format?\u201d." in reply["body"]
    # Closing it by hand again (two clicks, two tabs) stages nothing more.
    assert hand_close.close_by_hand(db, settings, None, escalation, "done", now=NOW) is None
    assert db["staged_replies"].count == 1


def test_wont_fix_stages_the_wont_fix_template(db, settings, escalation) -> None:
    hand_close.close_by_hand(db, settings, None, escalation, "wont_fix", now=NOW)
    [reply] = replies_store.queue(db)
    assert reply["outcome"] == "wont_fix" and "decided not to change this behaviour" in reply["body"]


def test_the_reply_can_be_skipped(db, settings, escalation) -> None:
    assert hand_close.close_by_hand(db, settings, None, escalation, "done", now=NOW, stage_reply=False) is None
    assert intake.escalation(db, escalation)["status"] == "done" and db["staged_replies"].count == 0


def test_reopening_withdraws_the_reply_staged_by_hand(db, settings, escalation) -> None:
    key = hand_close.close_by_hand(db, settings, None, escalation, "done", now=NOW)
    assert hand_close.reopen(db, settings, None, escalation, now=NOW) == 1
    assert intake.escalation(db, escalation)["status"] == "open"
    assert replies_store.reply(db, key)["status"] == "withdrawn" and replies_store.queue(db) == []


def test_only_done_or_wont_fix(db, settings, escalation) -> None:
    with pytest.raises(ValidationError, match="done or won't fix"):
        hand_close.close_by_hand(db, settings, None, escalation, "open", now=NOW)
