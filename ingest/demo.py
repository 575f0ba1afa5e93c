"""The demo database: a sample team, a quarter of rotation weeks, sample customers and sample emails.

Everything goes through the real code paths (roster import, schedule generation, the intake pipeline) in
local-only mode, so the demo shows what a real deployment shows. Re-running it is safe: every step is idempotent.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from zoneinfo import ZoneInfo

from core import handoff, office_hours
from core.roster import Unavailability
from core.settings import Settings
from core.store import intake as intake_store
from core.store import iso, open_db, ops
from core.store import rotation as rotation_store
from ingest.pipeline import ingest_raw

DEMO_DOMAINS = ("flowboard.io",)


def build_demo(db_path: Path, samples: Path, *, today: date, data_dir: Path | None = None,
               feeds_dir: Path = Path("static")) -> str:
    settings = Settings(db=db_path, data_dir=data_dir or db_path.parent / "demo", company_domains=DEMO_DOMAINS)
    db = open_db(settings.db)
    now = datetime.combine(today, time(9), tzinfo=timezone.utc)
    rotation_store.import_roster_csv(db, (samples / "engineers.csv").read_text(encoding="utf-8"))
    if not rotation_store.list_unavailability(db):
        rotation_store.add_unavailability(db, Unavailability("ben.carter@flowboard.io", date(2026, 12, 21),
                                                             date(2027, 1, 1), "pto", "Winter holiday"))
    # Planned five weeks ago and rolled forward today, so the calendar and charts have a past.
    rotation_store.regenerate(db, settings, today - timedelta(weeks=5))
    rotation_store.regenerate(db, settings, today)
    customers = intake_store.parse_customers_csv((samples / "customers.csv").read_text(encoding="utf-8"))
    intake_store.upsert_customers(db, customers, iso(now))
    outcomes: Counter[str] = Counter()
    for path in sorted(samples.glob("*.eml")):
        raw = path.read_bytes()
        outcome = ingest_raw(db, settings, raw, source=f"demo:{path.name}", now=_sent_at(raw) or now)
        outcomes[outcome.status] += 1
    _close_older_escalations(db, before=now - timedelta(days=9), spare=1)
    _seed_rotation_routine(db, settings, now)
    rotation_store.refresh_feeds(db, settings, now, feeds_dir)
    db.close()
    return (f"demo database {db_path}: {len(customers)} customers, "
            + ", ".join(f"{n} {status}" for status, n in sorted(outcomes.items())))


def _sent_at(raw: bytes) -> datetime | None:
    """The sample's own Date, so the demo shows escalations of different ages."""
    header = BytesHeaderParser(policy=policy.default).parsebytes(raw)["Date"]
    try:
        return header.datetime if header is not None and header.datetime.tzinfo else None
    except (AttributeError, ValueError):
        return None


def _close_older_escalations(db, *, before: datetime, spare: int) -> None:
    """Earlier rotations fixed most of what came in before last week; ``spare`` of them are still open."""
    older = [e for e in intake_store.escalations(db, status="open") if e["received_at"] < iso(before)]
    for e in sorted(older, key=lambda e: e["received_at"])[:max(0, len(older) - spare)]:
        closed = datetime.fromisoformat(e["received_at"]) + timedelta(days=2)
        intake_store.set_escalation_status(db, e["id"], "done", iso(closed))


def _seed_rotation_routine(db, settings: Settings, now: datetime) -> None:
    """Today's office-hours topic and last week's handoff, written the way the pages write them."""
    day = now.date()
    if not ops.office_hours_for_day(db, day.isoformat()):
        ops.add_topic(db, office_hours.new_topic("Is the Okta login loop tied to the SSO session cookie change?",
                                                 "Maria Lopez", day, now))
    last_week = day - timedelta(days=day.weekday() + 7)
    if ops.handoff(db, last_week.isoformat()) is None:
        start, end = handoff.week_window(last_week, ZoneInfo(settings.team_timezone))
        engineer = rotation_store.current_engineer_email(db, settings, start + timedelta(days=1)) or ""
        draft = handoff.draft(ops.week_escalations(db, iso(start), iso(end)), last_week,
                              ZoneInfo(settings.team_timezone), now, engineer_email=engineer)
        ops.save_handoff(db, handoff.to_row(handoff.submit(draft, now)))
