"""Cached API clients for pages that act on HubSpot (one per dashboard process, keyed by the settings)."""

from __future__ import annotations

import streamlit as st

from core.hubspot import HubSpotClient
from core.linear import LinearClient
from ui.deps import get_settings


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
