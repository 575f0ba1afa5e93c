"""Linking benchmark: ``python -m bench link [--customers new|known|mixed] [--count N] [--runs N] [--workers N]``.

Links ``--count`` escalations through both doubles served over real HTTP, on the wall clock (``--scale`` below 1
runs HubSpot's time faster, for quick looks only), with the contract's search-index delay switched on (a record
reaches search ``--search-delay`` seconds after it was written) and HubSpot's limits: 100 requests per 10 seconds
and 5 searches per second.

``--customers new``: every escalation comes from a contact and a company Rotadesk has never seen (the contact is
not in HubSpot either). ``known``: from customers already linked once (their first escalations are linked before
the measured pass). ``mixed``: ``--count`` escalations from 200 contacts of 20 companies, from a cold start.

Reports HubSpot and Linear calls per escalation, 429s received (target 0), and the share of HubSpot's limits the
pass used: requests per second over the limit's own rate (100 / 10 s) and searches per second over 5 per second.
The table shows the median of the runs.
"""

from __future__ import annotations

import argparse
import socketserver
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import httpx

from core.health import setup_hubspot
from core.hubspot import HubSpotClient
from core.linear import LinearClient
from core.linking import DEFAULT_WORKERS, sync_pending
from core.settings import Settings
from core.store import intake as intake_store
from core.store import open_db

ROOT = Path(__file__).resolve().parents[1]
BURST, INTERVAL, SEARCHES_PER_SECOND = 100, 10.0, 5
KNOWN_CUSTOMERS = 20  # linked once before a ``known`` pass
TIERS = ("enterprise", "business", "starter", "free")


@dataclass
class Run:
    count: int
    linked: int
    hubspot_calls: int
    hubspot_searches: int
    linear_calls: int
    rate_limited: int
    seconds: float  # in HubSpot's time (the wall clock unless --scale)

    @property
    def general_share(self) -> float:
        """Requests outside search per second, over what the 10-second limit allows per second."""
        return (self.hubspot_calls - self.hubspot_searches) / self.seconds / (BURST / INTERVAL)

    @property
    def search_share(self) -> float:
        return self.hubspot_searches / self.seconds / SEARCHES_PER_SECOND


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench link", description=__doc__.splitlines()[0])
    parser.add_argument("--customers", choices=("new", "known", "mixed"), default="new",
                        help="who the escalations come from")
    parser.add_argument("--count", type=int, default=100, help="escalations to link per run")
    parser.add_argument("--runs", type=int, default=3, help="repetitions (median shown)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="wall seconds per HubSpot second (1: the real clock; 0.25: four times faster)")
    parser.add_argument("--search-delay", type=float, default=2.0,
                        help="seconds before a new record shows in HubSpot search (the contract: a few)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help="escalations linked at once (1: one after the other)")
    args = parser.parse_args(argv)
    runs = [one_run(args.count, args.scale, args.customers, args.workers, args.search_delay) for _ in range(args.runs)]
    print_table(runs, args.customers)
    return 0


def one_run(count: int, scale: float, customers: str, workers: int = DEFAULT_WORKERS,
            search_delay: float = 2.0) -> Run:
    sys.path.insert(0, str(ROOT))  # the doubles live under tests/
    from tests.doubles.hubspot import TOKEN, HubSpotDouble
    from tests.doubles.linear import API_KEY, LinearDouble

    # The doubles' servers write headers and body separately; without TCP_NODELAY each answer waits ~40 ms for a
    # delayed ACK, which would measure the local socket rather than the pipeline.
    socketserver.StreamRequestHandler.disable_nagle_algorithm = True
    start = time.monotonic()

    def clock() -> float:  # HubSpot time: the wall clock, or 1/scale times faster
        return 1000.0 + (time.monotonic() - start) / scale

    hub = HubSpotDouble(clock=clock, search_delay=search_delay, max_per_interval=BURST, interval=INTERVAL,
                        search_per_second=SEARCHES_PER_SECOND)
    lin = LinearDouble()
    limited = [0]
    inner = hub.handler

    def counting(request: httpx.Request) -> httpx.Response:
        response = inner(request)
        limited[0] += response.status_code == 429
        return response

    hub.handler = counting  # type: ignore[method-assign]
    index_associations(hub)
    hub_url, stop_hub = hub.serve()
    lin_url, stop_lin = lin.serve()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            db=Path(folder) / "bench.db",
            data_dir=Path(folder),
            hubspot_token=TOKEN,
            hubspot_base_url=hub_url,
            linear_api_key=API_KEY,
            linear_api_url=lin_url,
            linear_team="ENG",
        )
        db = open_db(settings.db)
        hubspot = HubSpotClient(TOKEN, base_url=hub_url, sleep=lambda s: time.sleep(s * scale), clock=clock)
        linear = LinearClient(API_KEY, url=lin_url)
        list(setup_hubspot(hubspot))
        if customers == "known":  # link each customer once, then measure their next escalations
            seed(db, hub, KNOWN_CUSTOMERS, KNOWN_CUSTOMERS, KNOWN_CUSTOMERS, prefix="first")
            sync_pending(db, settings, hubspot, linear, now=datetime.now(timezone.utc), workers=workers)
            seed(db, hub, count, KNOWN_CUSTOMERS, KNOWN_CUSTOMERS, in_hubspot=False)
        elif customers == "new":
            seed(db, hub, count, count, count, contacts_in_hubspot=False)
        else:
            seed(db, hub, count, 200, 20)
        hub_before, lin_before, limited[0] = len(hub.requests), len(lin.requests), 0
        began = clock()
        summary = sync_pending(db, settings, hubspot, linear, now=datetime.now(timezone.utc), workers=workers)
        seconds = clock() - began
        made = hub.requests[hub_before:]
        run = Run(
            count,
            summary.linked,
            len(made),
            sum(r.path.endswith("/search") for r in made),
            len(lin.requests) - lin_before,
            limited[0],
            seconds,
        )
        hubspot.close()
        linear.close()
        db.close()
    stop_hub()
    stop_lin()
    return run


def index_associations(hub) -> None:
    """Give the double an association index: its linear scan makes a ticket search cost O(tickets x links), which
    at a thousand tickets would measure the double instead of the pipeline."""
    index: dict[tuple[str, str, str], set[str]] = {}
    plain_link = hub.link

    def link(from_type: str, from_id: str, to_type: str, to_id: str, type_id: int) -> None:
        plain_link(from_type, from_id, to_type, to_id, type_id)
        index.setdefault((from_type, str(from_id), to_type), set()).add(str(to_id))
        index.setdefault((to_type, str(to_id), from_type), set()).add(str(from_id))

    hub.link = link
    hub.linked = lambda from_type, from_id, to_type: sorted(index.get((from_type, str(from_id), to_type), ()), key=int)


def seed(db, hub, count: int, customers: int, companies: int, *, prefix: str = "bench", in_hubspot: bool = True,
         contacts_in_hubspot: bool = True) -> None:
    """``count`` escalations from ``customers`` contacts over ``companies`` companies (each with a tier); the
    companies, and with ``contacts_in_hubspot`` the contacts, are put in HubSpot unless ``in_hubspot`` is off
    (they are there already)."""
    if in_hubspot:
        for c in range(companies):
            hub.add_company(f"customer{c}.example.com", f"Customer {c}", tier=TIERS[c % 4], revenue=100_000 * (c + 1))
        if contacts_in_hubspot:
            for p in range(customers):
                hub.add_contact(f"person{p}@customer{p % companies}.example.com", f"Person{p}", "Example")
    stamp = "2026-03-02T09:00:00+00:00"
    for n in range(count):
        p = n % customers
        row = {
            "message_id": f"<{prefix}{n}@example.com>",
            "customer_name": f"Person{p} Example",
            "customer_domain": f"customer{p % companies}.example.com",
            "customer_address": f"person{p}@customer{p % companies}.example.com",
            "subject": f"Bug {n}",
            "body": f"Steps to reproduce bug {n}.",
            "received_at": stamp,
            "attachments": [],
            "status": "open",
            "forwarded": 1,
            "forwarded_by_address": "agent@ourco.com",
        }
        intake_store.create_escalation(db, row, [row["message_id"]])


def print_table(runs: list[Run], customers: str) -> None:
    def med(values: list[float]) -> float:
        return statistics.median(values)

    budget = {"new": "<= 5", "known": "<= 4", "mixed": ""}[customers]
    rows = [
        ("escalations linked", med([r.linked for r in runs]), "", f"{runs[0].count}"),
        ("HubSpot calls per escalation", med([r.hubspot_calls / r.linked for r in runs]), "", budget),
        ("  of which searches", med([r.hubspot_searches / r.linked for r in runs]), "", ""),
        ("Linear calls per escalation", med([r.linear_calls / r.linked for r in runs]), "", ""),
        ("429s received", med([r.rate_limited for r in runs]), "", "0"),
        ("seconds for the pass", med([r.seconds for r in runs]), "HubSpot s", ""),
        ("throughput", med([r.linked / r.seconds for r in runs]), "esc/HubSpot-s", ""),
        ("share of the 100/10 s limit", med([100 * r.general_share for r in runs]), "%", ""),
        ("share of the 5/s search limit", med([100 * r.search_share for r in runs]), "%", ""),
    ]
    print(f"customers: {customers}")
    print(f"{'measure':34} {'median':>10}  {'unit':14} target   (runs: {len(runs)})")
    for name, value, unit, target in rows:
        print(f"{name:34} {value:10.2f}  {unit:14} {target}")
