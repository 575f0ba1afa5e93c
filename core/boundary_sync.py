"""The boundary guard's shell: gather the rotation weeks and the engineers' Linear activity, decide, store.

The worker runs :func:`check` every cycle; it reads Linear at most every ``CHECK_EVERY`` and looks at the current
rotation week and the one before it (activity late on the last day lands after that week's last check). The
engineering manager hears about new breaches through the Slack outbox (one post per week and count).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from core import boundary
from core.accounts import linear_user_id
from core.escalations import parse_time
from core.handoff import week_window
from core.linear import LinearClient
from core.settings import Settings
from core.store import boundary as store
from core.store import get_state, iso, ops, set_state

CHECK_EVERY = timedelta(minutes=15)
WEEKS_CHECKED = 2
STATE_KEY = "boundary.checked_at"


def due(db: Database, now: datetime) -> bool:
    last = parse_time(get_state(db, STATE_KEY))
    return last is None or now - last >= CHECK_EVERY


def check(db: Database, settings: Settings, linear: LinearClient, now: datetime, *, force: bool = False) -> str:
    """Read the engineers' non-escalation work of the recent rotation weeks from Linear and store the breaches."""
    if not force and not due(db, now):
        return ""
    tz = ZoneInfo(settings.team_timezone)
    today = now.astimezone(tz).date()
    started = [r for r in ops.rotation_weeks(db) if r.get("engineer_email")
               and date.fromisoformat(str(r["week_start"])[:10]) <= today][-WEEKS_CHECKED:]
    escalation_ids = store.escalation_issue_ids(db)
    found: list[boundary.WeekBreaches] = []
    new_total = 0
    for row in started:
        week_start = date.fromisoformat(str(row["week_start"])[:10])
        email = row["engineer_email"]
        user_id = linear_user_id(db, linear, email)
        if user_id is None:  # not in Linear (yet): nothing of theirs to read
            continue
        start, end = week_window(week_start, tz)
        breaches = boundary.breaches(linear.assigned_activity(user_id, start), week_start=week_start, start=start,
                                     end=end, user_id=user_id, engineer_email=email,
                                     escalation_issue_ids=escalation_ids)
        new = store.save_week(db, breaches, now)
        new_total += new
        week = next(iter(boundary.by_week(store.week_rows(db, week_start.isoformat()))), None)
        if week is not None:
            found.append(week)
            if new:
                _tell_manager(db, settings, week, row.get("engineer_name") or email, now)
    set_state(db, STATE_KEY, iso(now))
    return f"{boundary.summary(found)} ({new_total} new)" if new_total else ""


def _tell_manager(db: Database, settings: Settings, week: boundary.WeekBreaches, name: str, now: datetime) -> None:
    if not (settings.boundary_notify_slack and settings.slack_configured):
        return
    from core.store import slack

    slack.enqueue(db, f"boundary:{week.week_start}:{week.count}", "notification", settings.boundary_notify_slack,
                  boundary.notice(week, name, settings.public_url), now)
