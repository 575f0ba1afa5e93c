"""The dashboard connected to HubSpot and Linear (both doubles served over HTTP): linked escalations, a staged
closing reply marked sent in the browser, and the Settings page calling both connectors. A screenshot each."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from core import closing, linking
from core.health import setup_hubspot
from core.hubspot import HubSpotClient
from core.linear import LinearClient
from core.settings import Settings
from core.store import open_db
from ingest.demo import build_demo
from tests.doubles.hubspot import TOKEN, HubSpotDouble
from tests.doubles.linear import API_KEY, LinearDouble
from tests.e2e.test_dashboard import screenshot
from tests.support.browser import ROOT, start_dashboard
from tests.support.clock import APP_NOW

pytestmark = pytest.mark.e2e
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


@pytest.fixture(scope="module")
def connected(tmp_path_factory: pytest.TempPathFactory):
    """The demo data linked through both doubles, one issue done and its closing reply staged; the dashboard on it."""
    tmp = tmp_path_factory.mktemp("connected")
    hub, lin = HubSpotDouble(search_delay=0.0), LinearDouble()
    hub.add_company("acme-corp.com", "Acme Corp", tier="enterprise", revenue=4_200_000)
    hub_url, stop_hub = hub.serve()
    lin_url, stop_lin = lin.serve()
    env = {"ROTADESK_DB": str(tmp / "demo.db"), "ROTADESK_DATA_DIR": str(tmp / "data"),
           "ROTADESK_COMPANY_DOMAINS": "flowboard.io", "ROTADESK_HUBSPOT_TOKEN": TOKEN,
           "ROTADESK_HUBSPOT_BASE_URL": hub_url, "ROTADESK_LINEAR_API_KEY": API_KEY,
           "ROTADESK_LINEAR_API_URL": lin_url, "ROTADESK_LINEAR_TEAM": "ENG", "ROTADESK_HUBSPOT_STAGED_STAGE": "3",
           "ROTADESK_HUBSPOT_CLOSED_STAGE": "4"}
    # The dashboard runs with its clock at APP_NOW, the demo is built for that day; connected, the closing loop
    # stages replies for real instead of the local-only sample.
    build_demo(tmp / "demo.db", ROOT / "data" / "samples", today=APP_NOW.date(), data_dir=tmp / "data",
               feeds_dir=tmp / "static", sample_reply=False)
    settings = Settings.from_env(env, env_file=None)
    db = open_db(settings.db)
    with HubSpotClient.from_settings(settings) as hubspot, LinearClient.from_settings(settings) as linear:
        list(setup_hubspot(hubspot))
        now = APP_NOW
        summary = linking.sync_pending(db, settings, hubspot, linear, now=now)
        assert summary.linked >= 7 and not summary.failed, summary
        acme = next(r for r in db.query("select l.linear_issue_id from links l join escalations e "
                                        "on e.id = l.escalation_id where e.customer_domain = 'acme-corp.com'"))
        lin.set_state(acme["linear_issue_id"], "Done")
        staged = closing.poll_and_stage(db, settings, hubspot, linear, now=APP_NOW)
        assert len(staged.staged) == 1, staged
    db.close()
    proc, url = start_dashboard(env, tmp / "streamlit.log", clock_at=APP_NOW)
    yield url, hub, lin, settings
    proc.terminate()
    proc.wait(timeout=10)
    stop_hub()
    stop_lin()


def test_escalations_link_to_linear_and_hubspot(browser, connected) -> None:
    url, _, lin, _ = connected  # the Acme issue is done: its escalation is closed, the rest stay open
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{url}/escalations", wait_until="domcontentloaded")
        page.wait_for_selector(IDLE, timeout=30_000)
        screenshot(page, "connected-escalations")
        main = page.inner_text("[data-testid='stMain']")
        assert "Local-only mode" not in main
        expect(page.get_by_role("link", name=re.compile(r"^Open ENG-\d+ in Linear$"))).to_have_count(1)
        expect(page.get_by_role("link", name="Open the HubSpot ticket")).to_have_count(1)
        assert len(lin.issues) >= 7
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        page.close()


def test_a_staged_reply_is_marked_sent_from_the_browser(browser, connected) -> None:
    url, hub, _, settings = connected
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{url}/replies", wait_until="domcontentloaded")
        page.wait_for_selector(IDLE, timeout=30_000)
        assert "Jane" in page.inner_text("[data-testid='stMain']")
        screenshot(page, "connected-replies")
        page.get_by_role("button", name="Mark sent").click()
        page.wait_for_function("() => document.body.innerText.includes('Marked sent.')", timeout=30_000)
        db = open_db(settings.db)
        # The one reply staged today; the demo's past quarter holds replies sent long ago.
        [reply] = db.query("select * from staged_replies where sent_at >= ?", [APP_NOW.isoformat()])
        db.close()
        assert reply["status"] == "sent"
        task = hub.records["tasks"][reply["hubspot_task_id"]]["properties"]
        ticket = hub.records["tickets"][reply["hubspot_ticket_id"]]["properties"]
        assert (task["hs_task_status"], ticket["hs_pipeline_stage"]) == ("COMPLETED", "4")
    finally:
        page.close()


def test_settings_checks_both_connectors(browser, connected) -> None:
    url = connected[0]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{url}/settings", wait_until="domcontentloaded")
        page.wait_for_selector(IDLE, timeout=30_000)
        page.get_by_role("button", name="Check HubSpot and Linear now").click()
        page.wait_for_function("() => document.body.innerText.includes('portal')", timeout=30_000)
        page.wait_for_selector(IDLE, timeout=30_000)
        screenshot(page, "connected-settings")
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        page.close()
