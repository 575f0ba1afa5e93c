"""The audit trail: who did what, when, and what changed. Append-only (triggers refuse updates and deletes).

Every action goes through :func:`performed`: it refuses a person whose role does not allow the action before
anything happens, and records one entry once the action has succeeded (a failed action changed nothing and
leaves no entry). Entries hold ids, statuses and names, never message bodies or secrets.
This module imports nothing from ``core.store`` so the schema can register its migrations without a cycle.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from core.access import Person, require

migrations = Migrations("rotadesk.audit")
COLUMNS = ("id", "at", "actor", "actor_name", "role", "action", "target", "changes")


@migrations()
def m001_audit_log(db: Database) -> None:
    db["audit_log"].create(
        {"id": int, "at": str, "actor": str, "actor_name": str, "role": str, "action": str, "target": str,
         "changes": str},
        pk="id", not_null={"at", "actor", "action"},
    )
    db["audit_log"].create_index(["at"])
    db["audit_log"].create_index(["actor"])
    db["audit_log"].create_index(["action"])
    for event in ("update", "delete"):
        db.execute(f"create trigger audit_log_no_{event} before {event} on audit_log "
                   "begin select raise(abort, 'the audit trail is append-only'); end")


def record(db: Database, actor: Person, action: str, target: str, changes: Mapping[str, Any], *,
           now: datetime) -> int:
    """Append one entry; returns its id."""
    with db.conn:
        cursor = db.execute(
            "insert into audit_log (at, actor, actor_name, role, action, target, changes) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            [_iso(now), actor.email, actor.name, actor.role, action, target,
             json.dumps(dict(changes), ensure_ascii=False, sort_keys=True, default=_text)])
    return int(cursor.lastrowid)


@contextmanager
def performed(db: Database, actor: Person, action: str, target: str, *, now: datetime,
              changes: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Run the block as ``actor`` taking ``action`` on ``target``: refused unless the role allows it, recorded
    when the block succeeds. The block may add to the yielded ``changes`` (what the action returned)."""
    require(actor, action)
    recorded: dict[str, Any] = dict(changes or {})
    yield recorded
    record(db, actor, action, target, recorded, now=now)


def entries(db: Database, *, actor: str | None = None, action: str | None = None, since: str | None = None,
            until: str | None = None, limit: int | None = 1000) -> list[dict]:
    """Newest first; ``since``/``until`` are ISO dates or times (``until`` a date includes that whole day);
    ``limit=None`` returns every match."""
    where, params = [], []
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if action:
        where.append("action = ?")
        params.append(action)
    if since:
        where.append("at >= ?")
        params.append(since)
    if until:
        where.append("at < ?")
        params.append(until + ("T99" if len(until) == 10 else ""))  # a bare date covers all of that day
    clause = ("where " + " and ".join(where)) if where else ""
    # Newest first through the index on ``at`` (and the rowid in it), so the newest page never reads the whole trail.
    return list(db.query(f"select {', '.join(COLUMNS)} from audit_log {clause} order by at desc, id desc limit ?",
                         [*params, -1 if limit is None else limit]))  # SQLite: -1 is no limit


def to_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """Entries as CSV. Cells that a spreadsheet would run as a formula are prefixed with an apostrophe."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _inert(row.get(k)) for k in COLUMNS})
    return out.getvalue()


def row_changes(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]], key: str,
                fields: Sequence[str]) -> dict[str, Any]:
    """What an edit of a table did: keys added and removed, and for kept keys each field that changed."""
    old = {r[key]: r for r in before}
    new = {r[key]: r for r in after}
    changed = {}
    for k in sorted(old.keys() & new.keys(), key=str):
        diff = {f: [_plain(old[k].get(f)), _plain(new[k].get(f))] for f in fields
                if _plain(old[k].get(f)) != _plain(new[k].get(f))}
        if diff:
            changed[str(k)] = diff
    result: dict[str, Any] = {}
    if added := sorted(str(k) for k in new.keys() - old.keys()):
        result["added"] = added
    if removed := sorted(str(k) for k in old.keys() - new.keys()):
        result["removed"] = removed
    if changed:
        result["changed"] = changed
    return result


def period_changes(before: Iterable[Any], after: Iterable[Any]) -> dict[str, list[str]]:
    """Time-off periods (anything with email, kind, start and end) added and removed by an edit."""
    def label(u: Any) -> str:
        return f"{u.email} {u.kind} {_plain(u.start)}..{_plain(u.end)}"

    old, new = {label(u) for u in before}, {label(u) for u in after}
    return {"added": sorted(new - old), "removed": sorted(old - new)}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _inert(value: Any) -> Any:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")
