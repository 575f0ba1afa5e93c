"""Integration fixtures: the real Dovecot server (see tests/support/dovecot.py)."""

from __future__ import annotations

from tests.support.dovecot import dovecot, imap_settings, mail_user  # noqa: F401 - fixtures
