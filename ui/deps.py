"""Cached resources for the dashboard: settings, the database handle and the HubSpot and Linear clients.

Pages get everything through these functions, so each page also runs on its own (AppTest, `streamlit run pages/x.py`).
"""

from __future__ import annotations

import streamlit as st
from sqlite_utils import Database

from core.access import Person
from core.errors import ConfigError, StoreError
from core.hubspot import HubSpotClient
from core.linear import LinearClient
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
    """Settings, or a clear error on the page and a stop when a value is bad or the database cannot be opened.
    Every page starts here, and passes the sign-in gate here: signed out or not allowed, the page stops."""
    from ui.signin import gate

    _through_the_router()
    try:
        settings = get_settings()
    except ConfigError as exc:
        st.error(f"Configuration problem: {exc}")
        st.stop()
        raise  # unreachable; keeps type checkers honest
    gate(settings)
    try:
        get_db()
    except ConfigError as exc:
        st.error(f"Configuration problem: {exc}")
        st.stop()
    except StoreError as exc:  # a database from a newer Rotadesk, say
        st.error(f"Database problem: {exc}")
        st.stop()
    return settings


def get_person() -> Person:
    """Who is acting on this run (after ``settings_or_stop``); pages pass it to every action."""
    from ui.signin import current_person

    return current_person(get_settings())


@st.cache_resource
def _hubspot(token: str, base_url: str, prefix: str) -> HubSpotClient:
    return HubSpotClient(token, base_url=base_url, prefix=prefix)


def get_hubspot() -> HubSpotClient | None:
    """The HubSpot client, or None in local-only mode (replies are then only recorded in the DB)."""
    settings = get_settings()
    if settings.local_only:
        return None
    return _hubspot(settings.hubspot_token, settings.hubspot_base_url, settings.hubspot_prefix)


@st.cache_resource
def _linear(api_key: str, url: str) -> LinearClient:
    return LinearClient(api_key, url=url)


def get_linear() -> LinearClient | None:
    """The Linear client, or None in local-only mode."""
    settings = get_settings()
    if settings.local_only:
        return None
    return _linear(settings.linear_api_key, settings.linear_api_url)


def _through_the_router() -> None:
    """Run this page through dashboard.py's navigation.

    Streamlit treats a ``pages/`` folder as the older multipage mode until the router has run once in the server
    process, so the first visit straight to a page URL after a restart would run the page alone (no wide layout,
    plain file names in the sidebar). Leaving that mode and rerunning hands the same URL to the router.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
