"""Every page of the real dashboard, in Chromium, against the demo data: no exception, and a screenshot each."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.demo import build_demo
from tests.support.browser import ROOT, start_dashboard

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
PAGES = {  # url path -> a text the page must show
    "": "On support now",
    "escalations": "Oldest open",
    "office_hours": "Office hours",
    "capacity": "feature capacity",
    "handoff": "Handoff",
    "replies": "Replies",
    "intake": "Board view crashes",
    "settings": "Settings",
}


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("e2e")
    build_demo(tmp / "demo.db", ROOT / "data" / "samples", today=date.today(), data_dir=tmp / "data")
    env = {"ROTADESK_DB": str(tmp / "demo.db"), "ROTADESK_DATA_DIR": str(tmp / "data"),
           "ROTADESK_COMPANY_DOMAINS": "flowboard.io"}
    proc, url = start_dashboard(env, tmp / "streamlit.log")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.parametrize("path", list(PAGES), ids=lambda p: p or "calendar")
def test_page_renders_without_exception(browser, dashboard: str, path: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{dashboard}/{path}", wait_until="domcontentloaded")
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=30_000)
        page.wait_for_timeout(500)  # let charts finish drawing before the screenshot
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{path or 'calendar'}.png"), full_page=True)
        assert page.locator("[data-testid='stException']").count() == 0
        assert PAGES[path] in page.inner_text("[data-testid='stMain']")
    finally:
        page.close()
