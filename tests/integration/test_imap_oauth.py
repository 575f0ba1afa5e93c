"""The worker signs in to a real Dovecot with OAuth bearer tokens (SASL XOAUTH2), Dovecot checking each token
against a local introspection endpoint: a token that expires is renewed, a refused one once more, a revoked
refresh token stops the worker with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from core.errors import MailboxTokenRevoked
from core.mail_oauth import RENEW_BEFORE, AccessTokens, start_device_authorization, wait_for_consent
from core.settings import Settings
from ingest.imap import ImapWorker
from tests.doubles.oauth import CLIENT_ID, CLIENT_SECRET, OAuthDouble
from tests.support.dovecot import DovecotServer, MailUser

pytestmark = pytest.mark.dovecot
ROOT = Path(__file__).resolve().parents[2]
MAILBOX = "bugs@flowboard.test"
MAILBOX_LOGIN = MailUser(MAILBOX, "appends-only")  # the tests deliver mail with a password; the worker uses OAuth
MESSAGE = (b"From: Sam Support <sam@ourco.com>\r\nTo: bugs@flowboard.test\r\nSubject: Fwd: export broken\r\n"
           b"Message-ID: <oauth-%d@ourco.com>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\nIt times out.\r\n")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def provider():
    double = OAuthDouble(user=MAILBOX, expires_in=600)
    url, stop = double.serve()
    server = DovecotServer(oauth2_introspection_url=f"{url}/introspect")
    server.start()
    server.add_user(MAILBOX_LOGIN.name, MAILBOX_LOGIN.password)
    yield double, url, server
    server.stop()
    stop()


@pytest.fixture
def oauth_settings(provider, settings: Settings) -> Settings:
    double, url, server = provider
    double.refresh_tokens = {"refresh-1"}
    return replace(settings, imap_host=server.host, imap_port=server.port, imap_user=MAILBOX, imap_password="",
                   imap_ssl=False, imap_oauth_provider="generic", imap_oauth_token_url=f"{url}/token",
                   imap_oauth_device_url=f"{url}/device", imap_oauth_client_id=CLIENT_ID,
                   imap_oauth_client_secret=CLIENT_SECRET, imap_oauth_refresh_token="refresh-1")


def test_the_worker_logs_in_with_a_bearer_token_and_takes_in_mail(provider, oauth_settings, db) -> None:
    double, _, server = provider
    server.append(MAILBOX_LOGIN, MESSAGE % 1)
    before = double.refreshes
    result = ImapWorker(oauth_settings, db, tokens=AccessTokens(oauth_settings, clock=Clock())).run_once()
    assert result.fetched >= 1
    assert db["inbound_messages"].count_where("message_id like ?", ["%oauth-1@ourco.com%"]) == 1
    assert double.refreshes == before + 1 and double.introspections >= 1


def test_an_expiring_token_is_renewed_and_the_session_goes_on(provider, oauth_settings, db) -> None:
    double, _, server = provider
    clock = Clock()
    tokens = AccessTokens(oauth_settings, clock=clock)
    worker = ImapWorker(oauth_settings, db, tokens=tokens)
    worker.run_once()
    first = tokens.token()
    clock.now += 600 - RENEW_BEFORE  # a minute before it runs out, it counts as spent
    double.expire(first)
    server.append(MAILBOX_LOGIN, MESSAGE % 2)
    assert worker.run_once().fetched >= 1
    assert tokens.token() != first
    assert db["inbound_messages"].count_where("message_id like ?", ["%oauth-2@ourco.com%"]) == 1


def test_a_token_refused_before_its_time_is_renewed_once(provider, oauth_settings, db) -> None:
    double, _, server = provider
    tokens = AccessTokens(oauth_settings, clock=Clock())
    worker = ImapWorker(oauth_settings, db, tokens=tokens)
    worker.run_once()
    double.expire(tokens.token())  # revoked at the provider; our clock still thinks it is good
    before = double.refreshes
    server.append(MAILBOX_LOGIN, MESSAGE % 3)
    assert worker.run_once().fetched >= 1
    assert double.refreshes == before + 1


def test_a_revoked_refresh_token_stops_the_worker(provider, oauth_settings, db) -> None:
    double, _, _ = provider
    double.revoke_all()
    worker = ImapWorker(oauth_settings, db, tokens=AccessTokens(oauth_settings, clock=Clock()),
                        sleep=lambda _: pytest.fail("a revoked token must not be retried"))
    with pytest.raises(MailboxTokenRevoked, match="imap-authorize"):
        worker.run(max_passes=1)


def test_the_command_line_says_so_in_one_line(provider, oauth_settings, tmp_path: Path) -> None:
    double, _, _ = provider
    double.revoke_all()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ROTADESK_")},
           **{f"ROTADESK_{k.upper()}": str(getattr(oauth_settings, k)) for k in (
               "imap_host", "imap_port", "imap_user", "imap_oauth_provider", "imap_oauth_token_url",
               "imap_oauth_client_id", "imap_oauth_client_secret", "imap_oauth_refresh_token")},
           "ROTADESK_IMAP_SSL": "false", "ROTADESK_DB": str(tmp_path / "cli.db"),
           "ROTADESK_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "ingest", "run", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[-1].endswith("run `python -m ingest imap-authorize` to authorize the mailbox again")
    assert "Traceback" not in done.stderr and "refresh-1" not in done.stderr


def test_device_code_consent_gives_a_refresh_token_that_logs_in(provider, oauth_settings, db) -> None:
    double, _, server = provider
    double.refresh_tokens = set()
    code = start_device_authorization(oauth_settings)
    assert code.user_code and code.verification_uri.startswith("https://")
    waits: list[float] = []
    refresh = wait_for_consent(oauth_settings, code, sleep=waits.append)
    assert waits == [1.0, 1.0] and refresh in double.refresh_tokens
    authorized = replace(oauth_settings, imap_oauth_refresh_token=refresh)
    server.append(MAILBOX_LOGIN, MESSAGE % 4)
    assert ImapWorker(authorized, db, tokens=AccessTokens(authorized, clock=Clock())).run_once().fetched >= 1


def test_the_db_never_holds_a_token(provider, oauth_settings, db) -> None:
    tokens = AccessTokens(oauth_settings, clock=Clock())
    ImapWorker(oauth_settings, db, tokens=tokens).run_once()
    dump = "\n".join(db.conn.iterdump())
    assert tokens.token() not in dump and "refresh-1" not in dump


def test_imap_authorize_walks_a_person_through_consent_and_saves_the_token(provider, oauth_settings,
                                                                           tmp_path: Path) -> None:
    double, url, _ = provider
    env_file = tmp_path / ".env"
    env_file.write_text("ROTADESK_IMAP_HOST=imap.example.test\n")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ROTADESK_")},
           "ROTADESK_IMAP_OAUTH_PROVIDER": "generic", "ROTADESK_IMAP_OAUTH_TOKEN_URL": f"{url}/token",
           "ROTADESK_IMAP_OAUTH_DEVICE_URL": f"{url}/device", "ROTADESK_IMAP_OAUTH_CLIENT_ID": CLIENT_ID,
           "ROTADESK_IMAP_OAUTH_CLIENT_SECRET": CLIENT_SECRET, "ROTADESK_IMAP_USER": MAILBOX}
    done = subprocess.run([sys.executable, "-m", "ingest", "imap-authorize", "--env-file", str(env_file)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "https://example.test/device" in done.stdout and "WDJB-MJHT" in done.stdout
    saved = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    assert saved["ROTADESK_IMAP_HOST"] == "imap.example.test"
    assert saved["ROTADESK_IMAP_OAUTH_REFRESH_TOKEN"] in double.refresh_tokens
    assert saved["ROTADESK_IMAP_OAUTH_REFRESH_TOKEN"] not in done.stdout + done.stderr
    assert env_file.stat().st_mode & 0o077 == 0
