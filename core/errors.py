"""Rotadesk's exceptions, one small tree.

    AppError
    ├── ConfigError            a setting is missing or malformed
    │   └── MailboxTokenRevoked  the mailbox's OAuth refresh token was refused
    ├── ValidationError        input that breaks a domain rule
    ├── IngestError            a message that cannot be taken in
    ├── StoreError             a database Rotadesk must not use (a newer schema, a damaged backup)
    ├── AccessDenied           the person's role does not allow the action
    └── ExternalServiceError   an external service answered with an error or could not be reached
        ├── ImapError
        ├── HubSpotError
        │   └── HubSpotRateLimited
        └── LinearError
            ├── LinearRateLimited
            └── LinearFeatureDisabled

Pages catch ``AppError`` and show ``str(error)``; entry points print it as one line.
"""

from __future__ import annotations


class AppError(Exception):
    """Base class of every error Rotadesk raises on purpose."""


class ConfigError(AppError):
    """A setting is missing or has a value Rotadesk cannot use."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        super().__init__(f"{setting}: {problem}")


class MailboxTokenRevoked(ConfigError):
    """The provider refused the mailbox's refresh token (revoked or expired): a person must authorize again."""

    def __init__(self, detail: str) -> None:
        super().__init__("ROTADESK_IMAP_OAUTH_REFRESH_TOKEN", f"was refused by the token endpoint ({detail}); "
                         "run `python -m ingest imap-authorize` to authorize the mailbox again")


class ValidationError(AppError):
    """Input that breaks a domain rule (a bad roster row, an unknown template placeholder)."""


class IngestError(AppError):
    """A message that cannot be parsed or stored."""


class StoreError(AppError):
    """A database Rotadesk must not use or write: written by a newer version, damaged, or not a Rotadesk backup."""


class AccessDenied(AppError):
    """The person acting is not allowed to take this action (their role is too low)."""


class ExternalServiceError(AppError):
    """An external service answered with an error or could not be reached."""

    service = "external service"

    def __init__(self, message: str, *, status_code: int | None = None, retryable: bool = False) -> None:
        self.status_code = status_code
        self.retryable = retryable
        super().__init__(f"{self.service}: {message}")


class ImapError(ExternalServiceError):
    """The IMAP server could not be reached or refused a command."""

    service = "IMAP"


class HubSpotError(ExternalServiceError):
    """HubSpot refused a request or could not be reached; ``category`` and ``correlation_id`` come from its body."""

    service = "HubSpot"

    def __init__(self, message: str, *, status_code: int | None = None, retryable: bool = False,
                 category: str | None = None, hubspot_message: str = "", correlation_id: str | None = None) -> None:
        self.category = category
        self.hubspot_message = hubspot_message
        self.correlation_id = correlation_id
        super().__init__(message, status_code=status_code, retryable=retryable)


class HubSpotRateLimited(HubSpotError):
    """HubSpot's rate limit was hit; ``retry_after`` seconds to wait, ``daily`` when the day's quota is spent."""

    def __init__(self, message: str, *, retry_after: float, daily: bool = False, status_code: int | None = 429) -> None:
        self.retry_after = retry_after
        self.daily = daily
        super().__init__(message, status_code=status_code, retryable=not daily)


class LinearError(ExternalServiceError):
    """Linear refused a request or could not be reached."""

    service = "Linear"


class LinearRateLimited(LinearError):
    """Linear answered RATELIMITED; ``retry_after`` seconds to wait."""

    def __init__(self, message: str, *, retry_after: float, status_code: int | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message, status_code=status_code, retryable=True)


class LinearFeatureDisabled(LinearError):
    """The workspace has a Linear feature switched off (customer requests); the caller may skip that step."""
