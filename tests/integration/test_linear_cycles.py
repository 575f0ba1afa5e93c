"""The team's Linear cycles read into the store for the per-cycle planning view (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from core.cycles_sync import sync_cycles
from core.linear import LinearClient
from core.store import cycles as store
from tests.doubles.hubspot import FakeClock
from tests.doubles.linear import API_KEY, LinearDouble

NOW = datetime(2026, 11, 25, 10, tzinfo=timezone.utc)


@pytest.fixture
def double() -> LinearDouble:
    return LinearDouble(clock=FakeClock(start=NOW.timestamp()))


@pytest.fixture
def client(double: LinearDouble) -> Iterator[LinearClient]:
    with LinearClient(API_KEY, transport=httpx.MockTransport(double.handler)) as c:
        yield c


def test_a_team_without_cycles_reads_as_none(client: LinearClient) -> None:
    assert client.cycles(client.team_by_key("ENG").id, NOW - timedelta(weeks=14)) is None


def test_the_quarters_cycles_are_stored_hourly_and_forgotten_when_switched_off(db, settings, client,
                                                                               double) -> None:
    settings = replace(settings, linear_team="ENG")
    starts = [NOW - timedelta(weeks=w) for w in (20, 12, 10, 8, 6, 4, 2, 0)]
    for start in starts:
        double.add_cycle(start, start + timedelta(weeks=2))
    double.add_cycle(NOW, NOW + timedelta(weeks=2), team_key=double.add_team("OPS", "Ops")["key"])  # another team
    assert sync_cycles(db, settings, client, NOW) == "7 cycles of ENG"  # the one ended 18 weeks ago is left out
    stored = store.cycles(db)
    assert [c["number"] for c in stored] == [2, 3, 4, 5, 6, 7, 8]
    assert stored[0]["starts_at"] == (NOW - timedelta(weeks=12)).isoformat(timespec="seconds")
    calls = client.calls
    assert sync_cycles(db, settings, client, NOW + timedelta(minutes=30)) == "" and client.calls == calls
    double.team("ENG")["cyclesEnabled"] = False
    sync_cycles(db, settings, client, NOW + timedelta(hours=2))
    assert store.cycles(db) == []
