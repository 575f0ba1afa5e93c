"""Each submitted handoff, also posted to Linear once: a document in the team's project, or a comment on the
planning issue (``ROTADESK_HANDOFF_LINEAR_TARGET``).

Gather → decide → apply, resumable: the week's row and its key (a UUID) are stored before the create, the create
carries the key as the new document's or comment's id, and a run that finds a row whose create was sent but not
recorded reads the key back from Linear before creating anything. A handoff submitted again updates its post.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from core import handoff as ho
from core.escalations import parse_time
from core.linear import LinearClient
from core.settings import Settings
from core.store import handoff_posts as store
from core.store import iso, ops

RECENT = timedelta(days=14)  # switching the setting on posts the last two weeks' handoffs, not a year of them


def title(row: dict[str, Any]) -> str:
    return f"Support rotation handoff: week of {str(row['week_start'])[:10]}"


def action(handoff: dict[str, Any], post: dict[str, Any] | None) -> str:
    """What the week's post needs: ``create`` (or finish creating), ``update`` (submitted again), or ``none``."""
    if post is None or post["status"] != "posted":
        return "create"
    if str(handoff["submitted_at"]) > str(post.get("posted_submitted_at") or ""):
        return "update"
    return "none"


def to_post(handoffs: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The submitted handoffs recent enough to post, oldest week first."""
    return sorted((h for h in handoffs if (at := parse_time(h.get("submitted_at"))) is not None
                   and at >= now - RECENT), key=lambda h: str(h["week_start"]))


def post_handoffs(db: Database, settings: Settings, linear: LinearClient, now: datetime) -> str:
    """Post or update each recent submitted handoff in Linear; returns a summary for the worker's log."""
    target = settings.handoff_linear_target
    if not target:
        return ""
    done = {"create": 0, "update": 0}
    issue_id: str | None = None
    for handoff in to_post(ops.handoffs(db), now):
        week = str(handoff["week_start"])[:10]
        post = store.get(db, week)
        step = action(handoff, post)
        if step == "none":
            continue
        content = ho.render_markdown(ho.from_saved(handoff))
        if target == "comment" and issue_id is None:
            issue_id = linear.get_issue(settings.linear_planning_issue).id
        if step == "create":
            post = store.intend(db, week, target, iso(now))
            found = _read_back(linear, post) if post["attempted_at"] else None
            if found is None:
                store.attempting(db, week, iso(now))
                found = (linear.create_document(settings.linear_project, title(handoff), content, post["key"])
                         if post["target"] == "document" else
                         linear.create_comment(issue_id or "", content, comment_id=post["key"]))
        elif post["target"] == "document":
            found = linear.update_document(post["linear_id"], title(handoff), content)
        else:
            found = linear.update_comment(post["linear_id"], content)
        store.posted(db, week, found.id, found.url, str(handoff["submitted_at"]), iso(now))
        done[step] += 1
    parts = [f"{n} handoff{'s' if n != 1 else ''} {'posted' if k == 'create' else 'updated'}"
             for k, n in done.items() if n]
    return ", ".join(parts) + f" in Linear ({target})" if parts else ""


def _read_back(linear: LinearClient, post: dict[str, Any]):
    """The document or comment an earlier run created under the post's key, if it got that far."""
    return (linear.find_document if post["target"] == "document" else linear.find_comment)(post["key"])
