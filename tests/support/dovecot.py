"""A real Dovecot IMAP server for tests and benchmarks.

``DovecotServer`` is a plain class (the benchmark uses it outside pytest): it writes its own config into a
temporary folder, runs ``dovecot -F -c <conf>`` on a free loopback port with passwd-file logins, and stops it
again. The pytest fixtures at the bottom wrap it: ``dovecot`` (one server per session), ``mail_user`` (a fresh
login per test, so tests never see each other's mail) and ``imap_settings`` (Settings pointing at that user).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from imapclient import IMAPClient

from core.settings import Settings

DOVECOT = Path("/usr/sbin/dovecot")
MISSING = "Dovecot is required: apt-get install -y dovecot-imapd"
MAIL_OWNER = "dovecot"
POOL_SIZE = 100

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
instance_name = rotadesk-test-{port}
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
mail_uid = dovecot
mail_gid = dovecot
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:~/Maildir
mail_max_userip_connections = 200
auth_failure_delay = 0
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/home/%u
}}
# No failed-login penalty: tests log in with a wrong password on purpose, and the penalty would slow every
# later login from 127.0.0.1. Mode 0 keeps Dovecot from creating the socket, which turns the penalty off.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


# With an introspection URL, Dovecot also takes OAuth bearer tokens (XOAUTH2, OAUTHBEARER) and asks that endpoint
# (RFC 7662) whether each is active and whose it is; password logins keep working beside it.
OAUTH2_CONFIG = """\
auth_mechanisms = plain login xoauth2 oauthbearer
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/dovecot-oauth2.conf.ext
}}
"""
OAUTH2_ARGS = """\
introspection_mode = post
introspection_url = {url}
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
"""


@dataclass(frozen=True)
class MailUser:
    name: str
    password: str


class DovecotServer:
    """One Dovecot instance in its own temporary folder. Use as a context manager or call start()/stop()."""

    def __init__(self, *, startup_timeout: float = 15.0, oauth2_introspection_url: str | None = None) -> None:
        if not DOVECOT.exists():
            raise RuntimeError(MISSING)
        self.startup_timeout = startup_timeout
        self.oauth2_introspection_url = oauth2_introspection_url
        self.host = "127.0.0.1"
        self.port = 0
        self.root = Path()
        self._process: subprocess.Popen[bytes] | None = None
        self._users: dict[str, str] = {}
        self._counter = itertools.count(1)
        self._pool: list[MailUser] = []

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        owner = pwd.getpwnam(MAIL_OWNER)
        self.root = Path(tempfile.mkdtemp(prefix="rotadesk-dovecot-"))
        self.root.chmod(0o755)  # mail processes run as the dovecot user and must traverse it
        home = self.root / "home"
        home.mkdir()
        os.chown(home, owner.pw_uid, owner.pw_gid)
        self.port = _free_port()
        self._users["probe"] = "pw-probe"
        self._pool = self._new_users(POOL_SIZE)
        conf = self.root / "dovecot.conf"
        config = CONFIG.format(root=self.root, port=self.port, uid=owner.pw_uid, gid=owner.pw_gid)
        if self.oauth2_introspection_url:
            config = config.replace("auth_mechanisms = plain login\n", OAUTH2_CONFIG.format(root=self.root))
            (self.root / "dovecot-oauth2.conf.ext").write_text(OAUTH2_ARGS.format(url=self.oauth2_introspection_url))
        conf.write_text(config)
        self._launch()
        try:
            self._wait_until_ready()
        except Exception:
            self.stop(keep_files=True)
            raise

    def stop(self, *, keep_files: bool = False) -> None:
        self._terminate()
        if not keep_files and self.root != Path() and self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)

    def restart(self) -> None:
        """Stop and start the same server (same port, same mail): every open connection is cut."""
        self._terminate()
        self._launch()
        self._wait_until_ready()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_text(self, user: str | None = None) -> str:
        """Dovecot's own log plus anything it printed, for failure messages; ``user`` keeps that user's lines
        and every warning or error."""
        parts = []
        for name in ("dovecot.out", "dovecot.log"):
            path = self.root / name
            if not path.is_file():
                continue
            lines = path.read_text(errors="replace").splitlines()
            if user is not None:
                lines = [line for line in lines if f"<{user}>" in line or f"({user})" in line
                         or any(level in line for level in (": Warning:", ": Error:", ": Fatal:", ": Panic:"))]
            parts.append(f"--- {name} ---\n" + "\n".join(lines[-200:]))
        return "\n".join(parts) or "(no Dovecot output)"

    # -- users and mail ----------------------------------------------------------------------------------------

    def add_user(self, name: str | None = None, password: str | None = None) -> MailUser:
        """A login with an empty mailbox (its home appears on first login).

        Dovecot re-reads the passwd file at most once a second, so anonymous users come from a pool written
        ahead of time; a named user is written and waited for.
        """
        if name is None and password is None:
            if not self._pool:
                self._fill_pool()
            return self._pool.pop(0)
        user = MailUser(name or f"user{next(self._counter)}", password or f"pw-{name}")
        self._users[user.name] = user.password
        self._write_passwd()
        self._wait_for_login(user)
        return user

    def client(self, user: MailUser, *, timeout: float = 10.0) -> IMAPClient:
        """A logged-in client; use it as a context manager to log out."""
        client = IMAPClient(self.host, self.port, ssl=False, timeout=timeout)
        client.login(user.name, user.password)
        return client

    def append(self, user: MailUser, raw: bytes, folder: str = "INBOX", flags: Sequence[str] = ()) -> None:
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw, flags=tuple(flags))

    def append_many(self, user: MailUser, raws: Iterable[bytes], folder: str = "INBOX", chunk: int = 500) -> int:
        """MULTIAPPEND in chunks: fast enough to fill a 10,000-message mailbox."""
        count = 0
        with self.client(user, timeout=120) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for batch in _chunks(raws, chunk):
                client.multiappend(folder, batch)
                count += len(batch)
        return count

    def settings_for(self, user: MailUser, base: Settings, **overrides: object) -> Settings:
        return replace(base, imap_host=self.host, imap_port=self.port, imap_user=user.name,
                       imap_password=user.password, imap_ssl=False, **overrides)

    # -- internals ---------------------------------------------------------------------------------------------

    def _launch(self) -> None:
        # Its own session, so stopping it can signal the whole group: Dovecot leaves logged-in imap
        # processes running when only the master is told to stop.
        with open(self.root / "dovecot.out", "ab") as output:
            self._process = subprocess.Popen([str(DOVECOT), "-F", "-c", str(self.root / "dovecot.conf")],
                                             stdout=output, stderr=output, start_new_session=True)

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # imap processes still shutting down
            os.killpg(process.pid, signal.SIGKILL)

    def _write_passwd(self) -> None:
        # Written whole and renamed into place so Dovecot never reads a half-written file.
        path = self.root / "passwd"
        tmp = self.root / "passwd.tmp"
        tmp.write_text("".join(f"{name}:{password}\n" for name, password in self._users.items()))
        tmp.chmod(0o644)
        tmp.replace(path)

    def _new_users(self, count: int) -> list[MailUser]:
        fresh = [MailUser(f"user{n}", f"pw-user{n}") for n in itertools.islice(self._counter, count)]
        self._users.update((user.name, user.password) for user in fresh)
        self._write_passwd()
        return fresh

    def _fill_pool(self) -> None:
        fresh = self._new_users(POOL_SIZE)
        self._wait_for_login(fresh[-1])
        self._pool.extend(fresh)

    def _wait_until_ready(self) -> None:
        self._wait_for_login(MailUser("probe", self._users["probe"]))

    def _wait_for_login(self, probe: MailUser) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise RuntimeError(f"Dovecot exited during startup.\n{self.log_text()}")
            try:
                with self.client(probe, timeout=2):
                    return
            except Exception as exc:  # not listening or not ready to log in yet
                last_error = exc
                time.sleep(0.05)
        raise RuntimeError(f"Dovecot did not accept a login within {self.startup_timeout}s "
                           f"({last_error!r}).\n{self.log_text()}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _chunks(items: Iterable[bytes], size: int) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- pytest fixtures -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """A running Dovecot shared by the session; tests isolate themselves with ``mail_user``."""
    if not DOVECOT.exists():
        pytest.fail(MISSING, pytrace=False)
    server = DovecotServer()
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(f"Dovecot failed to start: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def mail_user(dovecot: DovecotServer) -> Iterator[MailUser]:
    """A fresh login with an empty INBOX."""
    user = dovecot.add_user()
    yield user
    # Captured output is only shown for failing tests, so this puts the Dovecot log beside the failure.
    print(dovecot.log_text(user.name))


@pytest.fixture
def imap_settings(dovecot: DovecotServer, mail_user: MailUser, settings: Settings) -> Settings:
    """Settings for the worker, pointing at ``mail_user`` on the test Dovecot."""
    return dovecot.settings_for(mail_user, settings, imap_poll_seconds=1, imap_batch_size=3)
