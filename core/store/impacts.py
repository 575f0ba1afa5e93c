"""What each linked issue costs customers, kept in a small table so the board can sort by it in SQL.

One row per Linear issue with linked escalations (``issue_impacts``): its highest tier's rank, revenue at stake,
customers and tickets, as :func:`core.impact.impact_of` counts them. Rewritten for one issue whenever what it counts
changes (an escalation linked to it or moved off it, its company's facts followed from HubSpot) and rebuilt in full
by the worker every cycle, which also catches a new local customer list. The board joins it by primary key.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from sqlite_utils import Database

from core.escalations import tier_rank
from core.impact import Impact, impact_of
from core.store import links as links_store


def refresh(db: Database, issue_ids: Iterable[str | None]) -> None:
    """Count these issues again (an issue with no escalation left loses its row)."""
    for issue_id in dict.fromkeys(i for i in issue_ids if i):
        reports = links_store.issue_reports(db, issue_id)
        with links_store.write(db):
            if reports:
                _put(db, issue_id, impact_of(reports))
            else:
                db.execute("delete from issue_impacts where linear_issue_id = ?", [issue_id])


RECOUNT_EVERY = timedelta(hours=1)  # linking and company changes recount as they happen; this catches the rest
RECOUNT_KEY = "impacts.recounted_at"


def recount_due(db: Database, now: datetime) -> int:
    """:func:`rebuild`, at most once an hour (a new customer list, say): it reads every linked issue's reports,
    too much for every worker cycle."""
    from core.store import get_state, iso, set_state

    last = get_state(db, RECOUNT_KEY)
    if last is not None and now - datetime.fromisoformat(last) < RECOUNT_EVERY:
        return 0
    changed = rebuild(db)
    set_state(db, RECOUNT_KEY, iso(now))
    return changed


def rebuild(db: Database) -> int:
    """Count every linked issue again; returns how many rows changed (0 when all were current)."""
    grouped: dict[str, list[dict]] = {}
    for r in links_store.issue_reports(db):
        grouped.setdefault(r["linear_issue_id"], []).append(r)
    wanted = {issue_id: _row(impact_of(rows)) for issue_id, rows in grouped.items()}
    current = {r["linear_issue_id"]: (r["tier_rank"], r["revenue"], r["customers"], r["tickets"])
               for r in db.query("select * from issue_impacts")}
    stale = [i for i in current if i not in wanted]
    changed = {i: v for i, v in wanted.items() if current.get(i) != v}
    with links_store.write(db):
        for issue_id in stale:
            db.execute("delete from issue_impacts where linear_issue_id = ?", [issue_id])
        for issue_id, values in changed.items():
            _upsert(db, issue_id, values)
    return len(stale) + len(changed)


def _row(impact: Impact) -> tuple[int, float, int, int]:
    return (tier_rank(impact.top_tier), float(impact.revenue or 0.0), impact.customers, impact.tickets)


def _put(db: Database, issue_id: str, impact: Impact) -> None:
    _upsert(db, issue_id, _row(impact))


def _upsert(db: Database, issue_id: str, values: tuple[int, float, int, int]) -> None:
    db.execute("insert into issue_impacts (linear_issue_id, tier_rank, revenue, customers, tickets, updated_at) "
               "values (?, ?, ?, ?, ?, ?) on conflict (linear_issue_id) do update set tier_rank = excluded.tier_rank, "
               "revenue = excluded.revenue, customers = excluded.customers, tickets = excluded.tickets, "
               "updated_at = excluded.updated_at",
               [issue_id, *values, datetime.now(timezone.utc).isoformat(timespec="seconds")])
