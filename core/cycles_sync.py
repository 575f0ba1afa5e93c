"""The worker's cycles step: read the team's Linear cycles of the last quarter, hourly, into the store."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlite_utils import Database

from core.escalations import parse_time
from core.linear import LinearClient
from core.settings import Settings
from core.store import cycles as store
from core.store import get_state, iso, set_state

SYNC_EVERY = timedelta(hours=1)
HISTORY = timedelta(weeks=14)  # the quarter the planning view shows, and the cycle running into it
STATE_KEY = "cycles.synced_at"


def sync_cycles(db: Database, settings: Settings, linear: LinearClient, now: datetime, *, force: bool = False) -> str:
    last = parse_time(get_state(db, STATE_KEY))
    if not settings.linear_team or (not force and last is not None and now - last < SYNC_EVERY):
        return ""
    team = linear.team_by_key(settings.linear_team)
    found = linear.cycles(team.id, now - HISTORY)
    if found is None:
        store.forget(db)
        saved = 0
    else:
        saved = store.save(db, team.key, found, now)
    set_state(db, STATE_KEY, iso(now))
    return f"{saved} cycles of {team.key}" if saved else ""
