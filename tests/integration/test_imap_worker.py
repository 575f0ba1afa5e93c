"""The IMAP worker against a real Dovecot: incremental, read-only, resilient."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import pytest
from imapclient import IMAPClient

from core.errors import ConfigError, ImapError
from core.settings import Settings
from ingest import imap
from ingest.imap import Backoff, ImapWorker, load_state, save_state
from tests.support.dovecot import DovecotServer, MailUser

pytestmark = pytest.mark.dovecot


def message(n: int, *, body: str = "") -> bytes:
    return (f"From: Customer {n} <c{n}@acme.io>\r\nTo: bugs@ourco.com\r\nSubject: Bug {n}\r\n"
            f"Message-ID: <bug-{n}@acme.io>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\n"
            f"Export number {n} fails. {body}\r\n").encode()


@dataclass
class Outcome:
    status: str
    message_id: str


class RecordingPipeline:
    """Stands in for ingest_raw: records each call, dedups on Message-ID, raises for a poison marker."""

    def __init__(self, poison: str | None = None, on_call=None) -> None:
        self.calls: list[tuple[int | None, str | None, str]] = []
        self.escalations: set[str] = set()
        self.poison = poison
        self.on_call = on_call

    def __call__(self, db, settings, raw: bytes, *, source: str, folder: str | None, uid: int | None,
                 now: datetime) -> Outcome:
        assert source == "imap" and now.tzinfo is not None
        match = re.search(rb"^Message-ID: <([^>]+)>", raw, re.MULTILINE | re.IGNORECASE)
        message_id = match.group(1).decode() if match else "?"
        self.calls.append((uid, folder, message_id))
        if self.on_call:
            self.on_call(len(self.calls))
        if self.poison and self.poison.encode() in raw:
            raise ValueError("unparseable message")
        if message_id in self.escalations:
            return Outcome("duplicate", message_id)
        self.escalations.add(message_id)
        return Outcome("escalation", message_id)


class CountingClient(IMAPClient):
    """A real client that counts commands and can hide capabilities, to steer the worker's choices."""

    hidden: frozenset[bytes] = frozenset()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.counts: dict[str, int] = {}

    def has_capability(self, capability: str) -> bool:
        return capability.upper().encode() not in self.hidden and super().has_capability(capability)

    def search(self, *args, **kwargs):
        self.counts["search"] = self.counts.get("search", 0) + 1
        return super().search(*args, **kwargs)

    def fetch(self, *args, **kwargs):
        self.counts["fetch"] = self.counts.get("fetch", 0) + 1
        return super().fetch(*args, **kwargs)


def factory(settings: Settings, made: list[CountingClient], hidden: tuple[str, ...] = ()):
    def make() -> CountingClient:
        client = CountingClient(settings.imap_host, settings.imap_port, ssl=False, timeout=10)
        client.hidden = frozenset(h.encode() for h in hidden)
        made.append(client)
        return client
    return make


def fake_sleep(record: list[float]):
    return record.append


def mailbox_flags(dovecot: DovecotServer, user: MailUser, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
    with dovecot.client(user) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        return {uid: data[b"FLAGS"] for uid, data in client.fetch(uids, ["FLAGS"]).items()} if uids else {}


def test_a_pass_takes_in_every_message_once_and_a_second_pass_fetches_nothing(dovecot, mail_user, imap_settings, db):
    for n in range(1, 6):
        dovecot.append(mail_user, message(n))
    pipeline = RecordingPipeline()
    worker = ImapWorker(imap_settings, db, ingest=pipeline)

    first = worker.run_once()
    second = worker.run_once()

    assert (first.fetched, dict(first.statuses), first.last_uid) == (5, {"escalation": 5}, 5)
    assert [uid for uid, _, _ in pipeline.calls] == [1, 2, 3, 4, 5]
    assert {folder for _, folder, _ in pipeline.calls} == {"INBOX"}
    assert (second.fetched, second.last_uid) == (0, 5)
    assert len(pipeline.calls) == 5
    assert load_state(db, "INBOX").last_uid == 5
    assert "fetched 5 (escalation=5)" in first.summary()


def test_mail_that_arrives_later_is_picked_up(dovecot, mail_user, imap_settings, db):
    dovecot.append(mail_user, message(1))
    dovecot.append(mail_user, message(2))
    pipeline = RecordingPipeline()
    worker = ImapWorker(imap_settings, db, ingest=pipeline)
    worker.run_once()

    dovecot.append(mail_user, message(3))
    later = worker.run_once()

    assert (later.fetched, later.last_uid) == (1, 3)
    assert [message_id for _, _, message_id in pipeline.calls] == ["bug-1@acme.io", "bug-2@acme.io", "bug-3@acme.io"]


def test_mail_stays_unread_and_is_never_deleted(dovecot, mail_user, imap_settings, db):
    for n in range(1, 5):
        dovecot.append(mail_user, message(n))
    dovecot.append(mail_user, message(5), flags=[r"\Flagged"])

    ImapWorker(imap_settings, db, ingest=RecordingPipeline()).run_once()

    flags = mailbox_flags(dovecot, mail_user)
    assert sorted(flags) == [1, 2, 3, 4, 5]
    assert not any(rb"\Seen" in f or rb"\Deleted" in f for f in flags.values())
    assert rb"\Flagged" in flags[5]


def test_an_unchanged_mailbox_costs_one_search_and_no_fetch(dovecot, mail_user, imap_settings, db):
    for n in range(1, 4):
        dovecot.append(mail_user, message(n))
    made: list[CountingClient] = []
    worker = ImapWorker(imap_settings, db, ingest=RecordingPipeline(), client_factory=factory(imap_settings, made))
    worker._connect()
    worker.poll()
    before = dict(made[0].counts)

    result = worker.poll()
    worker.close()

    assert result.fetched == 0
    assert made[0].counts["search"] == before["search"] + 1
    assert made[0].counts["fetch"] == before["fetch"]


def test_a_uidvalidity_change_reads_the_folder_again_without_duplicates(dovecot, mail_user, imap_settings, db):
    settings = replace(imap_settings, imap_folder="Bugs")
    for n in range(1, 4):
        dovecot.append(mail_user, message(n), folder="Bugs")
    pipeline = RecordingPipeline()
    worker = ImapWorker(settings, db, ingest=pipeline)
    worker.run_once()
    old = load_state(db, "Bugs").uidvalidity

    with dovecot.client(mail_user) as client:  # the admin restores the folder from a backup
        client.delete_folder("Bugs")
        client.create_folder("Bugs")
    for n in range(1, 5):
        dovecot.append(mail_user, message(n), folder="Bugs")
    again = worker.run_once()

    assert load_state(db, "Bugs").uidvalidity != old
    assert again.resynced
    assert dict(again.statuses) == {"duplicate": 3, "escalation": 1}
    assert len(pipeline.escalations) == 4
    assert worker.run_once().fetched == 0


def test_a_stored_uidvalidity_that_does_not_match_triggers_a_resync(dovecot, mail_user, imap_settings, db):
    dovecot.append(mail_user, message(1))
    dovecot.append(mail_user, message(2))
    save_state(db, "INBOX", uidvalidity=1, last_uid=99)

    result = ImapWorker(imap_settings, db, ingest=RecordingPipeline()).run_once()

    assert result.resynced and (result.fetched, result.last_uid) == (2, 2)


def test_a_dropped_connection_reconnects_with_backoff_and_carries_on(dovecot, mail_user, imap_settings, db):
    for n in range(1, 6):
        dovecot.append(mail_user, message(n))
    made: list[CountingClient] = []
    sleeps: list[float] = []

    def drop_first_connection(calls: int) -> None:
        if calls == 1:
            made[0].socket().shutdown(socket.SHUT_RDWR)  # the network goes away under the worker mid-pass

    pipeline = RecordingPipeline(on_call=drop_first_connection)
    worker = ImapWorker(imap_settings, db, ingest=pipeline, client_factory=factory(imap_settings, made),
                        sleep=fake_sleep(sleeps), rng=lambda: 0.0)

    passes = worker.run(max_passes=1)

    assert passes == 1 and len(made) == 2
    assert sleeps == [0.5]  # first backoff: half of the 1 s base with no jitter
    assert [uid for uid, _, _ in pipeline.calls] == [1, 2, 3, 4, 5]  # nothing lost, nothing twice
    assert load_state(db, "INBOX").last_uid == 5


def test_an_unreachable_server_is_retried_with_growing_capped_delays(imap_settings, db):
    attempts: list[int] = []
    sleeps: list[float] = []

    def refuse() -> IMAPClient:
        attempts.append(1)
        raise ConnectionRefusedError("connection refused")

    worker = ImapWorker(imap_settings, db, ingest=RecordingPipeline(), client_factory=refuse,
                        sleep=fake_sleep(sleeps), rng=lambda: 1.0, backoff=Backoff(base=1, cap=8))

    worker.run(stop=lambda: len(attempts) >= 6)

    assert sleeps == [1, 2, 4, 8, 8, 8]


def test_backoff_jitter_stays_between_half_and_the_whole_ceiling():
    backoff = Backoff(base=2, cap=60)
    assert [backoff.delay(n, lambda: 0.0) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert [backoff.delay(n, lambda: 1.0) for n in range(7)] == [2, 4, 8, 16, 32, 60, 60]


def test_a_poison_message_does_not_block_the_ones_after_it(dovecot, mail_user, imap_settings, db, caplog):
    for n in range(1, 6):
        dovecot.append(mail_user, message(n, body="POISON" if n == 2 else ""))
    pipeline = RecordingPipeline(poison="POISON")

    with caplog.at_level(logging.ERROR, logger="ingest.imap"):
        result = ImapWorker(imap_settings, db, ingest=pipeline).run_once()

    assert dict(result.statuses) == {"escalation": 4, "failed": 1}
    assert result.last_uid == 5
    assert pipeline.escalations == {f"bug-{n}@acme.io" for n in (1, 3, 4, 5)}
    assert "UID 2 in INBOX could not be ingested" in caplog.text


def test_processed_mail_moves_to_the_configured_folder(dovecot, mail_user, imap_settings, db):
    settings = replace(imap_settings, imap_move_to="Processed")
    for n in range(1, 5):
        dovecot.append(mail_user, message(n))
    worker = ImapWorker(settings, db, ingest=RecordingPipeline())

    result = worker.run_once()

    assert result.moved == 4
    assert mailbox_flags(dovecot, mail_user) == {}
    moved = mailbox_flags(dovecot, mail_user, "Processed")
    assert len(moved) == 4 and not any(rb"\Seen" in f for f in moved.values())
    assert worker.run_once().fetched == 0


class DropsOnMove(CountingClient):
    """The connection drops just as the worker moves what it ingested."""

    def move(self, *args, **kwargs):
        self.shutdown()
        raise ConnectionResetError("connection dropped before MOVE")


def test_mail_ingested_but_not_moved_is_moved_on_the_next_pass(dovecot, mail_user, imap_settings, db):
    settings = replace(imap_settings, imap_move_to="Processed")
    for n in range(1, 4):
        dovecot.append(mail_user, message(n))
    pipeline = RecordingPipeline()
    broken = ImapWorker(settings, db, ingest=pipeline,
                        client_factory=lambda: DropsOnMove(settings.imap_host, settings.imap_port, ssl=False))
    broken._connect()
    with pytest.raises(ConnectionResetError):
        broken.poll()
    assert len(mailbox_flags(dovecot, mail_user)) == 3  # ingested, still in the inbox
    dovecot.append(mail_user, message(4))

    result = ImapWorker(settings, db, ingest=pipeline).run_once()

    assert (result.fetched, result.moved) == (1, 4)  # the new one, plus the three left behind
    assert mailbox_flags(dovecot, mail_user) == {}
    assert len(mailbox_flags(dovecot, mail_user, "Processed")) == 4
    assert pipeline.escalations == {f"bug-{n}@acme.io" for n in range(1, 5)}
    assert ImapWorker(settings, db, ingest=pipeline).run_once().moved == 0


def test_without_move_support_mail_is_copied_and_the_original_left(dovecot, mail_user, imap_settings, db, caplog):
    settings = replace(imap_settings, imap_move_to="Processed")
    for n in range(1, 5):
        dovecot.append(mail_user, message(n))
    made: list[CountingClient] = []
    worker = ImapWorker(settings, db, ingest=RecordingPipeline(),
                        client_factory=factory(settings, made, hidden=("MOVE",)))

    with caplog.at_level(logging.WARNING, logger="ingest.imap"):
        worker._connect()
        worker.poll()  # two batches of at most three: the warning still comes once
        worker.close()

    assert len(mailbox_flags(dovecot, mail_user)) == 4
    assert len(mailbox_flags(dovecot, mail_user, "Processed")) == 4
    assert caplog.text.count("has no MOVE") == 1


def test_moving_into_the_folder_being_read_is_refused(imap_settings, db):
    with pytest.raises(ConfigError, match="IMAP_MOVE_TO"):
        ImapWorker(replace(imap_settings, imap_move_to="INBOX"), db, ingest=RecordingPipeline())


def test_idle_wakes_the_worker_when_mail_arrives(dovecot, mail_user, imap_settings, db):
    settings = replace(imap_settings, imap_poll_seconds=20)
    dovecot.append(mail_user, message(1))
    pipeline = RecordingPipeline()
    sleeps: list[float] = []
    worker = ImapWorker(settings, db, ingest=pipeline, sleep=fake_sleep(sleeps))
    later = threading.Timer(0.5, dovecot.append, args=(mail_user, message(2)))

    started = time.monotonic()
    later.start()
    passes = worker.run(max_passes=2)
    later.join()

    assert passes == 2
    assert [message_id for _, _, message_id in pipeline.calls] == ["bug-1@acme.io", "bug-2@acme.io"]
    assert time.monotonic() - started < 10  # woken by the new mail, not by the 20 s IDLE timeout
    assert sleeps == []


def test_without_idle_the_worker_polls_at_the_configured_interval(dovecot, mail_user, imap_settings, db):
    settings = replace(imap_settings, imap_poll_seconds=7)
    dovecot.append(mail_user, message(1))
    sleeps: list[float] = []
    made: list[CountingClient] = []

    def sleep_and_deliver(seconds: float) -> None:
        sleeps.append(seconds)
        dovecot.append(mail_user, message(2))

    pipeline = RecordingPipeline()
    worker = ImapWorker(settings, db, ingest=pipeline, sleep=sleep_and_deliver,
                        client_factory=factory(settings, made, hidden=("IDLE",)))

    assert worker.run(max_passes=2) == 2
    assert sleeps == [7]
    assert [uid for uid, _, _ in pipeline.calls] == [1, 2]


def test_large_batches_are_fetched_in_pieces_that_fit_the_memory_budget(dovecot, mail_user, imap_settings, db,
                                                                        monkeypatch):
    monkeypatch.setattr(imap, "FETCH_BUDGET_BYTES", len(message(1)) + 10)
    for n in range(1, 4):
        dovecot.append(mail_user, message(n))
    made: list[CountingClient] = []
    worker = ImapWorker(imap_settings, db, ingest=RecordingPipeline(), client_factory=factory(imap_settings, made))

    result = worker.run_once()

    assert result.fetched == 3
    assert made[0].counts["fetch"] == 1 + 3  # one size probe for the batch, then one body per message


def test_a_wrong_password_is_an_imap_error_that_does_not_show_it(dovecot, mail_user, imap_settings, db):
    settings = replace(imap_settings, imap_password="hunter2-wrong")

    with pytest.raises(ImapError) as caught:
        ImapWorker(settings, db, ingest=RecordingPipeline()).run_once()

    assert "hunter2" not in str(caught.value)
    assert str(caught.value).startswith("IMAP:")


def test_a_worker_needs_a_configured_mailbox(settings, db):
    with pytest.raises(ConfigError, match="IMAP_HOST"):
        ImapWorker(settings, db, ingest=RecordingPipeline())


def test_now_is_taken_per_message(dovecot, mail_user, imap_settings, db):
    dovecot.append(mail_user, message(1))
    moments: list[datetime] = []

    def ingest(db, settings, raw, *, source, folder, uid, now):
        moments.append(now)
        return Outcome("ignored", "x")

    fixed = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
    ImapWorker(imap_settings, db, ingest=ingest, now=lambda: fixed).run_once()

    assert moments == [fixed]


def test_a_server_restart_is_survived(dovecot, mail_user, imap_settings, db):
    dovecot.append(mail_user, message(1))
    sleeps: list[float] = []
    made: list[CountingClient] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 1:  # the poll interval: Dovecot restarts meanwhile and new mail arrives
            dovecot.restart()
            dovecot.append(mail_user, message(2))

    pipeline = RecordingPipeline()
    worker = ImapWorker(imap_settings, db, ingest=pipeline, sleep=sleep, rng=lambda: 0.0,
                        client_factory=factory(imap_settings, made, hidden=("IDLE",)))

    assert worker.run(max_passes=2) == 2
    assert sleeps == [1, 0.5]  # the poll interval, then one backoff before reconnecting
    assert len(made) == 2
    assert [uid for uid, _, _ in pipeline.calls] == [1, 2]


def forwarded_report(n: int) -> bytes:
    return (f"From: Agent Smith <agent@ourco.com>\r\nTo: bugs@ourco.com\r\nSubject: Fwd: Export {n} fails\r\n"
            f"Message-ID: <fwd-{n}@ourco.com>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\n"
            f"Customer is blocked, please look.\r\n\r\n---------- Forwarded message ---------\r\n"
            f"From: Dana Client <dana@acme{n}.io>\r\nDate: Mon, 2 Mar 2026 at 09:00\r\n"
            f"Subject: Export {n} fails\r\nTo: <support@ourco.com>\r\n\r\n"
            f"Export {n} stops at 40 percent with error 500.\r\n").encode()


def test_with_the_real_pipeline_a_resync_creates_no_duplicate_escalations(dovecot, mail_user, imap_settings, db):
    settings = replace(imap_settings, imap_folder="Bugs")
    for n in range(1, 4):
        dovecot.append(mail_user, forwarded_report(n), folder="Bugs")
    worker = ImapWorker(settings, db)  # the default: ingest.pipeline.ingest_raw
    first = worker.run_once()

    with dovecot.client(mail_user) as client:
        client.delete_folder("Bugs")
        client.create_folder("Bugs")
    for n in range(1, 5):
        dovecot.append(mail_user, forwarded_report(n), folder="Bugs")
    again = worker.run_once()

    assert dict(first.statuses) == {"escalation": 3}
    assert again.resynced and dict(again.statuses) == {"duplicate": 3, "escalation": 1}
    assert db["escalations"].count == 4
    assert {row["uid"] for row in db["inbound_messages"].rows} == {1, 2, 3, 4}
    assert {row["folder"] for row in db["inbound_messages"].rows} == {"Bugs"}


def test_run_calls_the_after_pass_hook_each_cycle(imap_settings, db) -> None:
    cycles: list[int] = []
    worker = ImapWorker(imap_settings, db, ingest=lambda *a, **k: None, after_pass=lambda: cycles.append(1))
    assert worker.run(max_passes=2) == 2
    assert len(cycles) == 2


def test_several_folders_are_read_each_from_its_own_cursor(dovecot, mail_user, imap_settings, db):
    settings = replace(imap_settings, imap_folder="INBOX, Support/Bugs")
    dovecot.append(mail_user, message(1))
    dovecot.append(mail_user, message(2), folder="Support/Bugs")
    dovecot.append(mail_user, message(3), folder="Support/Bugs")
    pipeline = RecordingPipeline()
    worker = ImapWorker(settings, db, ingest=pipeline)
    first = worker.run_once()
    assert first.fetched == 3 and first.statuses["escalation"] == 3
    assert sorted((folder, uid) for uid, folder, _ in pipeline.calls) == [
        ("INBOX", 1), ("Support/Bugs", 1), ("Support/Bugs", 2)]
    assert (load_state(db, "INBOX").last_uid, load_state(db, "Support/Bugs").last_uid) == (1, 2)
    dovecot.append(mail_user, message(4), folder="Support/Bugs")
    again = worker.run_once()
    assert again.fetched == 1 and pipeline.calls[-1] == (3, "Support/Bugs", "bug-4@acme.io")
    assert load_state(db, "INBOX").last_uid == 1


def test_the_move_target_may_not_be_one_of_the_folders_read(imap_settings, db):
    with pytest.raises(ConfigError, match="ROTADESK_IMAP_MOVE_TO"):
        ImapWorker(replace(imap_settings, imap_folder="INBOX,Done", imap_move_to="Done"), db)
