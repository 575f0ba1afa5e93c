"""Cached resources for the dashboard: settings, the database handle and API clients.

Pages get everything through these functions, so each page also runs on its own (AppTest, `streamlit run pages/x.py`).
"""

from __future__ import annotations

import streamlit as st
from sqlite_utils import Database

from core.errors import ConfigError
from core.settings import Settings
from core.store import open_db


@st.cache_resource
def get_settings() -> Settings:
    return Settings.from_env()


@st.cache_resource
def _db(path: str) -> Database:
    return open_db(path, shared=True)


def get_db() -> Database:
    return _db(str(get_settings().db))


def settings_or_stop() -> Settings:
    """Settings, or a clear error on the page and a stop when a value is bad."""
    try:
        return get_settings()
    except ConfigError as exc:
        st.error(f"Configuration problem: {exc}")
        st.stop()
        raise  # unreachable; keeps type checkers honest
