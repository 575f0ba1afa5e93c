"""The escalations board in SQL: totals, filters, search, sorting and paging over every row.

The dashboard never loads all escalations: at 100,000 escalations and a million follow-ups it asks for the header
numbers (counted over all rows), one page of the table, and the overdue count, each answered from an index.
Search goes through an FTS5 index over subject, body, customer and company, kept in step by triggers.
This module imports nothing from ``core.store`` so the schema can register its migrations without a cycle.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from core.escalations import CLOSED_STATUSES, TIER_ORDER, from_row

migrations = Migrations("rotadesk.board")

FTS_COLUMNS = ("subject", "body", "customer_name", "customer_address", "customer_domain", "company")
CUSTOMER_COLUMNS = FTS_COLUMNS[2:]
UNKNOWN_TIER = "unknown"
_TIER_RANK = "case lower(e.tier) " + " ".join(f"when '{t}' then {i}" for i, t in enumerate(TIER_ORDER)) + \
    f" else {len(TIER_ORDER)} end"
_WORD = re.compile(r"\w+")


@migrations()
def m001_board_indexes(db: Database) -> None:
    # Every query the dashboard makes is answered from one of these (tests/integration/test_query_plans.py).
    db["followups"].create_index(["escalation_id", "received_at"], if_not_exists=True)
    db["escalations"].create_index(["status", "received_at"], if_not_exists=True)
    db["escalations"].create_index(["status", "tier"], if_not_exists=True)
    db["escalations"].create_index(["received_at"], if_not_exists=True)
    db["escalations"].create_index(["customer_domain", "status"], if_not_exists=True)  # open ones per customer
    db["thread_keys"].create_index(["escalation_id"], if_not_exists=True)
    db["staged_replies"].create_index(["done_at"], if_not_exists=True)
    db["inbound_messages"].create_index(["status", "received_at"], if_not_exists=True)
    db["quarantine"].create_index(["status", "received_at"], if_not_exists=True)
    db["office_hours"].create_index(["day"], if_not_exists=True)
    db["office_hours"].create_index(["escalation_id"], if_not_exists=True)
    # The handoff's "closed (or touched) this week".
    db.execute("create index if not exists escalations_last_change on escalations(coalesce(closed_at, updated_at))")


@migrations()
def m002_escalation_search(db: Database) -> None:
    # The index sqlite-utils' enable_fts(create_triggers=True) makes (an external-content FTS5 table named
    # escalations_fts, triggers escalations_ai/_ad/_au), written out statement by statement: enable_fts runs
    # executescript, which commits, and a migration must stay inside the upgrade's transaction. The update trigger
    # fires only when an indexed column changes: a follow-up or a status change touches no searchable text.
    cols = ", ".join(FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
    db.execute(f"create virtual table escalations_fts using fts5 ({cols}, content=\"escalations\")")
    db.execute(f"insert into escalations_fts (rowid, {cols}) select rowid, {cols} from escalations")
    db.execute(f"create trigger escalations_ai after insert on escalations begin "
               f"insert into escalations_fts (rowid, {cols}) values (new.rowid, {new}); end")
    db.execute(f"create trigger escalations_ad after delete on escalations begin "
               f"insert into escalations_fts (escalations_fts, rowid, {cols}) values ('delete', old.rowid, {old}); end")
    db.execute(f"create trigger escalations_au after update of {cols} on escalations begin "
               f"insert into escalations_fts (escalations_fts, rowid, {cols}) values ('delete', old.rowid, {old}); "
               f"insert into escalations_fts (rowid, {cols}) values (new.rowid, {new}); end")


@migrations()
def m003_last_followup(db: Database) -> None:
    # The newest follow-up, kept on the escalation, so office hours finds a customer who wrote again after closing
    # through a small partial index instead of grouping a million follow-ups.
    db["escalations"].add_column("last_followup_at", str)
    db.execute("update escalations set last_followup_at = "
               "(select max(received_at) from followups f where f.escalation_id = escalations.id)")
    db.execute("create index escalations_wrote_after_close on escalations(closed_at) "
               "where last_followup_at > closed_at")


@migrations()
def m004_issue_impacts(db: Database) -> None:
    # Each linked issue's impact (core.store.impacts keeps it current), for sorting the board by it. Filled by the
    # worker's first cycle; until then every escalation sorts as its own single customer.
    db["issue_impacts"].create({"linear_issue_id": str, "tier_rank": int, "revenue": float, "customers": int,
                                "tickets": int, "updated_at": str}, pk="linear_issue_id")


@dataclass(frozen=True)
class BoardFilter:
    """What the table is narrowed to; an empty field narrows nothing.

    ``customer`` matches words of the name, address, domain or company (each word as a prefix); ``search`` matches
    words of the subject, body, customer and company the same way.
    """

    statuses: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    customer: str = ""
    search: str = ""


@dataclass(frozen=True)
class BoardSummary:
    """Header numbers over every escalation, whatever the filters."""

    open: int
    top_tier_open: int
    oldest_open_at: str | None


def fts_query(text: str, columns: Sequence[str] = ()) -> str | None:
    """An FTS5 query matching every word of ``text`` as a prefix, optionally within ``columns``; None when
    ``text`` has no words. Each word is quoted, so nothing the user types is read as FTS syntax."""
    words = _WORD.findall(text)
    if not words:
        return None
    terms = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
    return f"{{{' '.join(columns)}}} : ({terms})" if columns else terms


def statuses(db: Database) -> list[str]:
    """Every status in use, each found by one index seek rather than a scan of the table."""
    sql = ("with recursive s(status) as (select min(status) from escalations union all "
           "select (select min(status) from escalations where status > s.status) from s where s.status is not null) "
           "select status from s where status is not null")
    return [r["status"] for r in db.query(sql)]


def open_statuses(db: Database) -> list[str]:
    return [s for s in statuses(db) if s.lower() not in CLOSED_STATUSES]


def summary(db: Database) -> BoardSummary:
    opened = open_statuses(db)
    if not opened:
        return BoardSummary(0, 0, None)
    marks = _marks(opened)
    counts = next(db.query(
        f"select count(*) as n, (select count(*) from escalations where status in ({marks}) and tier = ?) as top "
        f"from escalations where status in ({marks})", [*opened, TIER_ORDER[0], *opened]))
    oldest = next(db.query(f"select min(received_at) as at from escalations where status in ({marks})", opened))
    return BoardSummary(counts["n"], counts["top"], oldest["at"])


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


def _where(db: Database, board: BoardFilter) -> tuple[str, list[Any]]:
    """The WHERE clause for ``board``. With no status chosen every status in use is listed, so the planner still
    reads the table through its status index."""
    chosen = list(board.statuses) or statuses(db)
    if not chosen:
        return "0", []
    clauses, params = [f"e.status in ({_marks(chosen)})"], list(chosen)
    if board.tiers:
        known = [t for t in board.tiers if t != UNKNOWN_TIER]
        parts = [f"lower(e.tier) in ({_marks(known)})"] if known else []
        if UNKNOWN_TIER in board.tiers:
            parts.append(f"coalesce(lower(e.tier), '') not in ({_marks(TIER_ORDER)})")
        clauses.append("(" + " or ".join(parts) + ")")
        params += [*known, *(TIER_ORDER if UNKNOWN_TIER in board.tiers else ())]
    for query in (fts_query(board.customer, CUSTOMER_COLUMNS), fts_query(board.search)):
        if query:
            clauses.append("e.id in (select rowid from escalations_fts where escalations_fts match ?)")
            params.append(query)
    return " and ".join(clauses), params


def count(db: Database, board: BoardFilter) -> int:
    where, params = _where(db, board)
    return next(db.query(f"select count(*) as n from escalations e where {where}", params))["n"]


SORTS = ("tier", "impact")
# An escalation's impact: its issue's (core.store.impacts), else its own as a single customer and ticket.
_IMPACT = (f"coalesce(i.tier_rank, {_TIER_RANK}), -coalesce(i.revenue, 0), -coalesce(i.customers, 1), "
           "-coalesce(i.tickets, 1)")


def page(db: Database, board: BoardFilter, *, limit: int = 50, offset: int = 0, sort: str = "tier") -> list[dict]:
    """One page of the table: open before closed, then enterprise first (``sort="impact"``: what hurts most
    first, by the linked issue's highest tier, revenue at stake, customers and tickets), then oldest first; each
    row with its HubSpot and Linear link and its number of follow-ups (counted for this page only)."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}")
    where, params = _where(db, board)
    closed = sorted(CLOSED_STATUSES)
    impact = sort == "impact"
    joins = ("left join links l on l.escalation_id = e.id "
             "left join issue_impacts i on i.linear_issue_id = l.linear_issue_id ")
    order = f"lower(e.status) in ({_marks(closed)}), {_IMPACT if impact else _TIER_RANK}, e.received_at, e.id"
    sql = (
        "select e.id, e.subject, e.status, e.received_at, e.closed_at, e.customer_name, e.customer_address, "
        "e.customer_domain, e.company, e.tier, e.forwarded_by_name, e.forwarded_by_address, "
        "l.hubspot_ticket_url, l.linear_identifier, l.linear_url, l.linear_state, c.revenue, "
        "(select count(*) from followups f where f.escalation_id = e.id) as followups "
        "from (select e.id from escalations e " + (joins if impact else "") + "where " + where + " "
        f"order by {order} limit ? offset ?) p "
        "join escalations e on e.id = p.id " + joins + "left join customers c on c.domain = e.customer_domain " +
        # A join keeps no order: sort the page's few rows again.
        f"order by {order}"
    )
    return list(db.query(sql, [*params, *closed, limit, offset, *closed]))


def overdue(db: Database, board: BoardFilter, cutoffs: dict[str, datetime], unknown_cutoff: datetime, *,
            limit: int = 10) -> tuple[int, list[int]]:
    """Open escalations among ``board`` received before their tier's cutoff: how many, and the ids of the
    ``limit`` most overdue. ``cutoffs`` maps tier to the moment before which an escalation of that tier is due."""
    where, params = _where(db, board)
    opened = open_statuses(db)
    if not opened:
        return 0, []
    tiers = list(cutoffs)
    cutoff = ("case lower(e.tier) " + " ".join("when ? then ?" for _ in tiers) + " else ? end")
    cutoff_params = [v for t in tiers for v in (t, _iso(cutoffs[t]))] + [_iso(unknown_cutoff)]
    base = f"from escalations e where {where} and e.status in ({_marks(opened)}) and e.received_at < {cutoff}"
    base_params = [*params, *opened, *cutoff_params]
    n = next(db.query(f"select count(*) as n {base}", base_params))["n"]
    # Most overdue first: the earliest moment each became due (received + its tier's allowance), then by id.
    due_at = "julianday(e.received_at) - julianday(" + cutoff + ")"
    ids = [r["id"] for r in db.query(f"select e.id {base} order by {due_at}, e.id limit ?",
                                     [*base_params, *cutoff_params, limit])]
    return n, ids


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


QUEUE_COLUMNS = ("e.id, e.subject, e.status, e.received_at, e.closed_at, e.customer_name, e.customer_address, "
                 "e.customer_domain, e.company, e.tier, e.last_followup_at")


def one(db: Database, escalation_id: str | int | None):
    """The table row of one escalation (any status) by its number, as :func:`page` gives it; None when there is
    no such escalation or the number is not one."""
    if not str(escalation_id or "").strip().isdigit():
        return None
    rows = list(db.query(
        "select e.id, e.subject, e.status, e.received_at, e.closed_at, e.customer_name, e.customer_address, "
        "e.customer_domain, e.company, e.tier, e.forwarded_by_name, e.forwarded_by_address, l.hubspot_ticket_url, "
        "l.linear_identifier, l.linear_url, l.linear_state, c.revenue, 0 as followups from escalations e "
        "left join links l on l.escalation_id = e.id left join customers c on c.domain = e.customer_domain "
        "where e.id = ?", [int(escalation_id)]))
    return from_row(rows[0]) if rows else None


def office_hours_candidates(db: Database) -> list[dict]:
    """What the office-hours queue is built from: every open escalation, and every closed one whose customer wrote
    after it was closed; each with ``last_followup_at``."""
    opened = open_statuses(db)
    rows = list(db.query(f"select {QUEUE_COLUMNS} from escalations e where e.status in ({_marks(opened)})",
                         opened)) if opened else []
    wrote_again = db.query(f"select {QUEUE_COLUMNS} from escalations e where e.last_followup_at > e.closed_at")
    seen = {r["id"] for r in rows}
    return rows + [r for r in wrote_again if r["id"] not in seen]
