"""Connector setup and health: Rotadesk's HubSpot ticket properties, and what the Settings page shows per connector."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlite_utils import Database

from core.errors import AppError
from core.hubspot import HubSpotClient
from core.linear import LinearClient
from core.link_steps import CUSTOMERS_OFF_KEY, UNIQUE_PROPERTY, paused_until
from core.settings import Settings
from core.store import get_state

TICKET_PROPERTIES = (
    (UNIQUE_PROPERTY, "Rotadesk message id", True),
    ("linear_issue_url", "Linear issue URL", False),
    ("linear_issue_identifier", "Linear issue", False),
    ("linear_issue_state", "Linear issue state", False),
    ("linear_issue_assignee", "Linear issue assignee", False),
    ("linear_issue_priority", "Linear issue priority", False),
)


@dataclass(frozen=True)
class Check:
    """One line of the Settings page's connector health."""

    name: str
    ok: bool
    detail: str


def setup_hubspot(client: HubSpotClient) -> Iterator[str]:
    """Create Rotadesk's ticket properties where missing (safe to re-run) and list pipelines; yields lines to print."""
    yield f"HubSpot portal {client.portal_id()}"
    for name, label, unique in TICKET_PROPERTIES:
        if client.ticket_property_exists(name):
            yield f"ticket property {name}: already there"
        else:
            client.create_ticket_property(name, label, unique=unique)
            yield f"ticket property {name}: created" + (" (unique)" if unique else "")
    for pipeline in client.pipelines():
        stages = ", ".join(f"{s.id} {s.label}" for s in pipeline.stages)
        yield f"pipeline {pipeline.id} ({pipeline.label}); stages: {stages}"


def connector_health(settings: Settings, hubspot: HubSpotClient | None, linear: LinearClient | None, *,
                     db: Database | None = None, now: datetime | None = None) -> list[Check]:
    """Call each connector and report what works: tokens, portal, team, pipeline, properties, headroom, last sync.

    With ``db`` the checks also show rate-limit pauses and the last sync, as recorded in ``sync_state``.
    """
    now = now or datetime.now(timezone.utc)
    checks = [*_hubspot_checks(settings, hubspot, db, now), *_linear_checks(settings, linear, db, now)]
    if db is not None and settings.slack_bot_token:
        checks.append(_slack_check(settings, db))
    if db is not None:
        last = get_state(db, "linking.last_sync")
        detail = f"{last}: {get_state(db, 'linking.last_summary', '')}" if last else "never"
        checks.append(Check("Last sync", bool(last), detail))
    return checks


def _slack_check(settings: Settings, db: Database) -> Check:
    """What the Slack outbox says: posts Slack kept refusing, or cut off by a crash (never sent twice)."""
    stuck = list(db.query("select status, count(*) as n, max(error) as error from slack_posts "
                          "where status in ('failed', 'sending') group by status"))
    if not stuck:
        where = settings.slack_channel or "no notification channel (ROTADESK_SLACK_CHANNEL)"
        return Check("Slack", True, f"posting to threads and {where}")
    detail = "; ".join(f"{r['n']} {'refused' if r['status'] == 'failed' else 'cut off'}"
                       + (f" ({r['error']})" if r["error"] else "") for r in stuck)
    return Check("Slack", False, detail)


def _checked(name: str, probe: Callable[[], tuple[bool, str]]) -> Check:
    try:
        ok, detail = probe()
    except AppError as exc:
        return Check(name, False, str(exc))
    return Check(name, ok, detail)


def _hubspot_checks(settings: Settings, hub: HubSpotClient | None, db: Database | None, now: datetime) -> list[Check]:
    if hub is None or not settings.hubspot_token:
        return [Check("HubSpot", False, "not configured (local-only): set ROTADESK_HUBSPOT_TOKEN")]

    def stage() -> tuple[bool, str]:
        for pipeline in hub.pipelines():
            if pipeline.id == settings.hubspot_pipeline:
                found = any(s.id == settings.hubspot_stage for s in pipeline.stages)
                detail = f"pipeline {pipeline.label}, stage {settings.hubspot_stage}"
                return found, detail + ("" if found else " not found")
        return False, f"no pipeline {settings.hubspot_pipeline}"

    def properties() -> tuple[bool, str]:
        missing = [n for n, _, _ in TICKET_PROPERTIES if not hub.ticket_property_exists(n)]
        if missing:
            return False, f"missing {', '.join(missing)}: run `python -m ingest setup-hubspot`"
        return True, "all present"

    checks = [_checked("HubSpot token and portal", lambda: (True, f"portal {hub.portal_id()}")),
              _checked("HubSpot pipeline and stage", stage), _checked("HubSpot ticket properties", properties)]
    paused = paused_until(db, "hubspot", now) if db is not None else None
    checks.append(_headroom("HubSpot rate limit", hub.last_rate_limit, "X-HubSpot-RateLimit-Remaining",
                            "X-HubSpot-RateLimit-Max", paused))
    return checks


def _linear_checks(settings: Settings, lin: LinearClient | None, db: Database | None, now: datetime) -> list[Check]:
    if lin is None or not settings.linear_api_key:
        return [Check("Linear", False, "not configured (local-only): set ROTADESK_LINEAR_API_KEY")]

    def team() -> tuple[bool, str]:
        if not settings.linear_team:
            return False, "set ROTADESK_LINEAR_TEAM"
        found = lin.team_by_key(settings.linear_team)
        state = lin.state_by_name(found.id, settings.linear_state)
        return True, f"{found.name} ({found.key}), new issues go to {state.name}"

    def viewer() -> tuple[bool, str]:
        v = lin.viewer()
        return True, f"{v.name} in {v.organization}"

    checks = [_checked("Linear API key", viewer), _checked("Linear team and state", team)]
    if db is not None and get_state(db, CUSTOMERS_OFF_KEY):
        detail = "switched off in the workspace; issues are linked without customers"
        checks.append(Check("Linear customer requests", False, detail))
    paused = paused_until(db, "linear", now) if db is not None else None
    checks.append(_headroom("Linear rate limit", lin.last_rate_limit, "X-RateLimit-Requests-Remaining",
                            "X-RateLimit-Requests-Limit", paused))
    return checks


def _headroom(name: str, headers: dict[str, str], remaining_key: str, limit_key: str, paused: str | None) -> Check:
    if paused:
        return Check(name, False, f"paused until {paused}")
    values = {k.lower(): v for k, v in headers.items()}
    remaining, limit = values.get(remaining_key.lower()), values.get(limit_key.lower())
    if remaining is None:
        return Check(name, True, "no requests yet")
    return Check(name, remaining != "0", f"{remaining} of {limit} left in the current window")
