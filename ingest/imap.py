"""The IMAP worker: reads the shared bug inbox by UID and hands each message to the pipeline.

Mail is read with ``BODY.PEEK[]`` so nothing is marked read, and nothing is ever deleted or expunged.
``imap_state`` remembers (folder, UIDVALIDITY, last UID), so an unchanged mailbox costs one NOOP and one UID SEARCH.
A UIDVALIDITY change starts again from UID 1; the pipeline's Message-ID/sha256 dedup keeps that safe.
``last_uid`` only advances once a message has been handed to the pipeline, which stores the raw bytes first.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from sqlite_utils import Database

from core.errors import ConfigError, ImapError
from core.mail_oauth import AccessTokens
from core.monitor import LAST_POLL_KEY
from core.settings import Settings, env_name
from core.store import get_state, iso, set_state, utcnow

log = logging.getLogger(__name__)

IDLE_CAP_SECONDS = 29 * 60  # RFC 2177: re-issue IDLE before the server's 30-minute inactivity logout
FETCH_BUDGET_BYTES = 32 * 1024 * 1024  # bodies held in memory per FETCH; larger messages come alone
CONNECT_TIMEOUT_SECONDS = 60.0
# Errors that mean "the mailbox or the store is unreachable right now": drop the connection and retry later.
# ImapError here is a token endpoint that could not be reached: transient, like a dropped connection.
RETRYABLE = (OSError, IMAPClientError, ImapError, sqlite3.OperationalError)


class IngestFn(Protocol):
    def __call__(self, db: Database, settings: Settings, raw: bytes, *, source: str, folder: str | None,
                 uid: int | None, now: datetime) -> Any: ...


@dataclass
class PassResult:
    """What one pass over the folder did."""

    folder: str
    fetched: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    last_uid: int = 0
    duration: float = 0.0
    resynced: bool = False
    moved: int = 0

    def summary(self) -> str:
        counts = " ".join(f"{status}={n}" for status, n in sorted(self.statuses.items()))
        extra = (" (resynced after UIDVALIDITY change)" if self.resynced else "") + (
            f" moved={self.moved}" if self.moved else "")
        return (f"IMAP {self.folder}: fetched {self.fetched}{' (' + counts + ')' if counts else ''}, "
                f"last_uid={self.last_uid} in {self.duration * 1000:.0f} ms{extra}")


@dataclass(frozen=True)
class Backoff:
    """Exponential reconnect delay, capped, with jitter so many workers do not retry in step."""

    base: float = 1.0
    cap: float = 300.0

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        ceiling = min(self.cap, self.base * 2 ** min(attempt, 32))
        return ceiling * (0.5 + rng() / 2)  # between half and all of the ceiling: never zero, so never a spin


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    last_uid: int


def load_state(db: Database, folder: str) -> FolderState | None:
    rows = list(db.query("select uidvalidity, last_uid from imap_state where folder = ?", [folder]))
    return FolderState(int(rows[0]["uidvalidity"]), int(rows[0]["last_uid"])) if rows else None


def save_state(db: Database, folder: str, uidvalidity: int, last_uid: int) -> None:
    db["imap_state"].upsert({"folder": folder, "uidvalidity": uidvalidity, "last_uid": last_uid,
                             "updated_at": utcnow()}, pk="folder")


def pending_moves(db: Database, folder: str, uidvalidity: int) -> list[int]:
    """UIDs ingested but not yet moved out of ``folder`` (say, the worker died in between)."""
    saved = json.loads(get_state(db, f"imap.pending_moves.{folder}") or "{}")
    return list(saved.get("uids", [])) if saved.get("uidvalidity") == uidvalidity else []


def save_pending_moves(db: Database, folder: str, uidvalidity: int, uids: Sequence[int]) -> None:
    set_state(db, f"imap.pending_moves.{folder}", json.dumps({"uidvalidity": uidvalidity, "uids": list(uids)}))


class ImapWorker:
    """Reads the folders of ``settings.imap_folders``. ``run_once()`` is one pass; ``run()`` loops with IDLE (one
    folder) or polling (several)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        client_factory: Callable[[], IMAPClient] | None = None,
        ingest: IngestFn | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        rng: Callable[[], float] = random.random,
        backoff: Backoff = Backoff(),
        after_pass: Callable[[], None] | None = None,
        tokens: AccessTokens | None = None,
    ) -> None:
        if not settings.imap_configured:
            raise ConfigError(env_name("imap_host"), "set ROTADESK_IMAP_HOST and ROTADESK_IMAP_USER to read mail")
        if settings.imap_move_to and settings.imap_move_to in settings.imap_folders:
            raise ConfigError(env_name("imap_move_to"), "must differ from every folder in ROTADESK_IMAP_FOLDER")
        self.settings = settings
        self.db = db
        self._factory = client_factory or self._default_client
        self._ingest = ingest or _pipeline_ingest()
        self._sleep, self._clock, self._now, self._rng = sleep, clock, now, rng
        self.backoff = backoff
        self._after_pass = after_pass or (lambda: None)
        self._tokens = tokens if tokens is not None else tokens_for(settings)
        self._client: IMAPClient | None = None
        self._uidvalidity = 0
        self._folder = settings.imap_folders[0]  # the folder selected now; each one keeps its own cursor
        self._warned_no_move = False

    @property
    def _moving(self) -> bool:
        return bool(self.settings.imap_move_to)

    # -- entry points ------------------------------------------------------------------------------------------

    def run_once(self) -> PassResult:
        """Connect, take in everything new, disconnect. IMAP failures become :class:`ImapError`."""
        try:
            self._connect()
            return self.poll()
        except (OSError, IMAPClientError) as exc:
            raise ImapError(_describe(exc)) from exc
        finally:
            self.close()

    def run(self, *, stop: Callable[[], bool] = lambda: False, max_passes: int | None = None) -> int:
        """Pass, wait for mail (IDLE or sleep), repeat until ``stop()``; reconnect with backoff. Returns passes."""
        passes = failures = 0
        try:
            while not stop():
                try:
                    if self._client is None:
                        self._connect()
                    self.poll()
                    self._after_pass()
                    failures, passes = 0, passes + 1
                    if max_passes is not None and passes >= max_passes:
                        break
                    self._wait()
                except RETRYABLE as exc:
                    self.close()
                    delay = self.backoff.delay(failures, self._rng)
                    failures += 1
                    level = logging.ERROR if isinstance(exc, LoginError) else logging.WARNING
                    log.log(level, "IMAP %s:%s unavailable (%s); retrying in %.1f s",
                            self.settings.imap_host, self.settings.imap_port, _describe(exc), delay)
                    self._sleep(delay)
        finally:
            self.close()
        return passes

    def poll(self) -> PassResult:
        """One pass on the open connection over every folder: fetch each UID above the folder's stored one."""
        assert self._client is not None, "connect first"
        folders = self.settings.imap_folders
        if len(folders) == 1:
            return self._poll_selected()
        total = PassResult(", ".join(folders))
        for folder in folders:
            self._select(folder)
            one = self._poll_selected()
            total.fetched += one.fetched
            total.statuses.update(one.statuses)
            total.moved += one.moved
            total.duration += one.duration
            total.resynced = total.resynced or one.resynced
        return total

    def _poll_selected(self) -> PassResult:
        assert self._client is not None
        started = self._clock()
        folder = self._folder
        result = PassResult(folder)
        state = load_state(self.db, folder)
        current = state is not None and state.uidvalidity == self._uidvalidity
        last_uid = state.last_uid if state is not None and current else 0
        if state is not None and not current:
            result.resynced = True
            log.warning("UIDVALIDITY of %s changed (%s -> %s); reading it again from UID 1",
                        folder, state.uidvalidity, self._uidvalidity)
        if not current:
            save_state(self.db, folder, self._uidvalidity, 0)
        self._client.noop()  # lets the server report mail that arrived since the last command
        # "N:*" always matches the highest UID, even when it is below N, hence the filter.
        if self._moving and current:
            result.moved += self._move_leftovers()
        uids = sorted(uid for uid in self._client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid)
        result.last_uid = last_uid
        for batch in _chunks(uids, max(1, self.settings.imap_batch_size)):
            handled = self._take_batch(batch, result)
            if self._moving and handled:
                result.moved += self._move(handled)
        result.duration = self._clock() - started
        set_state(self.db, LAST_POLL_KEY, iso(self._now()))  # what `python -m ingest health` reports
        log.log(logging.INFO if result.fetched or result.resynced else logging.DEBUG, result.summary())
        return result

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # the connection is usually already gone; closing is all that is left
            _shutdown(client)

    # -- steps -------------------------------------------------------------------------------------------------

    def _default_client(self) -> IMAPClient:
        s = self.settings
        client = IMAPClient(s.imap_host, s.imap_port, ssl=s.imap_ssl, timeout=CONNECT_TIMEOUT_SECONDS)
        # imapclient turns on imaplib's debug output, which builds a repr of every response (a whole 30 MB
        # message included) before its logger drops it; that alone tripled peak memory.
        client._imap.debug = 0
        return client

    def _connect(self) -> None:
        s = self.settings
        client = self._factory()
        try:
            login(client, s, self._tokens)
            if self._moving and not client.folder_exists(s.imap_move_to):
                client.create_folder(s.imap_move_to)
            self._client = client
            self._select(s.imap_folders[0])
        except BaseException:
            self._client = None
            _shutdown(client)
            raise

    def _select(self, folder: str) -> None:
        assert self._client is not None
        info = self._client.select_folder(folder, readonly=not self._moving)
        self._folder, self._uidvalidity = folder, int(info[b"UIDVALIDITY"])

    def _take_batch(self, batch: list[int], result: PassResult) -> list[int]:
        """Fetch and ingest ``batch`` in UID order; returns the UIDs that may be moved."""
        assert self._client is not None
        handled: list[int] = []
        for group in self._fetch_groups(batch):
            bodies = self._client.fetch(group, ["BODY.PEEK[]"])
            for uid in group:
                raw = bodies.pop(uid, {}).get(b"BODY[]")
                status = self._ingest_one(uid, raw)
                save_state(self.db, result.folder, self._uidvalidity, uid)
                result.last_uid = uid
                if status is None:
                    continue
                result.fetched += 1
                result.statuses[status] += 1
                if status != "failed":
                    handled.append(uid)
                    if self._moving:  # remembered before the move, so a crash in between only delays it
                        save_pending_moves(self.db, result.folder, self._uidvalidity, handled)
        return handled

    def _fetch_groups(self, batch: list[int]) -> Iterator[list[int]]:
        """Split a batch so the bodies of one FETCH stay within FETCH_BUDGET_BYTES."""
        assert self._client is not None
        sizes = self._client.fetch(batch, ["RFC822.SIZE"])
        group: list[int] = []
        total = 0
        for uid in batch:
            size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
            if group and total + size > FETCH_BUDGET_BYTES:
                yield group
                group, total = [], 0
            group.append(uid)
            total += size
        if group:
            yield group

    def _ingest_one(self, uid: int, raw: bytes | None) -> str | None:
        folder = self._folder
        if raw is None:  # expunged by someone else between SEARCH and FETCH
            log.warning("UID %s in %s vanished before it could be fetched", uid, folder)
            return None
        try:
            outcome = self._ingest(self.db, self.settings, raw, source="imap", folder=folder, uid=uid, now=self._now())
        except RETRYABLE:
            raise  # the store is unavailable, not this message: stop here and retry the pass later
        except Exception:
            # The pipeline records what it can; one bad message must never hold up the ones after it.
            log.exception("UID %s in %s could not be ingested; skipped (it stays in the mailbox)", uid, folder)
            return "failed"
        return str(outcome.status)

    def _move(self, uids: Sequence[int]) -> int:
        assert self._client is not None
        target = self.settings.imap_move_to
        if self._client.has_capability("MOVE"):
            self._client.move(list(uids), target)
        else:
            if not self._warned_no_move:
                log.warning("IMAP server has no MOVE; copying processed mail to %s and leaving the originals", target)
                self._warned_no_move = True
            self._client.copy(list(uids), target)
        save_pending_moves(self.db, self._folder, self._uidvalidity, [])
        return len(uids)

    def _move_leftovers(self) -> int:
        """Move what an earlier pass ingested but could not move (still in the folder, never fetched again)."""
        assert self._client is not None
        pending = pending_moves(self.db, self._folder, self._uidvalidity)
        if not pending:
            return 0
        present = sorted(set(self._client.search(["UID", ",".join(map(str, pending))])) & set(pending))
        if present:
            log.info("moving %d message(s) an earlier pass ingested but did not move", len(present))
            return self._move(present)
        save_pending_moves(self.db, self._folder, self._uidvalidity, [])
        return 0

    def _wait(self) -> None:
        """Wait for new mail: IDLE when the server offers it, otherwise sleep for the poll interval."""
        assert self._client is not None
        timeout = max(1, min(self.settings.imap_poll_seconds, IDLE_CAP_SECONDS))
        # IDLE watches the selected folder only: with several folders, every one is polled instead.
        if len(self.settings.imap_folders) > 1 or not self._client.has_capability("IDLE"):
            self._sleep(timeout)
            return
        self._client.idle()
        self._client.idle_check(timeout=timeout)
        self._client.idle_done()


def tokens_for(settings: Settings) -> AccessTokens | None:
    """The OAuth access-token source when the mailbox signs in with OAuth, else None (password login)."""
    return AccessTokens(settings) if settings.imap_oauth_provider else None


def login(client: IMAPClient, settings: Settings, tokens: AccessTokens | None) -> None:
    """Password login, or SASL XOAUTH2 with a current access token; a token the server refuses before its time
    (revoked, or the clocks disagree) is renewed once on the same connection."""
    if tokens is None:
        client.login(settings.imap_user, settings.imap_password)
        return
    try:
        client.oauth2_login(settings.imap_user, tokens.token())
    except LoginError:
        tokens.invalidate()
        client.oauth2_login(settings.imap_user, tokens.token())
def probe(settings: Settings, client_factory: Callable[[], IMAPClient] | None = None, *,
          timeout: float = CONNECT_TIMEOUT_SECONDS) -> str:
    """Log in and look at the folder (read-only), for ``python -m ingest health``; IMAP failures become ImapError."""
    s = settings
    try:
        client = client_factory() if client_factory else IMAPClient(s.imap_host, s.imap_port, ssl=s.imap_ssl,
                                                                    timeout=timeout)
    except (OSError, IMAPClientError) as exc:
        raise ImapError(_describe(exc)) from exc
    try:
        login(client, s, tokens_for(s))
        counts = [f"{folder}: {int(client.select_folder(folder, readonly=True).get(b'EXISTS', 0))} message(s)"
                  for folder in s.imap_folders]
        client.logout()
    except (OSError, IMAPClientError) as exc:
        _shutdown(client)
        raise ImapError(_describe(exc)) from exc
    return f"{s.imap_host}:{s.imap_port} " + ", ".join(counts)


def _pipeline_ingest() -> IngestFn:
    from ingest.pipeline import ingest_raw  # imported late: the pipeline pulls in parsing and the store

    return ingest_raw


def _shutdown(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):
        client.shutdown()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
