"""The long-running worker: read the inbox, link new escalations, stage closing replies; repeat.

Each cycle is: one IMAP pass (when an inbox is configured), rolling the rotation plan forward and republishing
its calendar feeds, then matching roster engineers to their Linear user
and HubSpot owner, ``sync`` (escalations not yet linked to HubSpot and Linear), reassigning the open Linear issues
of a week that changed hands, then the closing-the-loop poll
and the boundary guard (the engineer on support's non-escalation work in Linear), then posting submitted handoffs
to Linear when ``ROTADESK_HANDOFF_LINEAR_TARGET`` says where, and (hourly) the team's Linear cycles.
Without tokens only the IMAP pass and the rotation run: Rotadesk is local-only. Once a day a cycle also applies
the retention setting (``ROTADESK_RETENTION_DAYS``).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime, timezone

from sqlite_utils import Database

from core.errors import AppError
from core.settings import Settings
from core.store import open_db

log = logging.getLogger("rotadesk.worker")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Connectors:
    """The HubSpot and Linear clients, built once per worker process."""

    def __init__(self, settings: Settings) -> None:
        from core.hubspot import HubSpotClient
        from core.linear import LinearClient

        self.hubspot = HubSpotClient.from_settings(settings)
        self.linear = LinearClient.from_settings(settings)

    def close(self) -> None:
        self.hubspot.close()
        self.linear.close()


def slack_step(db: Database, settings: Settings, client) -> None:
    """Post Linear issues into their Slack threads and the due notifications; Slack being down never stops us."""
    if client is None:
        return
    from ingest.slack_posts import slack_cycle

    try:
        summary = slack_cycle(db, settings, client, _now())
        if summary:
            log.info("slack: %s", summary)
    except Exception as exc:  # noqa: BLE001 - a Slack outage must not stop the inbox or linking
        log.warning("slack postponed: %s", exc)


def rotation_cycle(db: Database, settings: Settings, *, now: datetime | None = None) -> None:
    """Keep the rotation planned to its horizon and the feeds current, so nobody has to open the Calendar page."""
    from core.store.rotation import roll_forward

    moment = now or _now()
    try:
        schedule = roll_forward(db, settings, moment)
    except (AppError, OSError) as exc:
        log.warning("rotation postponed: %s", exc)
        return
    if schedule is not None:
        log.info("rotation planned to the week of %s", schedule.weeks[-1].week_start if schedule.weeks else "-")
        for warning in schedule.warnings:
            log.warning("rotation: %s", warning)


def sync_cycle(
    db: Database,
    settings: Settings,
    connectors: Connectors | None,
    *,
    progress: Callable[[int, int], None] | None = None,
    slack=None,
) -> None:
    """Link what is not linked yet, stage closing replies and carry each side's changes to the other.
    One failing connector never stops the worker."""
    if connectors is None:
        slack_step(db, settings, slack)
        return
    from core.accounts import match_accounts
    from core.boundary_sync import check as check_boundary
    from core.closing import poll_and_stage
    from core.cycles_sync import sync_cycles
    from core.follow import follow_hubspot, follow_linear
    from core.follow_tickets import follow_open_tickets
    from core.handoff_posts import post_handoffs
    from core.linking import sync_pending
    from core.reassign import reassign_due
    from core.store import impacts
    from ingest.hubspot_source import poll_escalated

    def accounts() -> str:
        matched = match_accounts(db, connectors.hubspot, connectors.linear)
        return matched.summary() if matched.filled else ""  # quiet when nothing changed

    for name, step in (
        ("roster accounts", accounts),
        ("HubSpot escalations", lambda: poll_escalated(db, settings, connectors.hubspot, now=_now())),
        (
            "linking",
            lambda: sync_pending(db, settings, connectors.hubspot, connectors.linear, now=_now(), progress=progress),
        ),
        ("handovers", lambda: reassign_due(db, settings, connectors.linear, now=_now())),
        ("closing replies", lambda: poll_and_stage(db, settings, connectors.hubspot, connectors.linear, now=_now())),
        ("HubSpot changes", lambda: follow_hubspot(db, settings, connectors.hubspot, connectors.linear, now=_now())),
        ("Linear changes", lambda: follow_linear(db, settings, connectors.hubspot, connectors.linear, now=_now())),
        ("boundary guard", lambda: check_boundary(db, settings, connectors.linear, _now())),
        ("handoffs to Linear", lambda: post_handoffs(db, settings, connectors.linear, _now())),
        ("Linear cycles", lambda: sync_cycles(db, settings, connectors.linear, _now())),
        ("other open tickets",
         lambda: follow_open_tickets(db, settings, connectors.hubspot, connectors.linear, now=_now())),
        ("issue impacts", lambda: impacts.recount_due(db, _now()) and "recounted"),
    ):
        try:
            summary = step()
            if summary:
                log.info("%s: %s", name, summary)
        except AppError as exc:
            log.warning("%s postponed: %s", name, exc)
    slack_step(db, settings, slack)


def retention_cycle(db: Database, settings: Settings, now: datetime) -> None:
    """Apply ``ROTADESK_RETENTION_DAYS`` once a day; a failure here never stops the worker."""
    from ingest.care import apply_retention, retention_due

    if not retention_due(db, settings, now):
        return
    try:
        result = apply_retention(db, settings, now)
    except (AppError, OSError, sqlite3.Error) as exc:
        log.warning("retention postponed: %s", exc)
        return
    if result is not None and (result.raw_files or result.attachments):
        log.info(result.summary())


def run(settings: Settings, *, once: bool = False, sleep: Callable[[float], None] = time.sleep) -> int:
    db = open_db(settings.db)
    connectors = None if settings.local_only else Connectors(settings)
    if connectors is None:
        log.info("local-only mode: escalations stay in %s (no HubSpot or Linear token)", settings.db)
    slack = None
    if settings.slack_bot_token:
        from ingest.slack_app import web_client

        slack = web_client(settings)

    def cycle() -> None:
        rotation_cycle(db, settings)
        sync_cycle(db, settings, connectors, slack=slack)
        retention_cycle(db, settings, _now())

    try:
        if settings.imap_configured:
            from core.store.wal import checkpoints_in_background
            from ingest.imap import ImapWorker

            worker = ImapWorker(settings, db, after_pass=cycle)
            with checkpoints_in_background(db):
                if once:
                    print(worker.run_once().summary())
                    cycle()
                else:
                    worker.run()
        else:
            log.info("no inbox configured (ROTADESK_IMAP_HOST); only syncing")
            while True:
                cycle()
                if once:
                    break
                sleep(settings.imap_poll_seconds)
    finally:
        if connectors is not None:
            connectors.close()
        db.close()
    return 0


def sync_backlog(settings: Settings, *, progress: bool = True) -> int:
    """``python -m ingest sync``: push every escalation not yet linked, with a progress bar."""
    if settings.local_only:
        print("local-only mode: set ROTADESK_HUBSPOT_TOKEN and ROTADESK_LINEAR_API_KEY to sync")
        return 0
    from tqdm import tqdm

    db = open_db(settings.db)
    connectors = Connectors(settings)
    bar = tqdm(desc="Linking", unit="escalation", disable=not progress)

    def advance(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        from core.linking import sync_pending

        print(sync_pending(db, settings, connectors.hubspot, connectors.linear, now=_now(), progress=advance))
    finally:
        bar.close()
        connectors.close()
        db.close()
    return 0
