"""The shell behind ``python -m ingest``: each ``cmd_*`` wires settings, the store and the worker parts."""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from core.errors import ConfigError, ExternalServiceError, IngestError, StoreError
from core.settings import Settings, env_name
from core.store import open_db

log = logging.getLogger("rotadesk")
PROBE_TIMEOUT = 5.0  # seconds per health probe


def now() -> datetime:
    return datetime.now(timezone.utc)


def cmd_parse(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.parse import main_parse

    return main_parse(args.files, settings.company_domains, max_attachment_bytes=settings.max_attachment_bytes,
                      budget_seconds=settings.parse_budget_seconds)


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from core.store.wal import checkpoints_in_background
    from ingest.mailbox import read_messages
    from ingest.pipeline import ingest_raw

    path = Path(args.path)
    if not path.exists():  # before the progress bar starts drawing
        raise IngestError(f"{path}: no such file or folder")
    db = open_db(settings.db)
    counts: Counter[str] = Counter()
    with checkpoints_in_background(db):
        for name, raw in tqdm(read_messages(path), desc="Importing", unit="msg"):
            outcome = ingest_raw(db, settings, raw, source=f"import:{name}", now=now())
            counts[outcome.status] += 1
            if outcome.status in ("quarantined", "failed"):
                log.info("%s: %s (%s)", name, outcome.status, outcome.reason)
    print(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no messages found")
    return 0


def cmd_import_schedule(settings: Settings, args: argparse.Namespace) -> int:
    from core.store.schedule_import import import_schedule

    path = Path(args.path)
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    result = import_schedule(open_db(settings.db), settings, path.name, path.read_bytes(), now=now())
    for warning in result.warnings:
        print(f"warning: {warning}")
    print(result.summary())
    return 0


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from core.access import Person
    from core.report import Report
    from core.store import audit
    from ingest.pipeline import ingest_report

    body = args.body if args.body is not None else sys.stdin.read()
    report = Report(args.customer, args.subject, body, args.source, args.by, customer_name=args.customer_name,
                    reporter_email=args.by_email, link=args.link)
    db, at = open_db(settings.db), now()
    # Whoever can run the command can open the database: they act with every right, named as they said.
    reporter = Person((args.by_email or "").lower() or "command line", args.by, "admin")
    with audit.performed(db, reporter, "report.file", f"a report from {args.source}", now=at,
                         changes={"via": "command line"}) as changes:
        outcome = ingest_report(db, settings, report, now=at)
        changes.update(outcome=outcome.status, escalation_id=outcome.escalation_id)
    if outcome.status == "duplicate":
        print(f"already filed as escalation #{outcome.escalation_id}")
    else:
        print(f"filed as escalation #{outcome.escalation_id}"
              + ("" if settings.local_only else "; the worker links it to HubSpot and Linear"))
    return 0


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.pipeline import replay

    db = open_db(settings.db)
    outcomes = replay(db, settings, now=now())
    counts = Counter(o.status for o in outcomes)
    print(f"replayed {len(outcomes)} messages" + (f" ({', '.join(f'{n} {s}' for s, n in sorted(counts.items()))})"
                                                  if counts else ""))
    from core.store.inbound import given_up

    left = given_up(db, settings.replay_max_attempts)
    if left:
        print(f"{len(left)} failed {'message waits' if len(left) == 1 else 'messages wait'} for a person on the "
              f"Intake page (tried {settings.replay_max_attempts} times)")
    return 0


def cmd_reconcile(settings: Settings, args: argparse.Namespace) -> int:
    from core.store.inbound import raw_without_record

    orphans = raw_without_record(open_db(settings.db), settings.raw_dir)
    for path in orphans:
        print(path)
    print(f"{len(orphans)} raw message file(s) without a record"
          + (f"; `python -m ingest import {settings.raw_dir}` takes them in (recorded ones are skipped)"
             if orphans else ""), file=sys.stderr)
    return 1 if orphans else 0


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


def cmd_imap_authorize(settings: Settings, args: argparse.Namespace) -> int:
    """Device-code consent: the person opens a page and enters a code; the refresh token goes to the env file."""
    from dotenv import set_key

    from core.mail_oauth import start_device_authorization, wait_for_consent
    from core.settings import env_name

    if not (settings.imap_oauth_provider and settings.imap_oauth_client_id):
        raise ConfigError(env_name("imap_oauth_provider"),
                          "set it and ROTADESK_IMAP_OAUTH_CLIENT_ID before authorizing the mailbox")
    code = start_device_authorization(settings)
    print(f"Open {code.verification_uri} and enter the code {code.user_code} "
          f"(signed in as {settings.imap_user or 'the mailbox user'}); waiting...", flush=True)
    refresh_token = wait_for_consent(settings, code)
    path = Path(args.env_file)
    path.touch(exist_ok=True)
    path.chmod(0o600)  # a secret lives here now: readable by its owner only
    set_key(path, env_name("imap_oauth_refresh_token"), refresh_token, quote_mode="never")
    print(f"Saved {env_name('imap_oauth_refresh_token')} to {path}; the worker renews access tokens from it.")
    return 0


def cmd_health(settings: Settings, args: argparse.Namespace) -> int:
    from core.monitor import PARTS, Probes, check

    logging.getLogger("httpx").setLevel(logging.WARNING)  # stdout is the report; no request log beside it
    only = [p.strip() for p in args.only.split(",") if p.strip()] if args.only else None
    unknown = sorted(set(only or []) - set(PARTS))
    if unknown:
        raise ConfigError("--only", f"unknown part {', '.join(unknown)} (parts: {', '.join(PARTS)})")
    probes, close = Probes(http=fetch_url), []
    if not args.offline:
        from ingest.imap import probe

        hubspot = linear = None
        # One short try each: a health check answers within a container engine's timeout or says it cannot.
        if settings.hubspot_token:
            from core.hubspot import HubSpotClient
            from core.ratelimit import RetryPolicy

            hubspot = HubSpotClient(settings.hubspot_token, base_url=settings.hubspot_base_url,
                                    prefix=settings.hubspot_prefix, timeout=PROBE_TIMEOUT, policy=RetryPolicy(0))
            close.append(hubspot)
        if settings.linear_api_key:
            from core.linear import LinearClient

            linear = LinearClient(settings.linear_api_key, url=settings.linear_api_url, timeout=PROBE_TIMEOUT,
                                  max_retries=0)
            close.append(linear)
        probes = Probes(imap=lambda: probe(settings, timeout=PROBE_TIMEOUT), hubspot=hubspot, linear=linear,
                        http=fetch_url)
    try:
        parts = check(settings, now(), probes, url=args.url, only=only)
    finally:
        for client in close:
            client.close()
    for part in parts:
        print(part.line())
    return 1 if any(p.failed for p in parts) else 0


class HttpProbeError(ExternalServiceError):
    """The dashboard or webhook receiver did not answer ``health --url`` with 200."""

    service = "HTTP"


def fetch_url(url: str) -> str:
    import httpx

    try:
        response = httpx.get(url, timeout=PROBE_TIMEOUT)
    except httpx.HTTPError as exc:
        raise HttpProbeError(f"{url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise HttpProbeError(f"{url} answered {response.status_code}", status_code=response.status_code)
    return f"{url} answered 200"


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from core.store.backup import backup

    if not settings.db.is_file():  # checked before open_db, which would create an empty one to back up
        raise StoreError(f"{settings.db}: no database to back up (ROTADESK_DB)")
    open_db(settings.db).close()  # brings an older schema up to date first, so the copy is a current one
    print(f"backed up to {backup(settings.db, Path(args.path)).summary()}")
    print(f"raw messages and attachments are files under {settings.data_dir}: copy that folder too")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from core.store.backup import restore

    restored, kept = restore(settings.db, Path(args.path), stamp=now().strftime("%Y%m%dT%H%M%SZ"))
    open_db(settings.db).close()  # a backup from an older version is upgraded now, not at the next start
    print(f"restored {args.path} into {restored.summary()}")
    if kept is not None:
        print(f"the database it replaced is kept at {kept}")
    return 0


def cmd_retention(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.care import apply_retention

    if settings.retention_days <= 0:
        print("retention is off (ROTADESK_RETENTION_DAYS=0): everything is kept")
        return 0
    db = open_db(settings.db)
    try:
        print(apply_retention(db, settings, now()).summary())
    finally:
        db.close()
    return 0


def cmd_export_customer(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.care import NOT_HELD_HERE, export_customer, external_records

    db = open_db(settings.db)
    try:
        data = export_customer(db, settings, args.address, Path(args.out))
    finally:
        db.close()
    print(f"{args.out}: {_counts(data.counts())}; {len(data.raw_paths)} raw message(s), "
          f"{len(data.referenced_shas)} attachment(s)")
    _print_external(external_records(data), NOT_HELD_HERE)
    return 0


def cmd_erase_customer(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.care import NOT_HELD_HERE, erase_customer, external_records, gather

    db = open_db(settings.db)
    try:
        data = erase_customer(db, settings, args.address, now()) if args.yes else gather(db, args.address)
    finally:
        db.close()
    if data.empty:
        print(f"nothing is held about {args.address}")
        return 0
    verb = "erased" if args.yes else "would erase (run again with --yes to delete)"
    print(f"{verb}: {_counts(data.counts())}; {len(data.raw_paths)} raw message(s), "
          f"{len(data.attachment_shas)} attachment(s)")
    if data.handoff_weeks:
        print(f"the address is {'redacted' if args.yes else 'mentioned'} in the handoffs of "
              f"{', '.join(data.handoff_weeks)}")
    _print_external(external_records(data), NOT_HELD_HERE)
    return 0


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {table}" for table, n in sorted(counts.items())) or "no rows"


def _print_external(records: list[str], note: str) -> None:
    if records:
        print("left alone in HubSpot and Linear: " + ", ".join(records))
    print(note)


def cmd_slack(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.slack_server import serve

    for name, value in (("ROTADESK_SLACK_BOT_TOKEN", settings.slack_bot_token),
                        ("ROTADESK_SLACK_SIGNING_SECRET", settings.slack_signing_secret)):
        if not value:
            raise ConfigError(name, "is needed to run the Slack app")
    serve(settings, host=args.host, port=args.port)
    return 0


def cmd_feeds(settings: Settings, args: argparse.Namespace) -> int:
    from ingest.feeds import serve

    if not settings.feed_secret:
        raise ConfigError("ROTADESK_FEED_SECRET", "is needed to serve private calendar feeds")
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
