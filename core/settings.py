"""Rotadesk's settings: one frozen dataclass read from ``ROTADESK_*`` environment variables.

An optional ``.env`` file in the working directory is read first; real environment variables win.
Every field is documented in ``FIELD_DOCS`` and in the README (a test checks both agree).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.access import AllowList, parse_allow_list
from core.errors import ConfigError

PREFIX = "ROTADESK_"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
IMAP_OAUTH_PROVIDERS = ("", "google", "microsoft", "generic")
HUBSPOT_PREFIXES = {"v3": "/crm/v3", "2026-03": "/crm/2026-03"}


@dataclass(frozen=True)
class Settings:
    """Every knob Rotadesk has. Build with :meth:`from_env`; never read ``os.environ`` elsewhere."""

    db: Path = Path("data/rotadesk.db")
    data_dir: Path = Path("data")
    log_level: str = "INFO"
    retention_days: int = 0
    # Mail intake
    imap_host: str = ""
    imap_port: int = 993
    imap_user: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    imap_ssl: bool = True
    imap_poll_seconds: int = 60
    imap_batch_size: int = 100
    imap_move_to: str = ""
    imap_oauth_provider: str = ""
    imap_oauth_client_id: str = ""
    imap_oauth_client_secret: str = ""
    imap_oauth_refresh_token: str = ""
    imap_oauth_token_url: str = ""
    imap_oauth_device_url: str = ""
    imap_oauth_scope: str = ""
    company_domains: tuple[str, ...] = ()
    trust_customer_dkim: bool = False
    max_attachment_mb: float = 25.0
    max_message_mb: float = 60.0
    parse_budget_seconds: float = 30.0
    replay_max_attempts: int = 3
    # HubSpot
    hubspot_token: str = ""
    hubspot_base_url: str = "https://api.hubapi.com"
    hubspot_api_version: str = "v3"
    hubspot_pipeline: str = "0"
    hubspot_stage: str = "1"
    hubspot_staged_stage: str = ""
    hubspot_closed_stage: str = "4"
    hubspot_tier_property: str = "tier"
    hubspot_revenue_property: str = "annualrevenue"
    hubspot_create_contacts: bool = True
    hubspot_stage_map: str = ""
    hubspot_escalate_stage: str = ""
    hubspot_webhook_secret: str = ""
    hubspot_webhook_url: str = ""
    # Linear
    linear_api_key: str = ""
    linear_api_url: str = "https://api.linear.app/graphql"
    linear_team: str = ""
    linear_state: str = "Triage"
    linear_webhook_secret: str = ""
    customer_note_marker: str = "Customer note:"
    handoff_linear_target: str = ""
    linear_project: str = ""
    linear_planning_issue: str = ""
    # Rotation
    team_timezone: str = "UTC"
    week_start: str = "monday"
    holiday_country: str = ""
    rotation_weeks_ahead: int = 13
    freeze_weeks: int = 2
    new_hire_ramp_weeks: int = 6
    public_url: str = "http://localhost:8501"
    # Slack
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_api_url: str = "https://slack.com/api/"
    slack_channel: str = ""
    slack_notify_week_start: bool = True
    slack_notify_office_hours: bool = True
    slack_office_hours_time: str = "10:00"
    slack_notify_waiting_replies: bool = True
    slack_reply_wait_hours: int = 24
    slack_notify_swaps: bool = True
    boundary_notify_slack: str = ""
    feed_secret: str = ""
    feed_url: str = "http://localhost:8504"
    # Sign-in (OpenID Connect); all empty means no sign-in and a dashboard on localhost only
    oidc_metadata_url: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    cookie_secret: str = ""
    signin_allow: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, env_file: Path | None = Path(".env")) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``) over an optional ``.env`` file."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            from dotenv import dotenv_values

            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            name = env_name(f.name)
            if name in values and values[name].strip() != "":
                kwargs[f.name] = _parse(f.name, name, values[name].strip())
        settings = cls(**kwargs)
        settings._check()
        return settings

    def _check(self) -> None:
        try:
            ZoneInfo(self.team_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(env_name("team_timezone"), f"unknown time zone {self.team_timezone!r}") from None
        if self.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError(env_name("log_level"), "must be DEBUG, INFO, WARNING or ERROR")
        if self.week_start not in WEEKDAYS:
            raise ConfigError(env_name("week_start"), f"must be one of {', '.join(WEEKDAYS)}")
        if self.imap_oauth_provider not in IMAP_OAUTH_PROVIDERS:
            raise ConfigError(env_name("imap_oauth_provider"), "must be google, microsoft, generic or empty")
        if self.hubspot_api_version not in HUBSPOT_PREFIXES:
            raise ConfigError(env_name("hubspot_api_version"), f"must be one of {', '.join(HUBSPOT_PREFIXES)}")
        if self.holiday_country:
            import holidays

            if self.holiday_country.upper() not in holidays.list_supported_countries():
                raise ConfigError(env_name("holiday_country"), f"unknown country code {self.holiday_country!r}")
        if self.replay_max_attempts < 1:
            raise ConfigError(env_name("replay_max_attempts"), "must be at least 1")
        hours, _, minutes = self.slack_office_hours_time.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60 and len(minutes) == 2):
            raise ConfigError(env_name("slack_office_hours_time"), "must be a time of day like 10:00")
        for pair in (p for p in self.hubspot_stage_map.split(",") if p.strip()):
            name, _, stage = pair.partition("=")
            if not name.strip() or not stage.strip():
                raise ConfigError(env_name("hubspot_stage_map"), f"{pair.strip()!r} is not a State=stage pair")
        if self.handoff_linear_target not in HANDOFF_TARGETS:
            raise ConfigError(env_name("handoff_linear_target"), "must be document, comment or empty")
        needs = {"document": "linear_project", "comment": "linear_planning_issue"}.get(self.handoff_linear_target)
        if needs and not getattr(self, needs):
            raise ConfigError(env_name(needs), f"is needed when {env_name('handoff_linear_target')} is "
                              f"{self.handoff_linear_target}")
        for name in ("hubspot_base_url", "linear_api_url", "public_url", "slack_api_url", "feed_url",
                     "hubspot_webhook_url"):
            if getattr(self, name) and not getattr(self, name).startswith(("http://", "https://")):
                raise ConfigError(env_name(name), "must start with http:// or https://")
        self._check_signin()

    def _check_signin(self) -> None:
        given = [name for name in SIGNIN_FIELDS if getattr(self, name)]
        if not given:
            return
        for name in SIGNIN_FIELDS:
            if not getattr(self, name):
                raise ConfigError(env_name(name), f"sign-in needs it too (set with {env_name(given[0])})")
        if not self.oidc_metadata_url.startswith(("http://", "https://")):
            raise ConfigError(env_name("oidc_metadata_url"), "must start with http:// or https://")
        if len(self.cookie_secret) < MIN_COOKIE_SECRET:
            raise ConfigError(env_name("cookie_secret"), f"must be at least {MIN_COOKIE_SECRET} characters "
                              "(python -c 'import secrets; print(secrets.token_urlsafe(32))')")
        try:
            allow = parse_allow_list(self.signin_allow)
        except ValueError as exc:
            raise ConfigError(env_name("signin_allow"), str(exc)) from None
        if not allow:
            raise ConfigError(env_name("signin_allow"), "names nobody")

    # Derived values, kept here so every caller agrees on them.
    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def hubspot_prefix(self) -> str:
        return HUBSPOT_PREFIXES[self.hubspot_api_version]

    @property
    def local_only(self) -> bool:
        """True when neither HubSpot nor Linear is configured: escalations live only in the DB."""
        return not (self.hubspot_token and self.linear_api_key)

    @property
    def imap_folders(self) -> tuple[str, ...]:
        """The folders to read, in order; ``ROTADESK_IMAP_FOLDER`` may list several, comma-separated."""
        return tuple(f.strip() for f in self.imap_folder.split(",") if f.strip()) or ("INBOX",)
    def slack_configured(self) -> bool:
        """True when the Slack app can run: a bot token and the signing secret that verifies Slack's requests."""
        return bool(self.slack_bot_token and self.slack_signing_secret)

    @property
    def imap_configured(self) -> bool:
        return bool(self.imap_host and self.imap_user)

    @property
    def week_start_index(self) -> int:
        return WEEKDAYS.index(self.week_start)

    @property
    def max_attachment_bytes(self) -> int:
        return int(self.max_attachment_mb * 1024 * 1024)

    @property
    def max_message_bytes(self) -> int:
        return int(self.max_message_mb * 1024 * 1024)

    @property
    def signin_enabled(self) -> bool:
        """True when people sign in through the OpenID Connect provider; otherwise the dashboard is local-only."""
        return bool(self.oidc_metadata_url)

    @property
    def allow_list(self) -> AllowList:
        return parse_allow_list(self.signin_allow)

    @property
    def dashboard_address(self) -> str:
        """Where the dashboard listens: every interface with sign-in, this machine only without."""
        return "0.0.0.0" if self.signin_enabled else "127.0.0.1"  # noqa: S104 - sign-in guards every page

    @property
    def redirect_uri(self) -> str:
        return self.public_url.rstrip("/") + "/oauth2callback"

    def is_company_address(self, address: str | None) -> bool:
        domain = (address or "").rpartition("@")[2].lower()
        return any(domain == d or domain.endswith("." + d) for d in self.company_domains)

    def __repr__(self) -> str:  # secrets must never reach logs
        shown = {
            f.name: ("***" if f.name in SECRET_FIELDS and getattr(self, f.name) else getattr(self, f.name))
            for f in fields(self)
        }
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


AREAS = (  # (area, field-name prefixes), in the order the Settings page shows them; the first match wins
    ("Storage", ("db", "data_dir", "log_level", "retention_", "parse_", "replay_")),
    ("Mail intake", ("imap_", "company_domains", "trust_customer", "max_")),
    ("HubSpot", ("hubspot_",)),
    ("Linear", ("linear_", "customer_note", "handoff_linear")),
    ("Slack", ("slack_", "boundary_notify")),
    ("Rotation and calendar", ("team_", "week_", "holiday_", "rotation_", "freeze_", "new_hire", "feed_")),
    ("Dashboard and sign-in", ("public_url", "oidc_", "cookie_", "signin_")),
)


def area_of(field_name: str) -> str:
    return next((area for area, prefixes in AREAS if field_name.startswith(prefixes)), "Other")


def describe(settings: Settings) -> list[dict[str, str]]:
    """Every setting as (name, value, meaning) rows for display, secrets masked."""
    rows = []
    for f in fields(settings):
        value = getattr(settings, f.name)
        if f.name in SECRET_FIELDS:
            shown = "set (hidden)" if value else "not set"
        elif isinstance(value, tuple):
            shown = ", ".join(value) or "(none)"
        else:
            shown = str(value) if value != "" else "(empty)"
        meaning = FIELD_DOCS[f.name].replace("`", "")  # the docs are Markdown; a table cell shows plain text
        rows.append({"area": area_of(f.name), "setting": env_name(f.name), "value": shown, "meaning": meaning})
    return rows


def env_example() -> str:
    """The text of ``.env.example``: every setting with its meaning and default, commented out."""
    lines = ["# Rotadesk settings. Copy to .env, uncomment and change what you need; real environment variables win.",
             "# Secrets belong here or in the environment, never in the repository."]
    for f in fields(Settings):
        value = f.default
        if isinstance(value, tuple):
            value = ",".join(value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        lines += ["", f"# {FIELD_DOCS[f.name].replace('`', '')}", f"#{env_name(f.name)}={value}"]
    return "\n".join(lines) + "\n"


HANDOFF_TARGETS = ("", "document", "comment")
SECRET_FIELDS = frozenset({"imap_password", "imap_oauth_client_secret", "imap_oauth_refresh_token", "hubspot_token",
                           "linear_api_key", "linear_webhook_secret", "slack_bot_token", "slack_signing_secret",
                           "feed_secret", "hubspot_webhook_secret", "oidc_client_secret", "cookie_secret"})
SIGNIN_FIELDS = ("oidc_metadata_url", "oidc_client_id", "oidc_client_secret", "cookie_secret", "signin_allow")
MIN_COOKIE_SECRET = 32

FIELD_DOCS: dict[str, str] = {
    "db": "Path of the SQLite database.",
    "data_dir": "Folder for raw messages (`raw/`) and attachments (`attachments/`).",
    "log_level": "Logging level of the worker (DEBUG, INFO, WARNING, ERROR).",
    "retention_days": "Days raw messages and attachments are kept once nothing open needs them; escalation "
                      "records and links stay. `0` keeps them forever. Applied daily by the worker and by "
                      "`python -m ingest retention`.",
    "imap_host": "IMAP server of the shared bug inbox; empty disables the IMAP worker.",
    "imap_port": "IMAP port.",
    "imap_user": "IMAP login.",
    "imap_password": "IMAP password (never logged or stored).",
    "imap_folder": "Folder to read; several are comma-separated (for example `INBOX,Support/Bugs`), each with "
                   "its own cursor.",
    "imap_ssl": "Use implicit TLS (IMAPS).",
    "imap_poll_seconds": "Seconds between polls when the server has no IDLE; also the IDLE renewal interval cap.",
    "imap_batch_size": "Messages fetched per IMAP FETCH.",
    "imap_move_to": "Folder to move processed mail to; empty leaves mail where it is (never deleted).",
    "imap_oauth_provider": "Log in to the mailbox with OAuth 2.0 (XOAUTH2) instead of a password: `google`, "
                           "`microsoft` or `generic`; empty uses `ROTADESK_IMAP_PASSWORD`.",
    "imap_oauth_client_id": "OAuth client id of the app registered with the mail provider.",
    "imap_oauth_client_secret": "OAuth client secret (never logged or stored); empty for a public client.",
    "imap_oauth_refresh_token": "Refresh token from `python -m ingest imap-authorize` (never logged or stored); "
                                "access tokens are renewed from it and kept in memory only.",
    "imap_oauth_token_url": "Token endpoint; needed for `generic`, overrides Google's or Microsoft's (for example "
                            "a tenant's own `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`).",
    "imap_oauth_device_url": "Device-authorization endpoint used by `imap-authorize`; needed for `generic`.",
    "imap_oauth_scope": "Scope asked for; empty uses the provider's IMAP scope.",
    "company_domains": "Comma-separated mail domains of our own company; forwards from them are trusted. Unset, "
                       "nothing is trusted and the inbox's own registrable domain (from `Delivered-To`, so "
                       "`bugs@support.ourco.com` gives `ourco.com`) decides who the customer is; Settings says so.",
    "trust_customer_dkim": "Let direct mail from a known customer's domain with a passing DKIM signature "
                           "through without review.",
    "max_attachment_mb": "Attachments larger than this are recorded by name and size but not stored.",
    "max_message_mb": "Messages larger than this go to quarantine.",
    "parse_budget_seconds": "Time one message may take to be read; a message that takes longer is recorded as "
                            "failed (its raw bytes kept) and intake moves on.",
    "replay_max_attempts": "Times a message that failed or never finished is processed before `replay` leaves it "
                           "for a person on the Intake page.",
    "hubspot_token": "HubSpot private-app token, Service Key or project-app static token; empty means local-only.",
    "hubspot_base_url": "HubSpot API base URL.",
    "hubspot_api_version": "HubSpot CRM path style: `v3` (/crm/v3) or `2026-03` (date-versioned paths).",
    "hubspot_pipeline": "Ticket pipeline id for new tickets.",
    "hubspot_stage": "Pipeline stage id for new tickets.",
    "hubspot_staged_stage": "Stage id a ticket moves to when its closing reply is staged; "
                            "empty leaves the stage alone.",
    "hubspot_closed_stage": "Stage id a ticket moves to when the closing reply is marked sent.",
    "hubspot_tier_property": "Company property holding the customer's tier.",
    "hubspot_revenue_property": "Company property holding annual revenue.",
    "hubspot_create_contacts": "Create a HubSpot contact when the customer has none (one upsert by email; "
                               "a sender's name in the email also becomes an existing contact's first and last name).",
    "hubspot_escalate_stage": "Ticket stage id (for example an \"Escalate to engineering\" stage) that makes a "
                              "HubSpot ticket an escalation, linked like a forwarded email; empty turns it off.",
    "hubspot_webhook_secret": "Client secret of the HubSpot project app whose webhooks `python -m ingest "
                              "hubspot-webhook` receives (signature v3).",
    "hubspot_webhook_url": "The public URL the app's webhooks are sent to, exactly as configured in HubSpot "
                           "(part of what the signature covers).",
    "hubspot_stage_map": "Linear state name to ticket stage id, as `State=stage` pairs separated by commas (for "
                         "example `In Progress=3,In Review=3`): a linked ticket moves to that stage when its issue "
                         "does. Empty, or a done or canceled state, leaves the stage to the closing loop.",
    "linear_api_key": "Linear personal API key (or OAuth token prefixed with `Bearer `); empty means local-only.",
    "linear_api_url": "Linear GraphQL endpoint.",
    "linear_team": "Key of the Linear team that receives issues (for example `ENG`).",
    "linear_state": "Workflow state name for new issues.",
    "linear_webhook_secret": "Secret that signs Linear webhooks (`Linear-Signature`).",
    "handoff_linear_target": "Where each submitted handoff is also posted in Linear, once: `document` (a document "
                             "in `ROTADESK_LINEAR_PROJECT`), `comment` (a comment on "
                             "`ROTADESK_LINEAR_PLANNING_ISSUE`), or empty for neither.",
    "linear_project": "Id of the team's Linear project that handoff documents go into.",
    "linear_planning_issue": "Identifier (for example `ENG-42`) of the Linear issue handoffs are commented on.",
    "customer_note_marker": "A Linear comment starting with this text becomes the fix summary in the closing reply.",
    "team_timezone": "IANA time zone of the team; rotation weeks start at midnight here.",
    "week_start": "Weekday rotation weeks start on.",
    "holiday_country": "Country code (for example `DE`, `US`) whose public holidays shorten rotation weeks.",
    "rotation_weeks_ahead": "Weeks the schedule is planned ahead (at least 13).",
    "freeze_weeks": "Published weeks within this horizon never change when the schedule is regenerated.",
    "new_hire_ramp_weeks": "Weeks after an engineer's start date before their first rotation.",
    "public_url": "Address the dashboard is reached at; used in calendar subscribe links and, with sign-in, "
                  "as the base of the provider's redirect URI (`<ROTADESK_PUBLIC_URL>/oauth2callback`).",
    "slack_bot_token": "Bot token (`xoxb-...`) of Rotadesk's Slack app; empty turns the Slack app off.",
    "slack_signing_secret": "Signing secret of the Slack app; every request from Slack is checked against it.",
    "slack_api_url": "Slack Web API base URL.",
    "slack_channel": "Channel id (for example `C0123456789`) for rotation notifications; empty sends none.",
    "slack_notify_week_start": "Post who is on support when a rotation week starts, with last week's handoff.",
    "slack_notify_office_hours": "Post the queue's size when the office-hours sync is about to start.",
    "slack_office_hours_time": "Time of day (team time zone, `HH:MM`) the office-hours sync starts.",
    "slack_notify_waiting_replies": "Post when a staged closing reply has waited too long to be sent.",
    "slack_reply_wait_hours": "Hours a closing reply may wait before the channel hears about it.",
    "slack_notify_swaps": "Post when a rotation week changes hands.",
    "boundary_notify_slack": "Slack user or channel id (for example the engineering manager's `U0123456789`) told "
                             "when the boundary guard finds new non-escalation work in a rotation week; empty "
                             "tells nobody. Needs the Slack app.",
    "feed_secret": "Secret that makes calendar feeds private: each feed URL carries a token derived from it, and "
                   "`python -m ingest feeds` serves them instead of public files under `static/`.",
    "feed_url": "Address the private feed endpoint (`python -m ingest feeds`) is reached at; used in its links.",
    "oidc_metadata_url": "OpenID Connect discovery URL of the sign-in provider (for example "
                         "`https://accounts.google.com/.well-known/openid-configuration`); empty means no sign-in "
                         "and a dashboard reachable from this machine only.",
    "oidc_client_id": "Client id of Rotadesk's app at the sign-in provider.",
    "oidc_client_secret": "Client secret of that app (never logged or stored).",
    "cookie_secret": "Random secret (at least 32 characters) that signs the sign-in cookie; changing it signs "
                     "everyone out.",
    "signin_allow": "Who may sign in, with their role: comma-separated `address` or `@domain`, each optionally "
                    "`=viewer`, `=member` or `=admin` (default viewer); an address wins over its domain. For "
                    "example `@ourco.com=member, lead@ourco.com=admin, auditor@firm.com`.",
}


def env_name(field_name: str) -> str:
    return PREFIX + field_name.upper()


def _parse(field_name: str, name: str, raw: str) -> Any:
    kind = Settings.__dataclass_fields__[field_name].type
    parser: Callable[[str], Any] = _PARSERS.get(kind, str)
    try:
        return parser(raw)
    except ValueError as exc:
        raise ConfigError(name, f"{exc} (got {raw!r})") from None


def _bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


def _int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("must be a whole number") from None
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("must be a number") from None
    if value <= 0:
        raise ValueError("must be positive")
    return value


def _domains(raw: str) -> tuple[str, ...]:
    domains = tuple(d.strip().lower().lstrip("@") for d in raw.split(",") if d.strip())
    for d in domains:
        if "." not in d or " " in d or "@" in d:
            raise ValueError(f"{d!r} is not a mail domain")
    return domains


_PARSERS: dict[Any, Callable[[str], Any]] = {
    "Path": Path,
    "bool": _bool,
    "int": _int,
    "float": _float,
    "tuple[str, ...]": _domains,
    "str": str,
}
