"""Every query the dashboard makes is answered from an index (issue 16).

Each page runs under AppTest with its database handle traced; every statement it sends is then asked for its
``EXPLAIN QUERY PLAN``, which must not scan a table that grows with the mail (escalations, follow-ups, messages...).
Small tables that hold the team or the settings (engineers, rotation weeks, templates) may be scanned.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui.deps
from core.store import iso
from tests.support.clock import APP_NOW

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))
# Tables whose size grows with the mail and the years; a full scan of one is what made the page take 40 s.
LARGE = {"escalations", "followups", "inbound_messages", "thread_keys", "links", "journal", "quarantine",
         "staged_replies", "attachments", "webhook_deliveries", "office_hours", "audit_log",
         "issue_impacts"}
# Schema and transaction statements, SQLite's own statements inside FTS5 ("-- ..."), and sqlite-utils' probe of
# upsert support against a throwaway table.
SKIP = re.compile(r"^\s*(pragma|begin|commit|rollback|savepoint|release|create|drop|alter)\b|^\s*--"
                  r"|^insert into t[0-9a-f]{32} ", re.IGNORECASE)
NO_QUERIES: set[str] = set()  # every page reads the database (Settings: the audit trail)
TABLE_REF = re.compile(r"\b(?:from|join|update|into)\s+\[?(\w+)\]?(?:\s+(?:as\s+)?(\w+))?", re.IGNORECASE)
KEYWORDS = {"where", "left", "join", "on", "order", "group", "limit", "inner", "using", "set", "values", "select"}
SCAN = re.compile(r"^SCAN (\w+)")
LIMITED = re.compile(r"\blimit \d+\s*$", re.IGNORECASE)


def aliases(sql: str) -> dict[str, str]:
    names = {}
    for table, alias in TABLE_REF.findall(sql):
        names[table] = table
        if alias and alias.lower() not in KEYWORDS:
            names[alias] = table
    return names


def full_scans(db, sql: str) -> list[str]:
    """The large tables ``sql`` reads from end to end, by its query plan."""
    names = aliases(sql)
    partial = {r[0] for r in db.execute("select name from sqlite_master where type = 'index' and sql like '% where %'")}
    plan = db.execute("explain query plan " + sql).fetchall()
    # A scan in index order that the statement's LIMIT stops reads only that many rows.
    bounded = LIMITED.search(sql) is not None and not any("TEMP B-TREE" in d for *_, d in plan) and \
        sum(1 for *_, d in plan if SCAN.match(d)) == 1
    found = []
    for *_, detail in plan:
        match = SCAN.match(detail)
        # A partial index holds only the rows its WHERE picks, and FTS5 reads its own index.
        reads_less = "VIRTUAL TABLE" in detail or any(detail.endswith(f"INDEX {name}") for name in partial) or \
            (bounded and " INDEX " in detail)
        if match and names.get(match.group(1), "") in LARGE and not reads_less:
            found.append(detail)
    return found


def test_the_check_sees_a_full_scan(db):
    assert full_scans(db, "select * from escalations e where e.body like '%x%'") == ["SCAN e"]
    assert full_scans(db, "select escalation_id, max(received_at) from followups group by escalation_id")
    assert not full_scans(db, "select * from escalations where status = 'open' order by received_at limit 5")
    assert not full_scans(db, "select * from escalations order by received_at desc limit 5")
    assert full_scans(db, "select * from escalations order by subject limit 5")


@pytest.fixture
def traced(app_env, monkeypatch):
    """Every statement the dashboard's database handle runs."""
    statements: list[str] = []
    plain = ui.deps.open_db

    def open_traced(path, **kwargs):
        db = plain(path, **kwargs)
        db.conn.set_trace_callback(statements.append)
        return db

    monkeypatch.setattr(ui.deps, "open_db", open_traced)
    seed(app_env)
    return statements


def seed(app_env) -> None:
    now = APP_NOW
    db = app_env.db
    db["engineers"].insert_all([{"email": f"e{i}@ourco.com", "name": f"Eng {i}", "active": 1} for i in range(5)],
                               pk="email")
    db["customers"].insert({"domain": "acme.example", "company": "Acme", "tier": "enterprise"}, pk="domain")
    first = app_env.escalation(1, age=timedelta(days=5))
    app_env.escalation(2, tier="business", age=timedelta(days=1))
    closed = app_env.escalation(3, status="done", closed_at=iso(now - timedelta(days=2)))
    app_env.link(first, "ENG-1")
    for n, eid in enumerate((first, closed)):
        db["followups"].insert({"message_id": f"<f{n}@x>", "escalation_id": eid, "sender": "x@acme.example",
                                "body": "again", "received_at": iso(now - timedelta(days=1))})
    db["quarantine"].insert({"message_id": "<q@x>", "reason": "unknown sender", "sender": "q@else.example",
                             "subject": "Hi", "received_at": iso(now), "status": "pending"}, pk="message_id")
    db["inbound_messages"].insert({"message_id": "<i@x>", "source": "imap", "status": "ignored",
                                   "received_at": iso(now), "reason": "auto-reply"}, pk="message_id")
    done = now - timedelta(days=3)
    db["staged_replies"].insert({"key": "r1", "escalation_id": first, "linear_issue_id": "i1", "done_at": iso(done),
                                 "staged_at": iso(done + timedelta(hours=2)), "status": "staged",
                                 "body": "Fixed."}, pk="key")


@pytest.mark.parametrize("page", PAGES)
def test_every_query_a_page_makes_uses_an_index(traced, app_env, page):
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=30).run()
    assert not at.exception
    if page == "escalations.py":  # the filters, the search and paging each send queries of their own
        at.multiselect(key="escalations.status_filter").unselect("open").run()
        at.multiselect(key="escalations.tier_filter").select("unknown").select("business").run()
        at.text_input(key="escalations.customer_filter").input("acme").run()
        at.text_input(key="escalations.search").input("bug").run()
        at.number_input(key="escalations.page").set_value(2).run()
        at.selectbox(key="escalations.sort").select("impact").run()
        assert not at.exception
    queries = [s for s in dict.fromkeys(traced) if not SKIP.match(s)]
    assert bool(queries) != (page in NO_QUERIES), "the trace saw nothing: the check would pass without looking"
    scans = {sql: found for sql in queries if (found := full_scans(app_env.db, sql))}
    assert not scans, "\n\n".join(f"{sql}\n  -> {found}" for sql, found in scans.items())
