"""AppTest fixtures: each page runs against its own temporary database with Streamlit's caches cleared."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st
from sqlite_utils import Database

from core.store import intake as store
from core.store import iso, open_db
from tests.support.clock import APP_NOW, clock_at

ROOT = Path(__file__).resolve().parents[2]
CONFIG_VARS = ("ROTADESK_HUBSPOT_TOKEN", "ROTADESK_LINEAR_API_KEY", "ROTADESK_TEAM_TIMEZONE", "ROTADESK_WEEK_START")


@dataclass
class AppEnv:
    db: Database
    path: Path

    def escalation(self, n: int, *, age: timedelta = timedelta(hours=2), **extra) -> int:
        """Store an escalation received ``age`` ago; ``extra`` overrides any column."""
        row = {
            "message_id": f"<m{n}@customer.example>", "customer_name": f"Customer {n}",
            "customer_address": f"user{n}@acme.example", "customer_domain": "acme.example", "company": "Acme",
            "tier": "enterprise", "subject": f"Bug number {n}", "body": f"Body of bug {n}", "note": "",
            "forwarded": 1, "forwarded_by_name": "Sam Support", "forwarded_by_address": "sam@ourco.com",
            "received_at": iso(APP_NOW - age), "attachments": [], "status": "open",
            **extra,
        }
        return store.create_escalation(self.db, row, [row["message_id"]])

    def link(self, escalation_id: int, identifier: str) -> None:
        self.db["links"].upsert({
            "escalation_id": escalation_id, "linear_identifier": identifier,
            "linear_url": f"https://linear.app/acme/issue/{identifier}",
            "hubspot_ticket_url": f"https://app.hubspot.com/contacts/1/ticket/{escalation_id}",
        }, pk="escalation_id")


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppEnv]:
    """A temporary DB and data folder for the dashboard, local-only settings, and empty Streamlit caches."""
    path = tmp_path / "app.db"
    monkeypatch.chdir(ROOT)  # AppTest paths and the absent .env are taken from the project root
    monkeypatch.setenv("ROTADESK_DB", str(path))
    monkeypatch.setenv("ROTADESK_DATA_DIR", str(tmp_path / "data"))
    for name in CONFIG_VARS:
        monkeypatch.delenv(name, raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    db = open_db(path)
    yield AppEnv(db, path)
    db.close()
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[datetime]:
    """Every page and every row a test seeds agree on "now", whatever the real date."""
    with clock_at(APP_NOW) as moment:
        yield moment
