"""Linking benchmark: ``python -m bench link [--count N] [--runs N] [--scale S] [--customers N] [--workers N]``.

Links ``--count`` escalations through both doubles served over real HTTP. HubSpot's limits (100 requests per
10 seconds, 5 searches per second) are scaled down in time: the double and the HubSpot client share a clock that
runs ``1/scale`` times faster than the wall clock, so the client's pacing and the double's windows agree.
Reports HubSpot and Linear calls per escalation, 429s received (target 0), and throughput as a fraction of what
HubSpot's limits allow for the calls an escalation needs (target >= 90%). The table shows the median of the runs.
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
TARGETS = {"429s": "0", "fraction": ">= 90%"}


@dataclass
class Run:
    count: int
    linked: int
    hubspot_calls: int
    hubspot_searches: int
    linear_calls: int
    rate_limited: int
    seconds: float  # in HubSpot's (scaled) time

    @property
    def throughput(self) -> float:
        return self.linked / self.seconds

    @property
    def allowed(self) -> float:
        """Escalations per second HubSpot's two limits allow for the calls each escalation made."""
        general = (self.hubspot_calls - self.hubspot_searches) / self.linked
        search = self.hubspot_searches / self.linked
        caps = [
            BURST / INTERVAL / general if general else float("inf"),
            SEARCHES_PER_SECOND / search if search else float("inf"),
        ]
        return min(caps)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench link", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="escalations to link per run")
    parser.add_argument("--runs", type=int, default=3, help="repetitions (median shown)")
    parser.add_argument(
        "--scale", type=float, default=0.25, help="wall seconds per HubSpot second (0.25: four times faster)"
    )
    parser.add_argument(
        "--customers", type=int, default=200, help="distinct customer contacts the escalations come from"
    )
    parser.add_argument(
        "--workers", type=int, default=DEFAULT_WORKERS, help="escalations linked at once (1: one after the other)"
    )
    args = parser.parse_args(argv)
    runs = [one_run(args.count, args.scale, args.customers, args.workers) for _ in range(args.runs)]
    print_table(runs)
    return 0


def one_run(count: int, scale: float, customers: int, workers: int = DEFAULT_WORKERS) -> Run:
    sys.path.insert(0, str(ROOT))  # the doubles live under tests/
    from tests.doubles.hubspot import TOKEN, HubSpotDouble
    from tests.doubles.linear import API_KEY, LinearDouble

    # The doubles' servers write headers and body separately; without TCP_NODELAY each answer waits ~40 ms for a
    # delayed ACK, which would measure the local socket rather than the pipeline.
    socketserver.StreamRequestHandler.disable_nagle_algorithm = True
    start = time.monotonic()

    def clock() -> float:  # HubSpot time: runs 1/scale times faster than the wall clock
        return 1000.0 + (time.monotonic() - start) / scale

    hub = HubSpotDouble(
        clock=clock, search_delay=0.0, max_per_interval=BURST, interval=INTERVAL, search_per_second=SEARCHES_PER_SECOND
    )
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
        seed(db, hub, count, customers)
        hubspot = HubSpotClient(TOKEN, base_url=hub_url, sleep=lambda s: time.sleep(s * scale), clock=clock)
        linear = LinearClient(API_KEY, url=lin_url)
        list(setup_hubspot(hubspot))
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


def seed(db, hub, count: int, customers: int) -> None:
    """``customers`` contacts over a tenth as many companies, each with a tier; ``count`` escalations among them."""
    tiers = ("enterprise", "business", "starter", "free")
    companies = max(1, customers // 10)
    for c in range(companies):
        hub.add_company(f"customer{c}.example.com", f"Customer {c}", tier=tiers[c % 4], revenue=100_000 * (c + 1))
    for p in range(customers):
        hub.add_contact(f"person{p}@customer{p % companies}.example.com", f"Person{p}", "Example")
    stamp = "2026-03-02T09:00:00+00:00"
    for n in range(count):
        p = n % customers
        row = {
            "message_id": f"<bench{n}@example.com>",
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


def print_table(runs: list[Run]) -> None:
    def med(values: list[float]) -> float:
        return statistics.median(values)

    rows = [
        ("escalations linked", med([r.linked for r in runs]), "", ""),
        ("HubSpot calls per escalation", med([r.hubspot_calls / r.linked for r in runs]), "", "<= 5"),
        ("  of which searches", med([r.hubspot_searches / r.linked for r in runs]), "", ""),
        ("Linear calls per escalation", med([r.linear_calls / r.linked for r in runs]), "", "<= 4 warm"),
        ("429s received", med([r.rate_limited for r in runs]), "", TARGETS["429s"]),
        ("throughput", med([r.throughput for r in runs]), "esc/HubSpot-s", ""),
        ("allowed by HubSpot's limits", med([r.allowed for r in runs]), "esc/HubSpot-s", ""),
        ("throughput / allowed", med([100 * r.throughput / r.allowed for r in runs]), "%", TARGETS["fraction"]),
    ]
    print(f"{'measure':34} {'median':>10}  {'unit':14} target   (runs: {len(runs)})")
    for name, value, unit, target in rows:
        print(f"{name:34} {value:10.2f}  {unit:14} {target}")
