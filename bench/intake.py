"""Intake benchmark: ``python -m bench intake [--runs N] [--messages N] [--attachment-mb N]``.

Measures, each over ``--runs`` fresh databases (the table shows the median, min and max):

* messages/second through parse + store for the forwarded corpus (tests/fixtures/forwarded/), each fixture
  wrapped as a forward from agent@ourco.com, and for a synthetic mailbox read from a real Dovecot;
* one poll of that mailbox once nothing is new, on the open connection and as a whole connect-login-poll;
* peak traced memory while taking in one message carrying a large attachment, as a multiple of its size.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from email.header import Header
from pathlib import Path

from core.settings import Settings
from core.store import open_db
from ingest.imap import ImapWorker
from ingest.pipeline import ingest_raw

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "forwarded"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
TARGETS = {"poll": "< 100 ms", "memory": "< 3x message"}


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench intake", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions of each measurement (median shown)")
    parser.add_argument("--messages", type=int, default=10_000, help="size of the synthetic Dovecot mailbox")
    parser.add_argument("--corpus-copies", type=int, default=5, help="times the corpus is taken in per run")
    parser.add_argument("--attachment-mb", type=float, default=25.0, help="attachment size for the memory test")
    args = parser.parse_args(argv)

    rows: list[tuple[str, list[float], str, str]] = []
    corpus = corpus_messages(args.corpus_copies)
    rows.append((f"corpus: {len(corpus)} forwards, parse + store", repeat(args.runs, lambda: rate(corpus)),
                 "msg/s", ""))
    rows.extend(mailbox_rows(args.runs, args.messages))
    raw = message_with_attachment(int(args.attachment_mb * 1024 * 1024))
    rows.append((f"peak memory, one {len(raw) / 1048576:.0f} MB message (pipeline)",
                 repeat(args.runs, lambda: peak_ratio(raw)), "x size", TARGETS["memory"]))
    rows.append((f"peak memory, one {len(raw) / 1048576:.0f} MB message (IMAP fetch + pipeline)",
                 repeat(args.runs, lambda: imap_peak_ratio(raw)), "x size", TARGETS["memory"]))
    print_table(rows, args.runs)
    return 0


# -- measurements --------------------------------------------------------------------------------------------


def rate(raws: list[bytes]) -> float:
    """Messages per second through ingest_raw into a fresh database."""
    with fresh_settings() as settings:
        db = open_db(settings.db)
        started = time.perf_counter()
        for raw in raws:
            ingest_raw(db, settings, raw, source="bench", now=NOW)
        elapsed = time.perf_counter() - started
        db.close()
    return len(raws) / elapsed


def mailbox_rows(runs: int, count: int) -> list[tuple[str, list[float], str, str]]:
    from tests.support.dovecot import DovecotServer

    with DovecotServer() as server:
        user = server.add_user()
        started = time.perf_counter()
        server.append_many(user, (synthetic_forward(n) for n in range(count)))
        print(f"(filled a {count}-message Dovecot mailbox in {time.perf_counter() - started:.1f} s)")
        rates: list[float] = []
        polls: list[float] = []
        cold: list[float] = []
        for _ in range(runs):
            with fresh_settings() as base:
                settings = server.settings_for(user, base, imap_batch_size=100)
                db = open_db(settings.db)
                worker = ImapWorker(settings, db)
                result = worker.run_once()
                assert result.fetched == count, result.summary()
                rates.append(count / result.duration)
                cold.append(timed(worker.run_once) * 1000)
                worker._connect()
                polls.append(statistics.median(timed(worker.poll) for _ in range(20)) * 1000)
                worker.close()
                db.close()
    return [
        (f"Dovecot mailbox: {count} messages, fetch + parse + store", rates, "msg/s", ""),
        (f"poll of the unchanged {count}-message mailbox (open connection)", polls, "ms", TARGETS["poll"]),
        ("same poll with connect + login + select + logout", cold, "ms", ""),
    ]


def peak_ratio(raw: bytes) -> float:
    """Peak traced allocation while ingest_raw takes ``raw``, divided by the message size."""
    with fresh_settings() as settings:
        db = open_db(settings.db)
        peak = traced_peak(lambda: ingest_raw(db, settings, raw, source="bench", now=NOW))
        db.close()
    return peak / len(raw)


def imap_peak_ratio(raw: bytes) -> float:
    """The same, but including the IMAP FETCH of the message from Dovecot."""
    from tests.support.dovecot import DovecotServer

    with DovecotServer() as server, fresh_settings() as base:
        user = server.add_user()
        server.append(user, raw)
        settings = server.settings_for(user, base)
        db = open_db(settings.db)
        worker = ImapWorker(settings, db)
        peak = traced_peak(worker.run_once)
        db.close()
    return peak / len(raw)


def traced_peak(action: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def repeat(runs: int, measure: Callable[[], float]) -> list[float]:
    return [measure() for _ in range(runs)]


# -- inputs --------------------------------------------------------------------------------------------------


def corpus_messages(copies: int) -> list[bytes]:
    """Every corpus case wrapped as a forward from agent@ourco.com, ``copies`` times with distinct Message-IDs."""
    cases = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))["cases"]
    raws = []
    for copy in range(copies):
        for case in cases:
            body = (CORPUS / "fixtures" / Path(case["body_file"]).name).read_text(encoding="utf-8")
            subject = None
            if case.get("subject_file"):
                subject = (CORPUS / "fixtures" / Path(case["subject_file"]).name).read_text(encoding="utf-8")
            raws.append(wrap_forward(f"{case['id']}-{copy}", body, subject))
    return raws


def wrap_forward(key: str, body: str, subject: str | None) -> bytes:
    headers = ["From: Agent Smith <agent@ourco.com>", "To: bugs@ourco.com", "Date: Mon, 02 Mar 2026 09:00:00 +0000",
               f"Message-ID: <{key}@bench.test>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
               "Content-Transfer-Encoding: base64"]
    if subject is not None:
        headers.insert(2, "Subject: " + Header(subject.strip(), "utf-8").encode())
    encoded = base64.encodebytes(body.encode("utf-8")).decode("ascii")
    return ("\r\n".join(headers) + "\r\n\r\n" + encoded).encode("ascii")


def synthetic_forward(n: int) -> bytes:
    """A plausible forwarded bug report; customers and wording vary so nothing is deduplicated."""
    domain = f"customer{n % 400}.example"
    body = (f"Hi team, customer escalation below, please take a look.\n\n"
            f"---------- Forwarded message ---------\nFrom: Dana Client <dana{n}@{domain}>\n"
            f"Date: Mon, 2 Mar 2026 at 08:{n % 60:02d}\nSubject: Export {n} fails with error {n * 7 % 1000}\n"
            f"To: <support@ourco.com>\n\nHello,\n\nSince this morning the CSV export of report {n} stops at "
            f"{n % 97} percent and shows error {n * 7 % 1000}. We need it for our board meeting.\n\n"
            + "Steps: open Reports, pick the quarter, press Export.\n" * (1 + n % 5)
            + f"\nThanks,\nDana\n{domain}\n")
    return (f"From: Agent Smith <agent@ourco.com>\r\nTo: bugs@ourco.com\r\nSubject: Fwd: Export {n} fails\r\n"
            f"Date: Mon, 02 Mar 2026 09:00:00 +0000\r\nMessage-ID: <synthetic-{n}@bench.test>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + body.replace("\n", "\r\n")).encode("utf-8")


def message_with_attachment(size: int) -> bytes:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "Agent Smith <agent@ourco.com>"
    msg["To"] = "bugs@ourco.com"
    msg["Subject"] = "Fwd: crash dump attached"
    msg["Message-ID"] = f"<dump-{os.getpid()}-{time.time_ns()}@bench.test>"
    msg.set_content("---------- Forwarded message ---------\nFrom: Dana <dana@customer.example>\n"
                    "Subject: Crash dump\n\nThe app crashed, dump attached.\n")
    msg.add_attachment(os.urandom(size), maintype="application", subtype="octet-stream", filename="dump.bin")
    return msg.as_bytes()


class fresh_settings:  # noqa: N801 - used like a function in ``with`` statements
    """Settings over a throwaway database and data folder."""

    def __enter__(self) -> Settings:
        self._tmp = tempfile.TemporaryDirectory(prefix="rotadesk-bench-")
        root = Path(self._tmp.name)
        return Settings(db=root / "bench.db", data_dir=root / "data", company_domains=("ourco.com",))

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()


def print_table(rows: list[tuple[str, list[float], str, str]], runs: int) -> None:
    width = max(len(name) for name, *_ in rows)
    print(f"{'measurement':<{width}}  {'median':>10}  {'min':>10}  {'max':>10}  unit     target   (runs={runs})")
    for name, values, unit, target in rows:
        print(f"{name:<{width}}  {statistics.median(values):>10.2f}  {min(values):>10.2f}  {max(values):>10.2f}  "
              f"{unit:<7}  {target}")
