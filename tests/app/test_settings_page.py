from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.settings import Settings, env_name

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "settings.py")


def test_settings_page_shows_local_only_mode_and_every_setting(app_env) -> None:
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    assert "Local-only mode" in at.info[0].value
    # Grouped by area (issue 19), every setting once, in static tables that wrap each meaning.
    assert [e.label for e in at.expander][:3] == ["Storage", "Mail intake", "HubSpot"]
    shown = pd.concat([t.value for t in at.table])
    assert sorted(shown["setting"]) == sorted(env_name(f.name) for f in fields(Settings))
    assert shown.set_index("setting").loc["ROTADESK_DB", "value"] == str(app_env.path)
    assert shown.set_index("setting").loc["ROTADESK_HUBSPOT_TOKEN", "value"] == "not set"


def test_a_bad_setting_shows_an_error_not_a_traceback(app_env, monkeypatch) -> None:
    monkeypatch.setenv("ROTADESK_IMAP_PORT", "not-a-port")
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    assert "ROTADESK_IMAP_PORT" in at.error[0].value


def test_connector_check_calls_hubspot_and_linear(app_env, monkeypatch) -> None:
    from tests.doubles.hubspot import HubSpotDouble
    from tests.doubles.linear import API_KEY, LinearDouble

    hubspot, linear = HubSpotDouble(), LinearDouble()
    hub_url, stop_hub = hubspot.serve()
    lin_url, stop_lin = linear.serve()
    try:
        monkeypatch.setenv("ROTADESK_HUBSPOT_TOKEN", hubspot.token)
        monkeypatch.setenv("ROTADESK_HUBSPOT_BASE_URL", hub_url)
        monkeypatch.setenv("ROTADESK_LINEAR_API_KEY", API_KEY)
        monkeypatch.setenv("ROTADESK_LINEAR_API_URL", lin_url)
        monkeypatch.setenv("ROTADESK_LINEAR_TEAM", "ENG")
        at = AppTest.from_file(PAGE, default_timeout=30).run()
        assert not at.exception and not any("Local-only" in i.value for i in at.info)
        at.button(key="settings.check").click().run()
        assert not at.exception
        table = at.dataframe[0].value
        checks = dict(zip(table["check"], table["result"]))
        assert checks["HubSpot token and portal"] == checks["Linear API key"] == "ok"
        assert checks["HubSpot ticket properties"] == "failed"  # setup-hubspot has not run on this portal
        assert "HubSpot ticket properties" in at.error[0].value
        assert hubspot.requests and linear.requests
    finally:
        stop_hub()
        stop_lin()


def test_settings_say_when_the_inbox_domain_is_guessed(app_env, monkeypatch) -> None:
    # Issue 18: without ROTADESK_COMPANY_DOMAINS our domain is guessed from each message; the page says so.
    monkeypatch.setenv("ROTADESK_IMAP_USER", "bugs@support.ourco.com")
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    [warning] = [w.value for w in at.warning if "guessed" in w.value]
    assert "ROTADESK_COMPANY_DOMAINS is unset" in warning and "for this inbox, ourco.com" in warning

    monkeypatch.setenv("ROTADESK_COMPANY_DOMAINS", "ourco.com")
    st.cache_resource.clear()  # settings are read once per process
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    assert not [w for w in at.warning if "guessed" in w.value]
