"""An FTS5 index of linked Linear issues (title and first report), to suggest "same bug as..." candidates.

The index is its own table (``issue_index`` and its ``issue_index_fts`` shadow), filled from the links, the
journal and the escalations by :func:`refresh`, so it can be rebuilt at any time and never holds anything the
store does not. Matching is SQLite's own bm25 ranking over an OR of the report's words: no external service.
This module imports nothing from ``core.store`` so the schema can register its migrations.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("rotadesk.similar")
TEXT_LIMIT = 2_000  # characters of the first report indexed beside the title
QUERY_WORDS = 40
RECENT = timedelta(days=180)  # issues with no report for this long are not suggested
_WORD = re.compile(r"[^\W_]{3,}")  # a plain character class: linear time on any input
_STOP = frozenset(
    "the and for are but not you your with this that have has was were from they when what which will would "
    "there their can could should our all any been into its also just than then them these those does did "
    "hello thanks thank regards please sent email mail wrote".split()
)


@migrations()
def m001_issue_index(db: Database) -> None:
    db["issue_index"].create(
        {"linear_issue_id": str, "identifier": str, "url": str, "title": str, "text": str, "state_type": str,
         "last_report_at": str},
        pk="linear_issue_id",
    )
    db["issue_index"].enable_fts(["title", "text"], create_triggers=True, tokenize="porter")


def refresh(db: Database) -> None:
    """Bring the index up to date with every linked issue (cheap: one row per issue, written when it changed)."""
    rows = db.query(
        "select l.linear_issue_id, max(l.linear_identifier) identifier, max(l.linear_url) url, "
        "max(l.linear_state_type) state_type, min(l.escalation_id) first_id, max(e.received_at) last_report_at "
        "from links l join escalations e on e.id = l.escalation_id "
        "where l.linear_issue_id is not null and l.linear_issue_id != '' group by l.linear_issue_id")
    current = {r["linear_issue_id"]: r for r in db["issue_index"].rows}
    for row in list(rows):
        first = next(db.query("select subject, body from escalations where id = ?", [row["first_id"]]), {})
        detail = next(db.query("select detail from journal where escalation_id = ? and step = 'linear_issue'",
                               [row["first_id"]]), {}).get("detail")
        title = _title(detail) or first.get("subject") or ""
        text = f"{first.get('subject') or ''}\n{(first.get('body') or '')[:TEXT_LIMIT]}"
        entry = {"linear_issue_id": row["linear_issue_id"], "identifier": row["identifier"], "url": row["url"],
                 "title": title, "text": text, "state_type": row["state_type"] or "",
                 "last_report_at": row["last_report_at"] or ""}
        if current.get(row["linear_issue_id"]) != entry:
            db["issue_index"].upsert(entry, pk="linear_issue_id")


def similar(db: Database, text: str, *, now: datetime, exclude: str | None = None, limit: int = 5) -> list[dict]:
    """Open indexed issues ranked by how well they match ``text`` (best first), reported on recently."""
    query = match_query(text)
    if not query:
        return []
    since = (now - RECENT).astimezone(timezone.utc).isoformat(timespec="seconds")
    return list(db.query(
        "select i.*, issue_index_fts.rank as score from issue_index_fts "
        "join issue_index i on i.rowid = issue_index_fts.rowid "
        "where issue_index_fts match ? and i.state_type not in ('completed', 'canceled') "
        "and i.linear_issue_id != ? and i.last_report_at >= ? order by issue_index_fts.rank limit ?",
        [query, exclude or "", since, limit]))


def match_query(text: str) -> str:
    """An FTS5 query matching any of ``text``'s distinctive words, each quoted so nothing in it is syntax."""
    words: dict[str, None] = {}
    for word in _WORD.findall((text or "")[:20_000].lower()):
        if word not in _STOP and not word.isdigit():
            words.setdefault(word)
        if len(words) >= QUERY_WORDS:
            break
    return " OR ".join(f'"{w}"' for w in words)


def _title(detail: Any) -> str | None:
    try:
        return (json.loads(detail) if isinstance(detail, str) else detail or {}).get("title")
    except (ValueError, AttributeError):
        return None
