"""Shared fixtures for every test layer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from core.settings import Settings
from core.store import open_db

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.support.dovecot", "tests.support.browser"]

# Under CI the property tests draw the same examples every run, so a red run is reproducible, never a coin toss;
# on a developer's machine they keep exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Local-only settings pointing at a temporary data folder."""
    return Settings(db=tmp_path / "t.db", data_dir=tmp_path / "data", company_domains=("ourco.com",))


@pytest.fixture
def db(settings: Settings):
    """A temporary database with every migration applied."""
    database = open_db(settings.db)
    yield database
    database.close()
