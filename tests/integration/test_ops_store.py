from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from core import capacity
from core import handoff as ho
from core.errors import ValidationError
from core.store import intake, iso, ops

NOW = datetime(2026, 3, 6, 15, 0, tzinfo=timezone.utc)


def add(db, n: int, received: str, **extra) -> int:
    row = {"message_id": f"<{n}@x>", "subject": f"Bug {n}", "customer_domain": "acme.example", "company": "Acme",
           "tier": "business", "received_at": received, "updated_at": received, "status": "open", **extra}
    return intake.create_escalation(db, row, [row["message_id"]])


def test_handoffs_table_has_the_still_open_column(db):
    assert "still_open" in db["handoffs"].columns_dict


def test_rotation_and_engineer_reads(db):
    db["engineers"].insert_all([
        {"email": "b@x", "name": "Bea", "active": 1, "start_date": "2026-01-01"},
        {"email": "a@x", "name": "Ada", "active": 1},
        {"email": "c@x", "name": "Cy", "active": 0},
    ], pk="email")
    db["rotation_weeks"].insert_all([{"week_start": "2026-03-09", "engineer_email": "b@x", "published": 1},
                                     {"week_start": "2026-03-02", "engineer_email": "a@x"}], pk="week_start")
    assert [e["email"] for e in ops.engineers(db)] == ["a@x", "b@x"]
    assert len(ops.engineers(db, active_only=False)) == 3
    weeks = ops.rotation_weeks(db)
    assert [(w["week_start"], w["engineer_name"]) for w in weeks] == [("2026-03-02", "Ada"), ("2026-03-09", "Bea")]


def test_week_escalations_and_draft(db):
    a = add(db, 1, "2026-03-03T09:00:00+00:00")
    b = add(db, 2, "2026-02-20T09:00:00+00:00", status="closed", closed_at="2026-02-21T09:00:00+00:00",
            updated_at="2026-02-21T09:00:00+00:00")
    c = add(db, 3, "2026-02-25T09:00:00+00:00", status="closed", closed_at="2026-03-04T09:00:00+00:00")
    d = add(db, 4, "2026-03-10T09:00:00+00:00")
    e = add(db, 5, "2026-02-10T09:00:00+00:00")
    db["links"].insert({"escalation_id": e, "linear_identifier": "ENG-5", "linear_state_type": "started"})
    intake.add_followup(db, {"message_id": "<f@x>", "escalation_id": a, "sender": "c@acme.example", "body": "again",
                             "received_at": "2026-03-04T09:00:00+00:00"})
    rows = ops.week_escalations(db, "2026-03-02T00:00:00+00:00", "2026-03-09T00:00:00+00:00")
    assert sorted(r["id"] for r in rows) == [a, c, e]
    assert b not in [r["id"] for r in rows] and d not in [r["id"] for r in rows]
    assert {r["id"]: r["followups"] for r in rows}[a] == 1
    h = ho.draft(rows, date(2026, 3, 2), ZoneInfo("UTC"), NOW)
    assert ho.items(h.fixed)[0].startswith(f"#{c} ") and ho.items(h.triaged)[0].startswith(f"#{e} ")
    assert ho.items(h.still_open)[0].startswith(f"#{a} ")


def test_received_times_and_latest_followups(db):
    a = add(db, 1, "2026-03-03T09:00:00+00:00")
    add(db, 2, "2026-01-01T09:00:00+00:00")
    c = add(db, 3, "2026-03-01T09:00:00+00:00", status="closed")
    for i, (eid, at) in enumerate([(a, "2026-03-04T09:00:00+00:00"), (a, "2026-03-05T09:00:00+00:00"),
                                   (c, "2026-03-05T10:00:00+00:00")]):
        intake.add_followup(db, {"message_id": f"<f{i}@x>", "escalation_id": eid, "sender": "x", "body": "",
                                 "received_at": at})
    assert ops.received_times(db, "2026-02-01T00:00:00+00:00") == ["2026-03-01T09:00:00+00:00",
                                                                    "2026-03-03T09:00:00+00:00"]
    # Closed ones too: the office-hours queue decides whether a follow-up came after the close.
    assert ops.latest_followups(db) == {a: "2026-03-05T09:00:00+00:00", c: "2026-03-05T10:00:00+00:00"}


def test_office_hours_topics_and_discussion(db):
    a = add(db, 1, "2026-03-03T09:00:00+00:00")
    topic = ops.add_topic(db, {"day": "2026-03-05", "topic": "Slow export", "asked_by": "Dana", "status": "open",
                               "created_at": "2026-03-05T08:00:00+00:00", "updated_at": "2026-03-05T08:00:00+00:00"})
    ops.mark_discussed(db, day="2026-03-04", outcome="fix this week", now="2026-03-04T09:10:00+00:00",
                       escalation_id=a, topic="Bug 1")
    ops.mark_discussed(db, day="2026-03-05", outcome="answered", now="2026-03-05T09:05:00+00:00", entry_id=topic)
    today = ops.office_hours_for_day(db, "2026-03-05")
    assert [(r["topic"], r["status"], r["outcome"]) for r in today] == [("Slow export", "discussed", "answered")]
    assert ops.last_discussed(db, "2026-03-05") == {a: "2026-03-04T09:10:00+00:00"}
    assert ops.last_discussed(db, "2026-03-04") == {}


def test_mark_discussed_refuses_nothing_or_a_missing_item(db):
    with pytest.raises(ValidationError):
        ops.mark_discussed(db, day="2026-03-05", outcome="x", now="2026-03-05T09:00:00+00:00")
    with pytest.raises(ValidationError):
        ops.mark_discussed(db, day="2026-03-05", outcome="x", now="2026-03-05T09:00:00+00:00", entry_id=404)


def test_handoffs_upsert_on_week(db):
    first = ho.Handoff(date(2026, 3, 2), "a@x", fixed="#1", priorities="ENG-2", still_open="#3",
                       submitted_at="2026-03-06T15:00:00+00:00")
    ops.save_handoff(db, ho.to_row(first))
    ops.save_handoff(db, ho.to_row(ho.Handoff(date(2026, 3, 2), "a@x", priorities="ENG-9")))
    ops.save_handoff(db, ho.to_row(ho.Handoff(date(2026, 3, 9), "b@x", priorities="none")))
    assert ho.from_saved(ops.handoff(db, "2026-03-02")).priorities == "ENG-9"
    assert [r["week_start"] for r in ops.handoffs(db)] == ["2026-03-09", "2026-03-02"]
    assert ops.handoff(db, "2026-01-05") is None


def test_staged_reply_times(db):
    db["staged_replies"].insert({"key": "k1", "escalation_id": 1, "done_at": "2026-03-02T10:00:00+00:00",
                                 "staged_at": "2026-03-02T12:00:00+00:00", "status": "staged"}, pk="key")
    (r,) = ops.staged_reply_times(db)
    assert (r["key"], r["staged_at"], r["sent_at"]) == ("k1", "2026-03-02T12:00:00+00:00", None)


# Issue 13: the retro's rows and the planning meeting's reviewed set.
def test_retro_rows_join_triage_followups_revenue_and_handbacks(db):
    from core.store import planning, playbook

    intake.upsert_customers(db, [intake.Customer("acme.example", "Acme", "business", revenue=42000)], "now")
    a = add(db, 1, "2026-03-03T09:00:00+00:00")
    add(db, 2, "2026-01-01T09:00:00+00:00", status="done", closed_at="2026-01-02T09:00:00+00:00")
    db["journal"].insert({"escalation_id": a, "step": "linear_issue", "status": "done",
                          "at": "2026-03-03T11:00:00+00:00"})
    db["followups"].insert_all([{"message_id": f"<f{i}@x>", "escalation_id": a, "received_at": t}
                                for i, t in enumerate(("2026-03-04T09:00:00+00:00", "2026-03-05T09:00:00+00:00"))])
    playbook.hand_back(db, a, 2, "support can answer", "Ada", "2026-03-03T12:00:00+00:00")
    [row] = planning.retro_rows(db, "2026-03-01T00:00:00+00:00")  # the one closed in January is left out
    assert row["id"] == a
    assert (row["triaged_at"], row["last_followup_at"], row["revenue"], row["handed_back"]) == \
        ("2026-03-03T11:00:00+00:00", "2026-03-05T09:00:00+00:00", 42000, 1)


def test_marking_reviewed_closes_the_set(db):
    from core.store import planning

    assert planning.last_review(db) is None
    planning.mark_reviewed(db, ["2026-03-02", "2026-02-23"], " Eve ", "2026-03-09T10:00:00+00:00")
    review = planning.last_review(db)
    assert (review["handoff_weeks"], review["by"], review["reviewed_at"]) == (
        ["2026-02-23", "2026-03-02"], "Eve", "2026-03-09T10:00:00+00:00")


@pytest.mark.parametrize("week_start_index", [0, 2, 6])
def test_close_time_medians_in_sql_match_the_pure_series(db, week_start_index):
    # Issue 16: capacity read every staged reply ever made; the store now aggregates the charted period.
    rng = random.Random(week_start_index)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rows = []
    for n in range(300):
        done = start + timedelta(minutes=rng.randint(0, 90 * 24 * 60))
        staged = done + timedelta(minutes=rng.randint(-30, 3000)) if rng.random() > 0.1 else None
        sent = staged + timedelta(minutes=rng.randint(0, 5000)) if staged and rng.random() > 0.3 else None
        withdrawn = rng.random() < 0.05
        rows.append({"key": f"r{n}", "escalation_id": n, "done_at": iso(done),
                     "staged_at": iso(staged) if staged else None, "sent_at": iso(sent) if sent else None,
                     "withdrawn_at": iso(done) if withdrawn else None,
                     "status": "withdrawn" if withdrawn and n % 2 else "sent"})
    db["staged_replies"].insert_all(rows, pk="key")
    since = "2026-02-01T00:00:00+00:00"
    in_period = [r for r in rows if r["done_at"] >= since]
    expected = capacity.close_time_series(capacity.close_times(in_period), week_start_index)
    got = ops.close_time_medians(db, since, week_start_index)
    assert [(g["week_start"], g["stage"], g["replies"]) for g in got] == \
        [(e["week_start"], e["stage"], e["replies"]) for e in expected]
    assert [g["median_hours"] for g in got] == pytest.approx([e["median_hours"] for e in expected], abs=0.011)
    assert len(expected) > 10


def test_received_per_day_counts_by_utc_day(db):
    for n, at in enumerate(["2026-03-01T09:00:00+00:00", "2026-03-01T23:59:00+00:00", "2026-03-03T00:00:00+00:00",
                            "2026-01-01T00:00:00+00:00"]):
        intake.create_escalation(db, {"message_id": f"<d{n}@x>", "subject": "s", "received_at": at, "status": "open",
                                      "attachments": []}, [])
    assert ops.received_per_day(db, "2026-02-01T00:00:00+00:00") == [("2026-03-01", 2), ("2026-03-03", 1)]
    now = datetime(2026, 3, 4, 12, tzinfo=timezone.utc)
    assert capacity.weekly_counts_by_day(ops.received_per_day(db, "2026-02-01"), now, weeks=2) == \
        capacity.weekly_counts(ops.received_times(db, "2026-02-01"), now, weeks=2)


def test_reply_counts_and_the_latest_reply_times(db):
    from core.store import replies

    db["staged_replies"].insert_all([
        {"key": f"r{n}", "status": status, "done_at": f"2026-03-{n + 1:02d}T10:00:00+00:00"}
        for n, status in enumerate(["sent", "sent", "staged", "staging", "withdrawn", "sent"])], pk="key")
    assert replies.reply_counts(db) == {"sent": 3, "staged": 1, "staging": 1}
    assert [r["done_at"][:10] for r in replies.reply_times(db, latest=2)] == ["2026-03-06", "2026-03-05"]
    assert len(replies.reply_times(db)) == 6
