"""Store functions for the team's Linear cycles (written by the worker, read by the planning view).

Imports nothing from ``core.store`` so the schema can register its migrations without a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from sqlite_utils import Database

from core.linear_models import Cycle


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def save(db: Database, team_key: str, cycles: Iterable[Cycle], now: datetime) -> int:
    rows = [{"id": c.id, "team_key": team_key, "number": c.number, "name": c.name, "starts_at": _iso(c.starts_at),
             "ends_at": _iso(c.ends_at), "synced_at": _iso(now)} for c in cycles]
    with db.atomic():
        db["linear_cycles"].upsert_all(rows, pk="id")
    return len(rows)


def forget(db: Database) -> None:
    """The team stopped using cycles: the planning view goes back to weeks only."""
    with db.atomic():
        db.execute("delete from linear_cycles")


def cycles(db: Database, since: str = "") -> list[dict]:
    return list(db.query("select * from linear_cycles where ends_at >= ? order by starts_at", [since]))
