"""Shared fixtures for every test layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from core.store import open_db

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.support.dovecot", "tests.support.browser"]


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
