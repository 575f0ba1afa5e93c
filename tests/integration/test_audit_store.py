"""The audit trail: append-only, refuses before acting, records after succeeding (issue 11)."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import date, datetime, timezone

import pytest

from core.access import WORKER, Person
from core.errors import AccessDenied
from core.store import audit

NOW = datetime(2026, 3, 6, 15, 0, tzinfo=timezone.utc)
SAM = Person("sam@ourco.com", "Sam Support", "member")
VIC = Person("vic@ourco.com", "Vic Viewer", "viewer")


def test_a_performed_action_is_recorded_with_who_when_and_what_changed(db) -> None:
    with audit.performed(db, SAM, "escalation.done", "escalation #7", now=NOW,
                         changes={"status": ["open", "done"]}) as changes:
        changes["note"] = "answered on the call"
    [entry] = audit.entries(db)
    assert entry["actor"] == "sam@ourco.com" and entry["actor_name"] == "Sam Support" and entry["role"] == "member"
    assert entry["at"] == "2026-03-06T15:00:00+00:00"
    assert entry["action"] == "escalation.done" and entry["target"] == "escalation #7"
    assert entry["changes"] == '{"note": "answered on the call", "status": ["open", "done"]}'


def test_a_refused_action_never_runs_and_leaves_no_entry(db) -> None:
    ran = []
    with pytest.raises(AccessDenied, match="<vic@ourco.com> is a viewer; message accept needs the member role"):
        with audit.performed(db, VIC, "message.accept", "<m1@x>", now=NOW):
            ran.append(True)
    assert ran == [] and audit.entries(db) == []


def test_a_failed_action_leaves_no_entry(db) -> None:
    with pytest.raises(LookupError):
        with audit.performed(db, SAM, "message.accept", "<gone@x>", now=NOW):
            raise LookupError("no message")
    assert audit.entries(db) == []


def test_the_trail_is_append_only(db) -> None:
    audit.record(db, WORKER, "escalation.done", "escalation #1", {}, now=NOW)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("update audit_log set actor = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("delete from audit_log")
    assert [e["actor"] for e in audit.entries(db)] == ["worker"]


def test_entries_filter_by_person_action_and_day(db) -> None:
    audit.record(db, SAM, "reply.send", "reply k1", {}, now=datetime(2026, 3, 5, 23, 30, tzinfo=timezone.utc))
    audit.record(db, SAM, "reply.edit", "reply k2", {}, now=datetime(2026, 3, 6, 9, 0, tzinfo=timezone.utc))
    audit.record(db, WORKER, "reply.send", "reply k3", {}, now=datetime(2026, 3, 7, 0, 0, tzinfo=timezone.utc))
    assert [e["target"] for e in audit.entries(db)] == ["reply k3", "reply k2", "reply k1"]
    assert [e["target"] for e in audit.entries(db, actor="sam@ourco.com")] == ["reply k2", "reply k1"]
    assert [e["target"] for e in audit.entries(db, action="reply.send")] == ["reply k3", "reply k1"]
    assert [e["target"] for e in audit.entries(db, since="2026-03-06", until="2026-03-06")] == ["reply k2"]
    assert [e["target"] for e in audit.entries(db, until="2026-03-05")] == ["reply k1"]


def test_the_csv_export_has_every_entry_and_defuses_formulas(db) -> None:
    audit.record(db, SAM, "roster.edit", "=HYPERLINK(\"http://evil\")", {"added": ["ada@ourco.com"]}, now=NOW)
    audit.record(db, WORKER, "escalation.done", "escalation #2", {}, now=NOW)
    rows = list(csv.DictReader(io.StringIO(audit.to_csv(audit.entries(db)))))
    assert [r["actor"] for r in rows] == ["worker", "sam@ourco.com"]
    assert rows[1]["target"] == "'=HYPERLINK(\"http://evil\")"
    assert rows[1]["changes"] == '{"added": ["ada@ourco.com"]}'
    assert list(rows[0]) == list(audit.COLUMNS)


def test_row_changes_names_added_removed_and_edited_rows() -> None:
    before = [{"email": "a@x", "name": "Ada", "start": date(2026, 1, 1)},
              {"email": "b@x", "name": "Bea", "start": None}]
    after = [{"email": "a@x", "name": "Ada L.", "start": date(2026, 1, 1)},
             {"email": "c@x", "name": "Cy", "start": None}]
    assert audit.row_changes(before, after, "email", ["name", "start"]) == {
        "added": ["c@x"], "removed": ["b@x"], "changed": {"a@x": {"name": ["Ada", "Ada L."]}}}
    assert audit.row_changes(before, before, "email", ["name", "start"]) == {}


def test_period_changes_names_time_off_added_and_removed() -> None:
    from core.roster import Unavailability

    kept = Unavailability("a@x", date(2026, 3, 2), date(2026, 3, 6))
    gone = Unavailability("b@x", date(2026, 4, 6), date(2026, 4, 10), kind="critical", reason="launch")
    new = Unavailability("b@x", date(2026, 5, 4), date(2026, 5, 8))
    assert audit.period_changes([kept, gone], [kept, new]) == {
        "added": ["b@x pto 2026-05-04..2026-05-08"], "removed": ["b@x critical 2026-04-06..2026-04-10"]}


def test_entries_without_a_limit_returns_every_match(db) -> None:
    for n in range(5):
        audit.record(db, SAM, "reply.edit", f"reply k{n}", {}, now=NOW)
    assert len(audit.entries(db, limit=2)) == 2
    assert [e["target"] for e in audit.entries(db, limit=None)] == [f"reply k{n}" for n in reversed(range(5))]
