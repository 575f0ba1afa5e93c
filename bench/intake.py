"""Intake benchmark: ``python -m bench intake [--runs N] [--mix N] [--messages N] [--attachment-mb N]``.

Measures, each over ``--runs`` fresh databases (the table shows the median, min and max):

* the whole process, ``python -m ingest import DIR``, over a realistic mix (bench/mail_mix.py: the test corpora
  and generated multipart mail with HTML, attachments, forwards and thread replies), against bare mail-parser
  parsing the same files in a process of its own (bench/bare_mailparser.py), run in turn, with the ratio of
  each pair;
* a one-message import as a user runs it: wall time and peak resident memory, measured from outside;
* peak resident memory taking in one message with a large attachment, over the 4 KB-message baseline, as a
  multiple of the message's size: through ``import`` and through ``run --once`` against a real Dovecot;
* messages/second through fetch + parse + store for a synthetic mailbox read from Dovecot, and one poll of it
  once nothing is new, on the open connection and as a whole connect-login-poll.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from bench.mail_mix import COMPANY_DOMAINS, write_mix
from bench.process import run as run_process
from core.settings import Settings
from core.store import open_db
from ingest.imap import ImapWorker

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
TARGETS = {"poll": "< 100 ms", "memory": "< 3x message", "ratio": ">= 0.4", "start": "< 0.4 s", "rss": "< 40 MiB"}


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench intake", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions of each measurement (median shown)")
    parser.add_argument("--messages", type=int, default=10_000, help="size of the synthetic Dovecot mailbox")
    parser.add_argument("--mix", type=int, default=2000, help="messages in the realistic mix")
    parser.add_argument("--attachment-mb", type=float, default=25.0, help="attachment size for the memory test")
    parser.add_argument("--skip-dovecot", action="store_true", help="leave out the measurements that need Dovecot")
    args = parser.parse_args(argv)

    rows: list[tuple[str, list[float], str, str]] = []
    with tempfile.TemporaryDirectory(prefix="rotadesk-bench-mix-") as folder:
        mix = Path(folder) / "mix"
        kinds = write_mix(mix, args.mix)
        size = sum(p.stat().st_size for p in mix.glob("*.eml"))
        print(f"(mix: {args.mix} messages, {size / 1048576:.0f} MB: "
              + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) + ")", flush=True)
        rows.extend(mix_rows(mix, args.mix, args.runs))
        rows.extend(statement_rows(mix))
    rows.extend(start_up_rows(args.runs))
    raw = message_with_attachment(int(args.attachment_mb * 1024 * 1024))
    mb = len(raw) / 1048576
    rows.append((f"peak RSS over baseline, one {mb:.0f} MB message (import)",
                 repeat(args.runs, lambda: import_memory_ratio(raw)), "x size", TARGETS["memory"]))
    if not args.skip_dovecot:
        rows.append((f"peak RSS over baseline, one {mb:.0f} MB message (IMAP run --once)",
                     repeat(args.runs, lambda: imap_memory_ratio(raw)), "x size", TARGETS["memory"]))
        rows.extend(mailbox_rows(args.runs, args.messages))
    print_table(rows, args.runs)
    return 0


# -- measurements --------------------------------------------------------------------------------------------

PYTHON = sys.executable


def ingest_env(root: Path, **extra: str) -> dict[str, str]:
    return {"ROTADESK_DB": str(root / "bench.db"), "ROTADESK_DATA_DIR": str(root / "data"),
            "ROTADESK_COMPANY_DOMAINS": COMPANY_DOMAINS, "ROTADESK_LOG_LEVEL": "WARNING", **extra}


def mix_rows(mix: Path, count: int, runs: int) -> list[tuple[str, list[float], str, str]]:
    """The whole import process and bare mail-parser over the same files, in turn, ``runs`` pairs."""
    ours, bare, ratios = [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="rotadesk-bench-") as root:
            a = run_process([PYTHON, "-m", "ingest", "import", str(mix)], ingest_env(Path(root)))
        b = run_process([PYTHON, "-m", "bench.bare_mailparser", str(mix)])
        assert f"{count} parsed" in b.output, b.output
        ours.append(count / a.seconds)
        bare.append(count / b.seconds)
        ratios.append(b.seconds / a.seconds)
        print(f"(import {a.seconds:.1f} s, bare mail-parser {b.seconds:.1f} s, ratio {ratios[-1]:.2f})", flush=True)
    return [
        (f"mix: {count} messages, python -m ingest import (whole process)", ours, "msg/s", ""),
        (f"mix: {count} messages, bare mail-parser (whole process)", bare, "msg/s", ""),
        ("mix: import speed / mail-parser speed, pair by pair", ratios, "ratio", TARGETS["ratio"]),
    ]


def statement_rows(mix: Path) -> list[tuple[str, list[float], str, str]]:
    """SQL statements the intake sends per message of the mix, read from SQLite's trace (one run: they are
    counted, not timed). SQLite's own statements inside FTS5 (traced as ``-- ...``) are left out."""
    from ingest.pipeline import ingest_raw

    paths = sorted(mix.glob("*.eml"))
    with fresh_settings() as settings:
        settings = replace(settings, company_domains=tuple(COMPANY_DOMAINS.split(",")))
        db = open_db(settings.db)
        traced: list[str] = []
        db.conn.set_trace_callback(traced.append)
        for path in paths:
            ingest_raw(db, settings, path.read_bytes(), source="bench", now=NOW)
        db.close()
    sent = [q.lstrip().lower() for q in traced if not q.lstrip().startswith("--")]
    schema = sum(q.startswith("pragma") or "sqlite_master" in q for q in sent)
    transactions = sum(q.startswith("begin") for q in sent)
    n = len(paths)
    return [("SQL statements per message (mix, traced)", [len(sent) / n], "stmts", ""),
            ("  of which schema look-ups", [schema / n], "stmts", "0"),
            ("  transactions per message", [transactions / n], "txns", "")]


def start_up_rows(runs: int) -> list[tuple[str, list[float], str, str]]:
    """A one-message import as a cron job or a person runs it, into a database made before (untimed), and the
    first one ever, which also creates the schema."""
    seconds, rss, first = [], [], []
    with tempfile.TemporaryDirectory(prefix="rotadesk-bench-") as root:
        small = Path(root) / "small.eml"
        small.write_bytes(small_message())
        for n in range(runs):
            with tempfile.TemporaryDirectory(prefix="rotadesk-bench-") as db_root:
                first.append(run_process([PYTHON, "-m", "ingest", "import", str(small)],
                                         ingest_env(Path(db_root))).seconds)
            with tempfile.TemporaryDirectory(prefix="rotadesk-bench-") as db_root:
                open_db(Path(db_root) / "bench.db").close()
                one = run_process([PYTHON, "-m", "ingest", "import", str(small)], ingest_env(Path(db_root)))
            seconds.append(one.seconds)
            rss.append(one.peak_rss_mib)
    return [("one-message import (4 KB), existing database, whole process", seconds, "s", TARGETS["start"]),
            ("one-message import (4 KB), existing database, peak RSS", rss, "MiB", TARGETS["rss"]),
            ("one-message import (4 KB), new database (schema created), whole process", first, "s", "")]


def import_memory_ratio(raw: bytes) -> float:
    """(peak RSS importing ``raw`` - peak RSS importing a 4 KB message) / size of ``raw``; both whole processes."""
    with tempfile.TemporaryDirectory(prefix="rotadesk-bench-") as root:
        big, small = Path(root) / "big.eml", Path(root) / "small.eml"
        big.write_bytes(raw)
        small.write_bytes(small_message())
        peaks = []
        for path in (small, big):
            with tempfile.TemporaryDirectory(prefix="rotadesk-bench-") as db_root:
                peaks.append(run_process([PYTHON, "-m", "ingest", "import", str(path)],
                                         ingest_env(Path(db_root))).peak_rss_mib)
    return (peaks[1] - peaks[0]) * 1048576 / len(raw)


def imap_memory_ratio(raw: bytes) -> float:
    """The same through ``python -m ingest run --once`` reading the message from Dovecot."""
    from tests.support.dovecot import DovecotServer

    peaks = []
    with DovecotServer() as server:
        for message in (small_message(), raw):
            user = server.add_user()
            server.append(user, message)
            with tempfile.TemporaryDirectory(prefix="rotadesk-bench-") as root:
                env = ingest_env(Path(root), ROTADESK_IMAP_HOST=server.host, ROTADESK_IMAP_PORT=str(server.port),
                                 ROTADESK_IMAP_USER=user.name, ROTADESK_IMAP_PASSWORD=user.password,
                                 ROTADESK_IMAP_SSL="false")
                peaks.append(run_process([PYTHON, "-m", "ingest", "run", "--once"], env).peak_rss_mib)
    return (peaks[1] - peaks[0]) * 1048576 / len(raw)


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


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def repeat(runs: int, measure: Callable[[], float]) -> list[float]:
    return [measure() for _ in range(runs)]


# -- inputs --------------------------------------------------------------------------------------------------


def small_message() -> bytes:
    """A 4 KB forward: the baseline a big message's memory is measured over."""
    body = ("---------- Forwarded message ---------\nFrom: Dana <dana@customer.example>\nSubject: Export fails\n\n"
            + "The export stops at forty percent and shows an error. " * 70)
    raw = (f"From: Agent Smith <agent@ourco.com>\r\nTo: bugs@ourco.com\r\nSubject: Fwd: Export fails\r\n"
           f"Message-ID: <small-{os.getpid()}-{time.time_ns()}@bench.test>\r\nMIME-Version: 1.0\r\n"
           f"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.replace("\n", "\r\n")).encode()
    return raw[:4096]


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
