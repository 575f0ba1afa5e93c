"""The escalations board counted, filtered, searched, sorted and paged in SQL (issue 16)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core import escalations as esc
from core.store import board, iso, open_db
from core.store import intake as store
from core.store.schema import MIGRATION_SETS

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


def add(db, n: int, *, age: timedelta = timedelta(hours=2), **extra) -> int:
    row = {"message_id": f"<b{n}@x.example>", "customer_name": f"Customer {n}",
           "customer_address": f"user{n}@acme.example", "customer_domain": "acme.example", "company": "Acme",
           "tier": "enterprise", "subject": f"Bug number {n}", "body": f"Body of bug {n}", "status": "open",
           "received_at": iso(NOW - age), "attachments": [], **extra}
    return store.create_escalation(db, row, [row["message_id"]])


def test_totals_count_every_row_not_one_page(db):
    for n in range(120):
        add(db, n, age=timedelta(days=n), tier="enterprise" if n % 3 == 0 else "business")
    for n in range(120, 130):
        add(db, n, age=timedelta(days=900), status="done")
    totals = board.summary(db)
    assert (totals.open, totals.top_tier_open) == (120, 40)
    assert totals.oldest_open_at == iso(NOW - timedelta(days=119))
    summary = esc.summary_from(totals.open, totals.top_tier_open, totals.oldest_open_at, NOW)
    assert esc.format_age(summary.oldest_age) == "119d"
    assert board.count(db, board.BoardFilter(statuses=("open",))) == 120
    assert board.count(db, board.BoardFilter()) == 130


def test_pages_are_ordered_open_first_then_tier_then_oldest(db):
    ids = {}
    ids["late_business"] = add(db, 1, age=timedelta(days=9), tier="business")
    ids["new_enterprise"] = add(db, 2, age=timedelta(hours=1))
    ids["old_enterprise"] = add(db, 3, age=timedelta(days=3))
    ids["unknown"] = add(db, 4, age=timedelta(days=30), tier=None)
    ids["closed"] = add(db, 5, age=timedelta(days=40), status="done")
    everything = board.BoardFilter()
    order = [r["id"] for r in board.page(db, everything, limit=10)]
    assert order == [ids[k] for k in ("old_enterprise", "new_enterprise", "late_business", "unknown", "closed")]
    first, second = board.page(db, everything, limit=2), board.page(db, everything, limit=2, offset=2)
    assert [r["id"] for r in first + second] == order[:4]


def test_followups_are_counted_for_the_page(db):
    a = add(db, 1)
    for n in range(3):
        store.add_followup(db, {"message_id": f"<f{n}@x>", "escalation_id": a, "sender": "x@acme.example",
                                "body": "still broken", "received_at": iso(NOW)})
    [row] = board.page(db, board.BoardFilter(), limit=1)
    assert (row["id"], row["followups"]) == (a, 3)


def test_tier_filter_knows_unknown(db):
    add(db, 1)
    b = add(db, 2, tier="business")
    c = add(db, 3, tier="")
    d = add(db, 4, tier=None)
    assert {r["id"] for r in board.page(db, board.BoardFilter(tiers=("business",)))} == {b}
    assert {r["id"] for r in board.page(db, board.BoardFilter(tiers=("unknown",)))} == {c, d}
    assert board.count(db, board.BoardFilter(tiers=("business", "unknown"))) == 3


def test_customer_filter_and_search_use_words_as_prefixes(db):
    a = add(db, 1, customer_name="Kim Lee", customer_address="kim@globex.example", customer_domain="globex.example",
            company="Globex", subject="Export stops at 40%", body="The CSV export of the quarterly report fails")
    b = add(db, 2, subject="Login loop", body="Mention of globex in the body only")
    assert [r["id"] for r in board.page(db, board.BoardFilter(customer="glob"))] == [a]
    assert [r["id"] for r in board.page(db, board.BoardFilter(customer="KIM@GLOBEX"))] == [a]
    assert {r["id"] for r in board.page(db, board.BoardFilter(search="globex"))} == {a, b}
    assert [r["id"] for r in board.page(db, board.BoardFilter(search="quarter csv"))] == [a]
    assert board.count(db, board.BoardFilter(customer="nobody-like-this")) == 0
    # FTS syntax typed by a user is taken as words, never as a query
    assert [r["id"] for r in board.page(db, board.BoardFilter(search='body: "globex* OR NEAR('))] == []
    assert [r["id"] for r in board.page(db, board.BoardFilter(search='body: "globex*('))] == [b]


def test_search_index_follows_updates_and_deletes(db):
    a = add(db, 1, subject="Printer on fire")
    db["escalations"].update(a, {"subject": "Scanner jammed"})
    assert board.count(db, board.BoardFilter(search="printer")) == 0
    assert board.count(db, board.BoardFilter(search="scanner")) == 1
    store.set_escalation_status(db, a, "done", iso(NOW))  # no searchable column changes; still found
    assert board.count(db, board.BoardFilter(search="scanner")) == 1
    db["escalations"].delete(a)
    assert board.count(db, board.BoardFilter(search="scanner")) == 0


def test_a_database_from_before_the_index_gets_its_rows_indexed(tmp_path):
    path = tmp_path / "old.db"
    db = open_db(path)
    a = add(db, 1, subject="Webhooks arrive twice")
    db["escalations_fts"].drop()
    db.execute("drop trigger escalations_ai")
    db.execute("drop trigger escalations_ad")
    db.execute("drop trigger escalations_au")
    db.execute("delete from _sqlite_migrations where name = 'm002_escalation_search'")
    db.conn.commit()
    db.close()
    db = open_db(path)
    assert [r["id"] for r in board.page(db, board.BoardFilter(search="webhooks"))] == [a]
    assert any(m.name == "rotadesk.board" for m in MIGRATION_SETS)
    db.close()


def test_overdue_is_counted_over_every_matching_row(db):
    cutoffs, other = esc.due_cutoffs(NOW)
    late = [add(db, n, age=timedelta(hours=30 + n)) for n in range(12)]  # enterprise allows 24 h
    add(db, 100, age=timedelta(hours=60), tier="business")  # business allows 72 h: not yet
    oldest_business = add(db, 101, age=timedelta(hours=100), tier="business")  # 28 h over
    add(db, 102, age=timedelta(days=30), status="done")  # closed: never overdue
    n, first = board.overdue(db, board.BoardFilter(), cutoffs, other)
    assert n == 13
    # the enterprise one 41 h old is 17 h over, the business one 28 h over: most overdue first
    assert first[:3] == [oldest_business, late[11], late[10]]
    pure = esc.due([esc.from_row(r) for r in board.page(db, board.BoardFilter(), limit=100)], NOW)
    assert [e.id for e in pure][:10] == first
    assert board.overdue(db, board.BoardFilter(tiers=("business",)), cutoffs, other) == (1, [oldest_business])


def test_statuses_lists_each_status_once(db):
    for n, status in enumerate(["open", "done", "open", "wont_fix", "done"]):
        add(db, n, status=status)
    assert board.statuses(db) == ["done", "open", "wont_fix"]
    assert board.open_statuses(db) == ["open"]


def test_empty_board(db):
    assert board.summary(db) == board.BoardSummary(0, 0, None)
    assert board.count(db, board.BoardFilter()) == 0
    assert board.page(db, board.BoardFilter()) == []
    assert board.overdue(db, board.BoardFilter(), *esc.due_cutoffs(NOW)) == (0, [])


def test_office_hours_candidates_are_open_ones_and_closed_ones_written_to_again(db):
    opened = add(db, 1)
    quiet = add(db, 2, status="done", closed_at=iso(NOW - timedelta(days=2)))
    wrote = add(db, 3, status="done", closed_at=iso(NOW - timedelta(days=2)))
    before = add(db, 4, status="wont_fix", closed_at=iso(NOW - timedelta(days=2)))
    for n, (eid, at) in enumerate([(wrote, NOW - timedelta(days=1)), (before, NOW - timedelta(days=3)),
                                   (opened, NOW - timedelta(hours=1)), (opened, NOW - timedelta(hours=5))]):
        store.add_followup(db, {"message_id": f"<f{n}@x>", "escalation_id": eid, "sender": "x", "body": "",
                                "received_at": iso(at)})
    rows = {r["id"]: r for r in board.office_hours_candidates(db)}
    assert set(rows) == {opened, wrote}
    assert rows[opened]["last_followup_at"] == iso(NOW - timedelta(hours=1))
    assert quiet not in rows


def test_last_followup_is_filled_in_for_an_existing_database(tmp_path):
    path = tmp_path / "old.db"
    db = open_db(path)
    a = add(db, 1)
    store.add_followup(db, {"message_id": "<f@x>", "escalation_id": a, "sender": "x", "body": "",
                            "received_at": iso(NOW)})
    db.execute("drop index escalations_wrote_after_close")
    db.execute("update escalations set last_followup_at = null")
    db.execute("alter table escalations drop column last_followup_at")
    db.execute("delete from _sqlite_migrations where name = 'm003_last_followup'")
    db.conn.commit()
    db.close()
    db = open_db(path)
    assert board.office_hours_candidates(db)[0]["last_followup_at"] == iso(NOW)
    db.close()


def test_the_board_migrations_stay_inside_the_caller_s_transaction(tmp_path):
    # An upgrade that runs every migration in one transaction must not see it committed half way.
    import sqlite3

    from sqlite_utils import Database

    db = Database(sqlite3.connect(str(tmp_path / "one.db")))
    db.execute("BEGIN IMMEDIATE")
    for migrations in MIGRATION_SETS:
        migrations.apply(db)
        assert db.conn.in_transaction, migrations.name
    db.conn.rollback()
    assert not db["escalations"].exists()
    assert db["escalations"].detect_fts() is None
