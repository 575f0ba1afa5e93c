"""Kill the linking process at every step boundary and in the middle of requests; a rerun still makes one of each.

Each case runs the pipeline as a real subprocess against both doubles served over HTTP (all cases at once, each with
its own database and customer). Step boundaries are reached through ``sync_pending``'s ``checkpoint`` seam (the child
exits hard there); mid-request kills come from the server side: the double carries out the request, then the test
SIGKILLs the child before it can read the answer. Each case is then rerun in this process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from core import context as cx
from core import health, linking
from core.hubspot import HubSpotClient
from core.linear import LinearClient
from core.settings import Settings
from core.store import intake as intake_store
from core.store import links as store
from core.store import open_db
from tests.doubles.hubspot import TOKEN, HubSpotDouble
from tests.doubles.linear import API_KEY, LinearDouble
from tests.support.clock import APP_NOW

ROOT = Path(__file__).resolve().parents[2]
CRASHED = 86
STEPS = [name for name, _, _ in linking.STEPS if name != "linear_comment" and name not in linking.MERGE_STEPS]
BOUNDARIES = [f"{step}:{phase}" for step in STEPS for phase in ("before", "after")]
# (what the request is, how to recognise it) -- the double carries it out, then the child dies before the answer.
IN_FLIGHT: dict[str, Callable[[str, str, bytes], bool]] = {
    "contact upsert": lambda m, p, b: m == "POST" and p.endswith("/contacts/batch/upsert"),
    "issueCreate": lambda m, p, b: b"mutation IssueCreate" in b,
    "ticket create": lambda m, p, b: m == "POST" and p.endswith("/objects/tickets"),
    "attachmentCreate": lambda m, p, b: b"mutation AttachmentCreate" in b,
    "customerUpsert": lambda m, p, b: b"mutation CustomerUpsert" in b,
    "customerNeedCreate": lambda m, p, b: b"mutation CustomerNeedCreate" in b,
    "email log": lambda m, p, b: m == "POST" and p.endswith("/objects/emails"),
    "note": lambda m, p, b: m == "POST" and p.endswith("/objects/notes"),
}


@dataclass
class Case:
    """One child run: its own database and customer, and where it dies."""

    key: str
    folder: Path
    crash_at: str = ""  # "step:before|after"
    in_flight: str = ""  # a name from IN_FLIGHT
    pid: int | None = None
    returncode: int | None = None
    stderr: str = ""
    summary: linking.SyncSummary | None = None

    @property
    def message_id(self) -> str:
        return f"<{self.key}@{self.domain}>"

    @property
    def domain(self) -> str:
        return f"{self.key}.example.com"

    @property
    def tokens(self) -> tuple[str, ...]:
        """Strings only this case's requests carry: the customer's address and domain, its issue id and refs."""
        return (f"jane@{self.domain}", self.domain, linking.issue_id_for(self.message_id), cx.ref_for(self.message_id),
                self.message_id)


class Served:
    """Both doubles on localhost (limits raised: this is about crashes), and one database per case."""

    def __init__(self, root: Path) -> None:
        self.hub = HubSpotDouble(search_delay=0.0, max_per_interval=100_000, search_per_second=100_000)
        self.lin = LinearDouble()
        self.hub_url, self._stop_hub = self.hub.serve()
        self.lin_url, self._stop_lin = self.lin.serve()
        self.root = root
        self.cases: list[Case] = []
        self._lock = threading.Lock()
        for double in (self.hub, self.lin):
            double.handler = self._killing(type(double).handler.__get__(double))
        settings = self.settings_for(root)
        with HubSpotClient.from_settings(settings) as client:
            list(health.setup_hubspot(client))

    def env_for(self, folder: Path) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "ROTADESK_DB": str(folder / "t.db"),
            "ROTADESK_DATA_DIR": str(folder / "data"),
            "ROTADESK_HUBSPOT_TOKEN": TOKEN,
            "ROTADESK_HUBSPOT_BASE_URL": self.hub_url,
            "ROTADESK_LINEAR_API_KEY": API_KEY,
            "ROTADESK_LINEAR_API_URL": self.lin_url,
            "ROTADESK_LINEAR_TEAM": "ENG",
        }

    def settings_for(self, folder: Path) -> Settings:
        return Settings.from_env(self.env_for(folder), env_file=None)

    def add(self, key: str, **where: str) -> Case:
        case = Case(key, self.root / key, **where)
        self.hub.add_company(case.domain, f"Company {key}", tier="enterprise", revenue=1_000_000)
        self.hub.add_contact(f"jane@{case.domain}", "Jane", "Doe")
        db = open_db(self.settings_for(case.folder).db)
        row = {
            "message_id": case.message_id,
            "customer_name": "Jane Doe",
            "customer_address": f"jane@{case.domain}",
            "customer_domain": case.domain,
            "subject": "Export fails",
            "body": "It fails.",
            "received_at": "2026-03-02T09:00:00+00:00",
            "attachments": [],
            "status": "open",
        }
        intake_store.create_escalation(db, row, [row["message_id"]])
        db.close()
        self.cases.append(case)
        return case

    def _killing(self, inner: Callable[[httpx.Request], httpx.Response]) -> Callable[[httpx.Request], httpx.Response]:
        """The double's handler, which SIGKILLs a case's child after carrying out the request it was told to die in."""

        def handler(request: httpx.Request) -> httpx.Response:
            response = inner(request)
            body = request.content.decode("utf-8", "replace")
            with self._lock:
                for case in self.cases:
                    if (
                        case.in_flight
                        and case.pid
                        and IN_FLIGHT[case.in_flight](request.method, request.url.path, request.content)
                        and any(t in body for t in case.tokens)
                    ):
                        os.kill(case.pid, signal.SIGKILL)
                        case.pid = None
                        raise httpx.ReadTimeout("the client is gone", request=request)
            return response

        return handler

    def run_children(self) -> None:
        """Start every case's child at once, wait for all, then rerun each case in this process."""
        children = []
        for case in self.cases:
            child = subprocess.Popen([sys.executable, "-c", CHILD, case.crash_at], cwd=ROOT,
                                     env=self.env_for(case.folder), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            case.pid = child.pid
            children.append(child)
        for case, child in zip(self.cases, children):
            case.stderr = child.communicate(timeout=120)[1].decode()
            case.returncode = child.returncode
        for case in self.cases:
            settings = self.settings_for(case.folder)
            db = open_db(settings.db)
            with HubSpotClient.from_settings(settings) as hubspot, LinearClient.from_settings(settings) as linear:
                case.summary = linking.sync_pending(db, settings, hubspot, linear, now=APP_NOW)
            db.close()

    def assert_exactly_one_of_each(self, case: Case) -> None:
        tickets = [
            r
            for r in self.hub.records["tickets"].values()
            if r["properties"].get("rotadesk_message_id") == case.message_id
        ]
        assert len(tickets) == 1
        issue_id = linking.issue_id_for(case.message_id)
        assert (
            issue_id in self.lin.issues
            and sum(1 for i in self.lin.issues.values() if i["title"].startswith(f"Company {case.key}:")) == 1
        )
        assert len([a for a in self.lin.attachments.values() if a["issueId"] == issue_id]) == 1
        ticket_id = tickets[0]["id"]
        assert len(self.hub.linked("tickets", ticket_id, "emails")) == 1
        assert len(self.hub.linked("tickets", ticket_id, "notes")) == 1
        assert len([n for n in self.lin.needs.values() if n["issueId"] == issue_id]) == 1
        assert len([c for c in self.lin.customers.values() if case.domain in c["domains"]]) == 1
        assert [r["properties"]["email"] for r in self.hub.records["contacts"].values()].count(
            f"jane@{case.domain}"
        ) == 1
        db = open_db(self.settings_for(case.folder).db)
        assert store.journal(db, 1)["done"].status == "done"
        db.close()

    def close(self) -> None:
        self._stop_hub()
        self._stop_lin()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    s = Served(tmp_path_factory.mktemp("crash"))
    for n, boundary in enumerate(BOUNDARIES):
        s.add(f"b{n:02d}", crash_at=boundary)
    for n, name in enumerate(sorted(IN_FLIGHT)):
        s.add(f"f{n:02d}", in_flight=name)
    s.add("clean")
    s.run_children()
    yield {c.crash_at or c.in_flight or c.key: c for c in s.cases}, s
    s.close()


@pytest.mark.parametrize("crash_at", BOUNDARIES)
def test_a_crash_at_a_step_boundary_loses_and_doubles_nothing(served, crash_at: str) -> None:
    cases, s = served
    case = cases[crash_at]
    assert case.returncode == CRASHED, case.stderr
    assert case.summary is not None and case.summary.failed == 0, case.summary.errors
    s.assert_exactly_one_of_each(case)


@pytest.mark.parametrize("request_name", sorted(IN_FLIGHT))
def test_a_kill_in_the_middle_of_a_request_loses_and_doubles_nothing(served, request_name: str) -> None:
    cases, s = served
    case = cases[request_name]
    assert case.returncode == -signal.SIGKILL, case.stderr
    assert case.summary is not None and case.summary.failed == 0, case.summary.errors
    s.assert_exactly_one_of_each(case)


def test_an_uninterrupted_child_links_everything(served) -> None:
    cases, s = served
    case = cases["clean"]
    assert case.returncode == 0, case.stderr
    assert case.summary is not None and not case.summary  # the rerun found nothing left to do
    s.assert_exactly_one_of_each(case)


# The child: the pipeline as the worker runs it, exiting hard at argv[1] (``step:before|after``). It is kept apart
# from this module so the child imports neither pytest nor the doubles; pandas is not needed and takes longest to load.
CHILD = """
import os, sys
from datetime import datetime
sys.modules.update(pandas=None, numpy=None)
from core import linking
from core.hubspot import HubSpotClient
from core.linear import LinearClient
from core.settings import Settings
from core.store import open_db

target = tuple(sys.argv[1].split(":")) if len(sys.argv) > 1 and sys.argv[1] else None

def checkpoint(step, phase):
    if (step, phase) == target:
        os._exit(%d)

settings = Settings.from_env(env_file=None)
db = open_db(settings.db)
with HubSpotClient.from_settings(settings) as hubspot, LinearClient.from_settings(settings) as linear:
    linking.sync_pending(db, settings, hubspot, linear, now=datetime.fromisoformat(%r), checkpoint=checkpoint)
""" % (CRASHED, APP_NOW.isoformat())
