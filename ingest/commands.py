"""The shell behind ``python -m ingest``: each ``cmd_*`` wires settings, the store and the worker parts."""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from core.errors import ConfigError, IngestError
from core.settings import Settings, env_name
from core.store import open_db

log = logging.getLogger("rotadesk")


def now() -> datetime:
    return datetime.now(timezone.utc)


def cmd_parse(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.parse import main_parse

    return main_parse(args.files, settings.company_domains, max_attachment_bytes=settings.max_attachment_bytes)


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ingest.mailbox import read_messages
    from ingest.pipeline import ingest_raw

    path = Path(args.path)
    if not path.exists():  # before the progress bar starts drawing
        raise IngestError(f"{path}: no such file or folder")
    db = open_db(settings.db)
    counts: Counter[str] = Counter()
    for name, raw in tqdm(read_messages(path), desc="Importing", unit="msg"):
        outcome = ingest_raw(db, settings, raw, source=f"import:{name}", now=now())
        counts[outcome.status] += 1
        if outcome.status in ("quarantined", "failed"):
            log.info("%s: %s (%s)", name, outcome.status, outcome.reason)
    print(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no messages found")
    return 0


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from core.report import Report
    from ingest.pipeline import ingest_report

    body = args.body if args.body is not None else sys.stdin.read()
    report = Report(args.customer, args.subject, body, args.source, args.by, customer_name=args.customer_name,
                    reporter_email=args.by_email, link=args.link)
    outcome = ingest_report(open_db(settings.db), settings, report, now=now())
    if outcome.status == "duplicate":
        print(f"already filed as escalation #{outcome.escalation_id}")
    else:
        print(f"filed as escalation #{outcome.escalation_id}"
              + ("" if settings.local_only else "; the worker links it to HubSpot and Linear"))
    return 0


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.pipeline import replay

    outcomes = replay(open_db(settings.db), settings, now=now())
    print(f"replayed {len(outcomes)} messages")
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.worker import run

    return run(settings, once=args.once)


def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.worker import sync_backlog

    return sync_backlog(settings, progress=True)


def cmd_setup_hubspot(settings: Settings, args: argparse.Namespace) -> int:
    from core.health import setup_hubspot
    from core.hubspot import HubSpotClient

    if not settings.hubspot_token:
        raise ConfigError("ROTADESK_HUBSPOT_TOKEN", "is needed to set up HubSpot")
    with HubSpotClient.from_settings(settings) as client:
        for line in setup_hubspot(client):
            print(line)
    return 0


def cmd_webhook(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.webhook import serve

    if not settings.linear_webhook_secret:
        raise ConfigError("ROTADESK_LINEAR_WEBHOOK_SECRET", "is needed to verify Linear webhooks")
    serve(settings, host=args.host, port=args.port)
    return 0


def cmd_hubspot_webhook(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.hubspot_webhook import serve

    for name in ("hubspot_webhook_secret", "hubspot_webhook_url", "hubspot_token", "linear_api_key"):
        if not getattr(settings, name):
            raise ConfigError(env_name(name), "is needed to receive HubSpot webhooks")
    serve(settings, host=args.host, port=args.port)
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from core.rotation import local_date
    from ingest.demo import build_demo

    samples = Path(__file__).resolve().parent.parent / "data" / "samples"
    summary = build_demo(Path(args.db), samples, today=local_date(now(), settings.team_timezone), settings=settings)
    print(summary)
    return 0
