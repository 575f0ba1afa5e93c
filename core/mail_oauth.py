"""OAuth 2.0 for the bug inbox: Google Workspace, Microsoft 365 or any token endpoint, through Authlib.

The worker holds a refresh token (a secret setting) and trades it for short-lived access tokens, which it keeps in
memory only and renews a minute before they expire; IMAP logs in with SASL XOAUTH2 (imapclient's
``oauth2_login``). ``python -m ingest imap-authorize`` runs the device-code consent once to obtain the refresh token.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from core.errors import ConfigError, ImapError, MailboxTokenRevoked
from core.settings import Settings, env_name

log = logging.getLogger("rotadesk.mail_oauth")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
RENEW_BEFORE = 60.0  # seconds before expiry a token counts as expired: a login must never race its expiry


@dataclass(frozen=True)
class Provider:
    """Where a provider issues tokens, and the scope that grants IMAP access."""

    token_url: str
    device_url: str
    scope: str


PROVIDERS = {
    "google": Provider("https://oauth2.googleapis.com/token", "https://oauth2.googleapis.com/device/code",
                       "https://mail.google.com/"),
    "microsoft": Provider("https://login.microsoftonline.com/common/oauth2/v2.0/token",
                          "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
                          "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"),
}


def provider_for(settings: Settings) -> Provider:
    """The provider's endpoints; ``ROTADESK_IMAP_OAUTH_TOKEN_URL`` (and ``..._SCOPE``) override or define them."""
    known = PROVIDERS.get(settings.imap_oauth_provider)
    if known is None and not settings.imap_oauth_token_url:
        raise ConfigError(env_name("imap_oauth_token_url"), "is needed for a generic OAuth provider")
    return Provider(settings.imap_oauth_token_url or known.token_url,
                    settings.imap_oauth_device_url or (known.device_url if known else ""),
                    settings.imap_oauth_scope or (known.scope if known else ""))


class AccessTokens:
    """Access tokens for the mailbox, renewed before they expire; never written anywhere."""

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if not settings.imap_oauth_refresh_token:
            raise ConfigError(env_name("imap_oauth_refresh_token"),
                              "is not set; run `python -m ingest imap-authorize` once")
        self._settings, self._provider = settings, provider_for(settings)
        self._transport, self._clock = transport, clock
        self._refresh_token = settings.imap_oauth_refresh_token
        self._access_token = ""
        self._expires_at = 0.0

    def token(self) -> str:
        """A current access token, renewed when it has less than a minute left."""
        if not self._access_token or self._clock() >= self._expires_at - RENEW_BEFORE:
            self._renew()
        return self._access_token

    def invalidate(self) -> None:
        """Forget the access token (the server refused it before its time): the next :meth:`token` renews."""
        self._access_token = ""

    def _renew(self) -> None:
        from authlib.integrations.base_client.errors import OAuthError

        with _session(self._settings, self._transport) as session:
            try:
                token = session.refresh_token(self._provider.token_url, refresh_token=self._refresh_token)
            except OAuthError as exc:
                if exc.error in ("invalid_grant", "invalid_client", "unauthorized_client"):
                    raise MailboxTokenRevoked(exc.error) from exc
                raise ImapError(f"token endpoint refused the refresh: {exc.error}") from exc
            except httpx.HTTPError as exc:
                raise ImapError(f"token endpoint unreachable: {type(exc).__name__}") from exc
        if not token.get("access_token"):
            raise ImapError("token endpoint answered without an access token")
        self._access_token = token["access_token"]
        self._expires_at = self._clock() + float(token.get("expires_in") or 3600)
        # Microsoft rotates refresh tokens: the newest one is used from now on (the old one stays valid a while).
        self._refresh_token = token.get("refresh_token") or self._refresh_token
        log.info("mailbox access token renewed; valid for %.0f s", self._expires_at - self._clock())


@dataclass(frozen=True)
class DeviceCode:
    """What the person must do: open ``verification_uri`` and enter ``user_code``."""

    device_code: str
    user_code: str
    verification_uri: str
    interval: float
    expires_in: float


def start_device_authorization(settings: Settings, *, transport: httpx.BaseTransport | None = None) -> DeviceCode:
    """Step one of the device-code consent (RFC 8628)."""
    provider = provider_for(settings)
    if not provider.device_url:
        raise ConfigError(env_name("imap_oauth_device_url"), "is needed to authorize with a generic provider")
    with _session(settings, transport) as session:
        form = {"client_id": settings.imap_oauth_client_id, **({"scope": provider.scope} if provider.scope else {})}
        answer = session.request("POST", provider.device_url, data=form, withhold_token=True)
    if answer.status_code != 200:
        raise ImapError(f"device authorization refused: HTTP {answer.status_code} {answer.text[:200]}")
    body = answer.json()
    return DeviceCode(body["device_code"], body["user_code"],
                      body.get("verification_uri") or body.get("verification_url", ""),
                      float(body.get("interval", 5)), float(body.get("expires_in", 900)))


def wait_for_consent(settings: Settings, code: DeviceCode, *, transport: httpx.BaseTransport | None = None,
                     sleep: Callable[[float], None] = time.sleep) -> str:
    """Step two: poll until the person consents; returns the refresh token."""
    from authlib.integrations.base_client.errors import OAuthError

    provider = provider_for(settings)
    interval, waited = code.interval, 0.0
    with _session(settings, transport) as session:
        while waited < code.expires_in:
            try:
                token = session.fetch_token(provider.token_url, grant_type=DEVICE_GRANT,
                                            device_code=code.device_code)
            except OAuthError as exc:
                if exc.error == "authorization_pending":
                    pass
                elif exc.error == "slow_down":
                    interval += 5
                else:
                    raise ImapError(f"consent failed: {exc.error}") from exc
            else:
                if not token.get("refresh_token"):
                    raise ImapError("the provider gave no refresh token (ask for offline access)")
                return token["refresh_token"]
            sleep(interval)
            waited += interval
    raise ImapError("consent was not given before the code expired; run the command again")


def _session(settings: Settings, transport: httpx.BaseTransport | None):
    from authlib.integrations.httpx_client import OAuth2Client

    return OAuth2Client(client_id=settings.imap_oauth_client_id,
                        client_secret=settings.imap_oauth_client_secret or None, timeout=15.0, transport=transport)
