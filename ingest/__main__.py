"""Rotadesk's command line: ``python -m ingest <command>``.

    run [--once]          read the IMAP inbox (IDLE or poll) and keep HubSpot and Linear in sync
    import PATH           take a .eml file, a folder of them, or an mbox through the intake pipeline
    import-schedule PATH  take the weeks of a schedule kept elsewhere (CSV or iCal): history and planned weeks
    parse FILE [FILE...]  print what Rotadesk reads from each message, one JSON object per line
    report ...            file a customer report that did not come by email (Slack, a call), in one step
    replay                process again every stored message whose processing never finished or failed
    reconcile             list raw message files that have no record (exit 1 when there are any)
    sync                  push escalations not yet linked to HubSpot and Linear
    setup-hubspot         create Rotadesk's custom ticket properties in HubSpot (safe to re-run)
    webhook --port N      receive Linear webhooks (closing the loop without waiting for a poll)
    health                one line per part (database, IMAP, HubSpot, Linear, poll, sync, queues); exit 0 or 1
    backup PATH           copy the database while the worker runs (SQLite's online backup)
    restore PATH          check a backup and put it in place of the database
    retention             remove raw messages and attachments older than ROTADESK_RETENTION_DAYS
    export-customer ADDR  write everything held about one customer address to a zip
    erase-customer ADDR   delete everything held about one customer address (right to erasure)
    slack --port N        serve the Slack app (message shortcut, modal, /rotadesk)
    feeds --port N        serve the private calendar feeds (with ROTADESK_FEED_SECRET)
    hubspot-webhook --port N  receive HubSpot webhooks (escalated tickets and changes at once)
    demo                  build the demo database from data/samples (local-only)
    imap-authorize        consent once to the mailbox's OAuth sign-in and save its refresh token to .env
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from core.errors import AppError, ConfigError
from core.report import SOURCES
from core.settings import Settings
from ingest.startup import import_sqlite_utils_lean

HEALTH_PARTS = "database, imap, hubspot, linear, poll, sync, queues, http"  # core.monitor.PARTS, without its imports


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest", description="Rotadesk's intake and sync worker.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="read the inbox and keep HubSpot and Linear in sync")
    run.add_argument("--once", action="store_true", help="do one pass and exit")
    imp = sub.add_parser("import", help="import a .eml file, a folder of them, or an mbox")
    imp.add_argument("path")
    sched = sub.add_parser("import-schedule", help="import a schedule kept elsewhere: a CSV or an iCal (.ics) file")
    sched.add_argument("path")
    parse = sub.add_parser("parse", help="print the parsed form of each message as JSON lines")
    parse.add_argument("files", nargs="+")
    report = sub.add_parser("report", help="file a customer report that did not come by email (Slack, a call)")
    report.add_argument("--customer", required=True, help="the customer's email address")
    report.add_argument("--customer-name", default="", help="the customer's name")
    report.add_argument("--subject", required=True, help="one line saying what is wrong")
    report.add_argument("--source", default="slack", choices=list(SOURCES), help="where it came from")
    report.add_argument("--by", required=True, help="who is reporting it (your name)")
    report.add_argument("--by-email", default="", help="your email address")
    report.add_argument("--link", default="", help="a Slack permalink or a recording")
    report.add_argument("--body", help="what the customer said; read from standard input when left out")
    sub.add_parser("replay", help="process again messages whose processing never finished")
    sub.add_parser("reconcile", help="list raw message files that have no record")
    sub.add_parser("sync", help="push escalations not yet linked to HubSpot and Linear")
    sub.add_parser("setup-hubspot", help="create Rotadesk's custom ticket properties in HubSpot")
    hook = sub.add_parser("webhook", help="receive Linear webhooks")
    hook.add_argument("--port", type=int, default=8502)
    hook.add_argument("--host", default="127.0.0.1")
    authorize = sub.add_parser("imap-authorize", help="authorize the mailbox's OAuth sign-in once (device code)")
    authorize.add_argument("--env-file", default=".env", help="where to save the refresh token (default .env)")
    health = sub.add_parser("health", help="check each part of the deployment; exit 1 when one fails")
    health.add_argument("--offline", action="store_true",
                        help="judge IMAP, HubSpot and Linear from what the worker recorded, without calling them")
    health.add_argument("--only", help="comma-separated parts to check, of " + HEALTH_PARTS)
    health.add_argument("--url", help="also fetch this URL (the dashboard's /_stcore/health, the webhook receiver)")
    backup = sub.add_parser("backup", help="copy the database while the worker runs")
    backup.add_argument("path")
    restore = sub.add_parser("restore", help="check a backup and put it in place of the database")
    restore.add_argument("path")
    sub.add_parser("retention", help="remove raw messages and attachments older than ROTADESK_RETENTION_DAYS")
    export = sub.add_parser("export-customer", help="write everything held about one customer address to a zip")
    export.add_argument("address")
    export.add_argument("--out", required=True, help="the zip file to write")
    erase = sub.add_parser("erase-customer", help="delete everything held about one customer address")
    erase.add_argument("address")
    erase.add_argument("--yes", action="store_true", help="delete; without it, only list what would be deleted")
    slack = sub.add_parser("slack", help="serve the Slack app: the bug shortcut, its modal and /rotadesk")
    slack.add_argument("--port", type=int, default=8503)
    slack.add_argument("--host", default="127.0.0.1")
    feed = sub.add_parser("feeds", help="serve the private calendar feeds")
    feed.add_argument("--port", type=int, default=8504)
    feed.add_argument("--host", default="127.0.0.1")
    hub_hook = sub.add_parser("hubspot-webhook", help="receive HubSpot webhooks")
    hub_hook.add_argument("--port", type=int, default=8505)
    hub_hook.add_argument("--host", default="127.0.0.1")
    demo = sub.add_parser("demo", help="build the demo database from data/samples")
    demo.add_argument("--db", default="data/demo.db")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import_sqlite_utils_lean()  # before any command module imports the store
    try:
        settings = Settings.from_env()
        logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        from ingest import commands

        return getattr(commands, "cmd_" + args.command.replace("-", "_"))(settings, args)
    except ConfigError as exc:
        if args.command == "health":  # health speaks 0/1 only: container engines reserve exit code 2
            print(f"settings  fail {exc}")
            return 1
        print(f"rotadesk: configuration error: {exc}", file=sys.stderr)
        return 2
    except AppError as exc:
        print(f"rotadesk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
