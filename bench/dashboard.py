"""Dashboard benchmark: ``python -m bench dashboard [--sizes 1000,10000,100000] [--runs N] [--pages a,b]``.

Builds one database per size (escalations spread over two years, about 6% of them open, ten follow-ups each, so
a million at 100,000; links, staged replies, inbound messages, a quarantine, customers, a team and its rotation),
then renders every page under
Streamlit's AppTest: one warm-up render, then ``--runs`` timed renders. The table shows the median render time per
page and size, and the ratio of the largest size to the smallest (target: at most 3x, under 1 s at 100,000).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from core.store import iso, open_db

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))
TIERS = ("enterprise", "business", "starter", "free", None)
FOLLOWUPS_PER_ESCALATION = 10


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="escalation counts, comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="timed renders per page and size (median shown)")
    parser.add_argument("--pages", default=",".join(PAGES), help="page files to render, comma-separated")
    parser.add_argument("--keep", type=Path, help="build the databases in this folder and keep them for reuse")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    pages = args.pages.split(",")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="rotadesk-bench-dashboard-"))
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    results: dict[tuple[str, int], list[float]] = {}
    for size in sizes:
        path = folder / f"dashboard-{size}.db"
        if not path.exists():
            started = time.perf_counter()
            seed(path, size, now)
            print(f"(built {size} escalations, {size * FOLLOWUPS_PER_ESCALATION} follow-ups in "
                  f"{time.perf_counter() - started:.1f} s)", flush=True)
        for page in pages:
            results[(page, size)] = render_times(path, folder, page, args.runs)
    print_table(results, pages, sizes, args.runs)
    return 0


def render_times(db_path: Path, folder: Path, page: str, runs: int) -> list[float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ.update(ROTADESK_DB=str(db_path), ROTADESK_DATA_DIR=str(folder / "data"))
    st.cache_data.clear()
    st.cache_resource.clear()
    times = []
    for n in range(runs + 1):
        at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=300)
        started = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - started
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].message}")
        if n:  # the first render opens the database and imports the page's modules
            times.append(elapsed)
    return times


def seed(path: Path, size: int, now: datetime, seed_value: int = 16) -> None:
    rng = random.Random(seed_value)
    db = open_db(path)
    span = timedelta(days=730)
    with db.atomic():
        db.conn.executemany("insert into customers (domain, company, tier, revenue) values (?, ?, ?, ?)",
                            [(f"customer{c}.example", f"Customer {c}", TIERS[c % 4], 10_000 * (c + 1))
                             for c in range(400)])
        db.conn.executemany("insert into engineers (email, name, active, start_date) values (?, ?, 1, ?)",
                            [(f"eng{i}@ourco.com", f"Engineer {i}", "2024-01-01") for i in range(6)])
        week = now.date() - timedelta(days=now.weekday())
        db.conn.executemany("insert into rotation_weeks (week_start, engineer_email, published) values (?, ?, 1)",
                            [((week + timedelta(weeks=w)).isoformat(), f"eng{w % 6}@ourco.com")
                             for w in range(-26, 13)])
        escalations, links, followups, replies = [], [], [], []
        for n in range(1, size + 1):
            received = now - span * rng.random()
            age = now - received
            c = rng.randrange(400)
            # Half of the last two weeks' escalations are open, one in twenty older ones: about 6% of all.
            status = "open" if rng.random() < (0.5 if age < timedelta(days=14) else 0.05) else \
                rng.choice(("done", "done", "done", "wont_fix"))
            last_hours = FOLLOWUPS_PER_ESCALATION * 6
            # Most close after the customer's last follow-up; one in 200 hears from the customer again after.
            closed_after = rng.randint(2, last_hours - 1) if rng.random() < 0.005 else \
                last_hours + rng.randint(2, 400)
            closed = None if status == "open" else iso(received + timedelta(hours=closed_after))
            last = iso(received + timedelta(hours=last_hours))
            escalations.append((n, f"<seed{n}@customer{c}.example>", f"Person {n}", f"person{n}@customer{c}.example",
                                f"customer{c}.example", f"Customer {c}", TIERS[c % 5],
                                f"Export {n} fails with error {n % 997}",
                                f"Since this morning the export of report {n} stops at {n % 97} percent. " * 4,
                                1, "Agent Smith", "agent@ourco.com", iso(received), status, closed,
                                closed or iso(received), last))
            if rng.random() < 0.7:
                links.append((n, f"https://app.hubspot.com/contacts/1/ticket/{n}", f"ENG-{n}",
                              f"https://linear.app/acme/issue/ENG-{n}", "Done" if closed else "Triage"))
            for f in range(FOLLOWUPS_PER_ESCALATION):
                followups.append((f"<f{n}.{f}@customer{c}.example>", n, f"person{n}@customer{c}.example",
                                  "Any news on this one?", iso(received + timedelta(hours=6 * (f + 1)))))
            if closed:
                done = received + timedelta(hours=rng.randint(2, 300))
                replies.append((f"issue{n}:ticket{n}:{iso(done)}", n, f"issue{n}", "fixed", iso(done),
                                iso(done + timedelta(minutes=rng.randint(1, 60))),
                                iso(done + timedelta(hours=rng.randint(1, 48))), "sent"))
        db.conn.executemany(
            "insert into escalations (id, message_id, customer_name, customer_address, customer_domain, company, "
            "tier, subject, body, forwarded, forwarded_by_name, forwarded_by_address, received_at, status, "
            "closed_at, updated_at, last_followup_at) values (" + ", ".join("?" * 17) + ")", escalations)
        db.conn.executemany("insert into links (escalation_id, hubspot_ticket_url, linear_identifier, linear_url, "
                            "linear_state) values (?, ?, ?, ?, ?)", links)
        db.conn.executemany("insert into followups (message_id, escalation_id, sender, body, received_at) "
                            "values (?, ?, ?, ?, ?)", followups)
        db.conn.executemany("insert into staged_replies (key, escalation_id, linear_issue_id, outcome, done_at, "
                            "staged_at, sent_at, status) values (?, ?, ?, ?, ?, ?, ?, ?)", replies)
        db.conn.executemany("insert into thread_keys (message_id, escalation_id) values (?, ?)",
                            [(e[1], e[0]) for e in escalations])
        db.conn.executemany(
            "insert into inbound_messages (message_id, source, sha256, size, received_at, status, escalation_id, "
            "updated_at) values (?, 'imap', ?, 4096, ?, 'escalation', ?, ?)",
            [(e[1], f"{e[0]:064x}", e[12], e[0], e[12]) for e in escalations])
        db.conn.executemany(
            "insert into inbound_messages (message_id, source, sha256, size, received_at, status, reason, updated_at) "
            "values (?, 'imap', ?, 2048, ?, ?, ?, ?)",
            [(f"<other{n}@x.example>", f"{size + n:064x}", iso(now - timedelta(hours=n)), status, reason,
              iso(now - timedelta(hours=n)))
             for n in range(max(20, size // 50))
             for status, reason in [(("ignored", "auto-reply"), ("quarantined", "unknown sender"))[n % 2]]])
        db.conn.executemany(
            "insert into quarantine (message_id, reason, sender, subject, received_at, status) "
            "values (?, 'unknown sender', 'someone@else.example', 'Hello', ?, ?)",
            [(f"<other{n}@x.example>", iso(now - timedelta(hours=n)), "pending" if n < 40 else "discarded")
             for n in range(1, max(20, size // 50), 2)])
    db.close()


def print_table(results: dict[tuple[str, int], list[float]], pages: list[str], sizes: list[int], runs: int) -> None:
    head = "".join(f"{size:>12,}" for size in sizes)
    print(f"{'page (median ms)':<18}{head}  {'ratio':>7}   (runs={runs}; ratio = largest / smallest size)")
    for page in pages:
        medians = [statistics.median(results[(page, size)]) * 1000 for size in sizes]
        cells = "".join(f"{m:>12.0f}" for m in medians)
        print(f"{page:<18}{cells}  {medians[-1] / medians[0]:>6.1f}x")
