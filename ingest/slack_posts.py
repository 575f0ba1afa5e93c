"""Posting to Slack from the outbox, and the worker's Slack step: Linear issues into threads, notifications.

The worker calls :func:`slack_cycle` every cycle. It enqueues what is new (a thread whose escalation got its Linear
issue, the notifications that are due) under keys naming the event, then sends what is pending. The outbox
(``core/store/slack.py``) makes each event one post, across restarts.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from datetime import date, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlite_utils import Database

from core import slack as cs
from core import slack_notify
from core.settings import Settings
from core.store import slack as store

log = logging.getLogger("rotadesk.slack")


def send_pending(db: Database, client: WebClient, lock: threading.Lock | None, now: datetime, *,
                 key: str | None = None) -> int:
    """Send every pending post (or the one with ``key``); returns how many went out."""
    guard = lock or contextlib.nullcontext()
    with guard:
        pending = store.pending_posts(db, key)
    sent = 0
    for post in pending:
        with guard:
            if not store.claim_post(db, post["key"], now):
                continue
        try:
            answer = client.chat_postMessage(channel=post["channel"], text=post["text"],
                                             thread_ts=post["thread_ts"] or None, unfurl_links=False,
                                             blocks=json.loads(post["blocks"]) if post.get("blocks") else None)
        except SlackApiError as exc:
            error = exc.response.get("error") or str(exc.response.status_code)
            log.warning("Slack refused post %s: %s", post["key"], error)
            with guard:
                store.fail_post(db, post["key"], error, now)
            continue
        except Exception:
            # The request may or may not have reached Slack: the post stays "sending" and is never sent again.
            log.exception("post %s may not have reached Slack; not sending it again", post["key"])
            continue
        with guard:
            store.finish_post(db, post["key"], answer["ts"], now)
        sent += 1
    return sent


def slack_cycle(db: Database, settings: Settings, client: WebClient, now: datetime) -> str:
    """One worker pass: enqueue Linear issues for their threads and the due notifications, then send."""
    for row in store.threads_awaiting_issue(db):
        store.enqueue(db, f"linked:{row['escalation_id']}", "thread", row["channel"],
                      cs.linked_text(row["escalation_id"], row["linear_identifier"], row["linear_url"] or ""), now,
                      thread_ts=row["thread_ts"])
    if settings.slack_channel:
        for event in slack_notify.due(gather(db, settings, now), settings, now):
            store.enqueue(db, event.key, "notification", settings.slack_channel, event.text, now)
    sent = send_pending(db, client, None, now)
    return f"{sent} Slack posts sent" if sent else ""


def gather(db: Database, settings: Settings, now: datetime) -> slack_notify.Facts:
    """Everything the notifications look at, read in one go."""
    from core import escalations as esc
    from core import office_hours as oh
    from core.rotation import local_date
    from core.store import intake, ops
    from core.store import rotation as rotation_store

    day = local_date(now, settings.team_timezone)
    rows = intake.escalations(db, limit=2000)
    queue = oh.build_queue(esc.open_escalations(rows), ops.office_hours_for_day(db, day.isoformat()),
                           latest_followups=ops.latest_followups(db),
                           last_discussed=ops.last_discussed(db, day.isoformat()),
                           closed_items=[e for e in map(esc.from_row, rows) if not e.is_open])
    return slack_notify.Facts(
        weeks=rotation_store.effective_schedule(db),
        names={e.email: e.name for e in rotation_store.list_engineers(db)},
        handoffs={date.fromisoformat(h["week_start"]): h for h in ops.handoffs(db, limit=4) if h["submitted_at"]},
        queue_size=sum(1 for item in queue if not item.discussed),
        staged_replies=store.staged_replies(db), overrides=rotation_store.list_overrides(db))
