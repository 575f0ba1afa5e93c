"""The demo database: a sample team, a quarter of rotation weeks, sample customers and sample emails.

Everything goes through the real code paths (roster import, schedule generation, the intake pipeline) in
local-only mode, so the demo shows what a real deployment shows. Re-running it is safe: every step is idempotent.
"""

from __future__ import annotations

from collections import Counter
from email import policy
from email.parser import BytesHeaderParser
from datetime import date, datetime, time, timezone
from pathlib import Path

from core.settings import Settings
from core.store import iso, open_db
from core.store import intake as intake_store
from core.store import rotation as rotation_store
from ingest.pipeline import ingest_raw

DEMO_DOMAINS = ("flowboard.io",)


def build_demo(db_path: Path, samples: Path, *, today: date, data_dir: Path | None = None) -> str:
    settings = Settings(db=db_path, data_dir=data_dir or db_path.parent / "demo", company_domains=DEMO_DOMAINS)
    db = open_db(settings.db)
    now = datetime.combine(today, time(9), tzinfo=timezone.utc)
    rotation_store.import_roster_csv(db, (samples / "engineers.csv").read_text(encoding="utf-8"))
    rotation_store.regenerate(db, settings, today)
    customers = intake_store.parse_customers_csv((samples / "customers.csv").read_text(encoding="utf-8"))
    intake_store.upsert_customers(db, customers, iso(now))
    outcomes: Counter[str] = Counter()
    for path in sorted(samples.glob("*.eml")):
        raw = path.read_bytes()
        outcome = ingest_raw(db, settings, raw, source=f"demo:{path.name}", now=_sent_at(raw) or now)
        outcomes[outcome.status] += 1
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
