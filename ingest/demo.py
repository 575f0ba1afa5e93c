"""The demo database: a sample team, a quarter of rotation weeks, sample customers and sample emails, and the
past quarter's escalations, pulses, breaches and cycles (:mod:`ingest.demo_history`).

Everything goes through the real code paths (roster import, schedule generation, the intake pipeline, the closing
loop) in local-only mode, so the demo shows what a real deployment shows. The samples were written as if
:data:`SAMPLES_WRITTEN_FOR` were today; every date in them moves by the same number of days to the day the demo is
built, so the demo tells the same story on any day. Re-running it is safe: every step is idempotent.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from zoneinfo import ZoneInfo

from core import closing, handoff, office_hours
from core.capacity import week_start_of
from core.roster import Unavailability
from core.settings import Settings
from core.store import intake as intake_store
from core.store import iso, open_db, ops
from core.store import links as links_store
from core.store import playbook as playbook_store
from core.store import rotation as rotation_store
from ingest import demo_history
from ingest.pipeline import ingest_raw

DEMO_DOMAINS = ("flowboard.io",)
SAMPLES_WRITTEN_FOR = date(2026, 11, 28)
# Ben's winter holiday, as days after the day the demo is built.
PTO_FROM, PTO_TO = timedelta(days=23), timedelta(days=34)

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_WD = "|".join([*_WEEKDAYS, *(d[:3] for d in _WEEKDAYS)])  # long names first: "Mon" must not cut "Monday"
_MON = "|".join([*_MONTHS, *(m[:3] for m in _MONTHS)])
# "Mon, 23 Nov 2026" (RFC 5322, Apple Mail) and "Mon, Nov 23, 2026" (Gmail, Outlook); no nested repetition.
_DAY_MONTH_YEAR = re.compile(rf"\b(?:(?P<wd>{_WD}), )?(?P<d>\d{{1,2}}) (?P<m>{_MON}) (?P<y>\d{{4}})\b")
_MONTH_DAY_YEAR = re.compile(rf"\b(?:(?P<wd>{_WD}), )?(?P<m>{_MON}) (?P<d>\d{{1,2}}), (?P<y>\d{{4}})\b")


def build_demo(db_path: Path, samples: Path, *, today: date, settings: Settings | None = None,
               data_dir: Path | None = None, feeds_dir: Path = Path("static"), sample_reply: bool = True) -> str:
    """Build (or top up) the demo database as it looks on ``today``.

    ``settings`` supplies the team's calendar (time zone, week start, holidays); ``sample_reply`` stages the
    closing reply of one fixed escalation, as local-only mode would once its issue is done (a connected setup
    stages its replies through the real closing loop instead).
    """
    settings = replace(settings or Settings(), db=db_path, data_dir=data_dir or db_path.parent / "demo",
                       company_domains=DEMO_DOMAINS)
    shift = today - SAMPLES_WRITTEN_FOR
    db = open_db(settings.db)
    now = datetime.combine(today, time(9), tzinfo=timezone.utc)
    rotation_store.import_roster_csv(db, (samples / "engineers.csv").read_text(encoding="utf-8"))
    if not rotation_store.list_unavailability(db):
        rotation_store.add_unavailability(db, Unavailability("ben.carter@flowboard.io", today + PTO_FROM,
                                                             today + PTO_TO, "pto", "Winter holiday"))
    # Planned a quarter ago and rolled forward today, so the calendar, the charts and the retro have a past.
    rotation_store.regenerate(db, settings, today - timedelta(weeks=demo_history.WEEKS))
    rotation_store.regenerate(db, settings, today)
    customers = intake_store.parse_customers_csv((samples / "customers.csv").read_text(encoding="utf-8"))
    intake_store.upsert_customers(db, customers, iso(now))
    demo_history.seed_rules(db, settings, today)
    outcomes: Counter[str] = Counter()
    new: list[int] = []
    for path in sorted(samples.glob("*.eml")):
        raw = shift_dates(path.read_bytes(), shift)
        outcome = ingest_raw(db, settings, raw, source=f"demo:{path.name}", now=_sent_at(raw) or now)
        outcomes[outcome.status] += 1
        if outcome.status == "escalation" and outcome.escalation_id is not None:
            new.append(outcome.escalation_id)
    # A rebuild on a later day finds the samples already in: their story was told once and is not retold.
    closed = _close_older_escalations(db, new, before=now - timedelta(days=9), spare=1)
    if sample_reply and closed:
        _stage_sample_reply(db, settings, closed[-1])
    history = demo_history.build(db, settings, today)
    _seed_rotation_routine(db, settings, now)
    _seed_handback(db, now)
    rotation_store.refresh_feeds(db, settings, now, feeds_dir)
    db.close()
    return (f"demo database {db_path}: {len(customers)} customers, "
            + ", ".join(f"{n} {status}" for status, n in sorted(outcomes.items()))
            + f", {history} escalations of the past quarter")


def shift_dates(raw: bytes, shift: timedelta) -> bytes:
    """``raw`` with every written date (headers and quoted forward blocks alike) moved by ``shift`` whole days.

    Only the calendar day moves, so times and time zones stay as written; weekday names follow their date.
    """
    if not shift.days:
        return raw
    text = raw.decode("latin-1")  # byte for byte: the dates are ASCII, everything else passes through unchanged
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        text = pattern.sub(lambda m: _moved(m, shift), text)
    return text.encode("latin-1")


def _moved(match: re.Match[str], shift: timedelta) -> str:
    month_name, day_text = match["m"], match["d"]
    month = next(i for i, name in enumerate(_MONTHS, 1) if name.startswith(month_name))
    try:
        day = date(int(match["y"]), month, int(day_text)) + shift
    except ValueError:
        return match[0]  # not a real date ("31 Feb 2026"): leave it as written
    new_month = _MONTHS[day.month - 1] if len(month_name) > 3 else _MONTHS[day.month - 1][:3]
    new_day = f"{day.day:02d}" if day_text.startswith("0") else str(day.day)  # zero-padded only where it was
    weekday = ""
    if match["wd"]:
        name = _WEEKDAYS[day.weekday()]
        weekday = (name if len(match["wd"]) > 3 else name[:3]) + ", "
    if match.re is _DAY_MONTH_YEAR:
        return f"{weekday}{new_day} {new_month} {day.year}"
    return f"{weekday}{new_month} {new_day}, {day.year}"


def _sent_at(raw: bytes) -> datetime | None:
    """The sample's own Date, so the demo shows escalations of different ages."""
    header = BytesHeaderParser(policy=policy.default).parsebytes(raw)["Date"]
    try:
        return header.datetime if header is not None and header.datetime.tzinfo else None
    except (AttributeError, ValueError):
        return None


def _close_older_escalations(db, ids: list[int], *, before: datetime, spare: int) -> list[int]:
    """Earlier rotations fixed most of what came in before last week; ``spare`` of them are still open.

    Returns the ids closed, oldest first."""
    rows = [intake_store.escalation(db, i) for i in ids]
    older = sorted((e for e in rows if e and e["status"] == "open" and e["received_at"] < iso(before)),
                   key=lambda e: e["received_at"])
    closed = older[:max(0, len(older) - spare)]
    for e in closed:
        intake_store.set_escalation_status(db, e["id"], "done",
                                           iso(datetime.fromisoformat(e["received_at"]) + timedelta(days=2)))
    return [e["id"] for e in closed]


def _stage_sample_reply(db, settings: Settings, escalation_id: int) -> None:
    """Local-only mode has no Linear to move an issue to Done, so a fixed escalation gets a local issue in Done and
    the real closing loop stages its reply: the Replies page shows what a staged reply looks like."""
    done = datetime.fromisoformat(intake_store.escalation(db, escalation_id)["closed_at"])
    links_store.save_link(db, escalation_id, {
        "linear_issue_id": f"demo-issue-{escalation_id}", "linear_identifier": f"DEMO-{escalation_id}",
        "linear_state": "Done", "linear_state_type": "completed"}, done)
    # Staged an hour after the issue was done, as the worker's poll would have: the Replies page's timings read true.
    closing.poll_and_stage(db, settings, None, None, now=done + timedelta(hours=1))



def _seed_handback(db, now: datetime) -> None:
    """Support can remove a deactivated user themselves: the one escalation handed back to them."""
    caught = [r for r in playbook_store.recent(db) if r["playbook_rule"] == "Team administration"]
    if caught and not playbook_store.handbacks(db):
        playbook_store.hand_back(db, caught[0]["id"], 1, "Documented in the help centre: an admin reassigns the "
                                 "user's tasks first, then removes them.", "Maria Lopez", iso(now))


def _seed_rotation_routine(db, settings: Settings, now: datetime) -> None:
    """Today's office-hours topic and last week's handoff, written the way the pages write them."""
    day = now.date()
    if not ops.office_hours_for_day(db, day.isoformat()):
        ops.add_topic(db, office_hours.new_topic("Is the Okta login loop tied to the SSO session cookie change?",
                                                 "Maria Lopez", day, now))
    last_week = week_start_of(day, settings.week_start_index) - timedelta(weeks=1)
    if ops.handoff(db, last_week.isoformat()) is None:
        start, end = handoff.week_window(last_week, ZoneInfo(settings.team_timezone))
        engineer = rotation_store.current_engineer_email(db, settings, start + timedelta(days=1)) or ""
        draft = handoff.draft(ops.week_escalations(db, iso(start), iso(end)), last_week,
                              ZoneInfo(settings.team_timezone), now, engineer_email=engineer)
        ops.save_handoff(db, handoff.to_row(handoff.submit(draft, now)))
