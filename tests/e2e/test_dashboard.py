"""Every page of the real dashboard, in Chromium, against the demo data: no exception, and a screenshot each."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ingest.demo import build_demo
from tests.support.browser import ROOT, start_dashboard
from tests.support.clock import APP_NOW

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
PAGES = {  # url path -> a text the page must show
    "": "On support now",
    "escalations": "Oldest open",
    "office_hours": "Office hours",
    "capacity": "feature capacity",
    "handoff": "Handoff",
    "planning": "Mark as reviewed in planning",
    "playbook": "Rules that hand back most often",
    "replies": "Replies",
    "intake": "Board view crashes",
    "settings": "Settings",
}


def screenshot(page, name: str) -> None:
    """The whole page as a user scrolls through it: Streamlit scrolls inside its main block, so the window grows
    until nothing scrolls any more, and tables (drawn on canvas) get a moment to paint."""
    tallest = "() => Math.max(...[...document.querySelectorAll('*')].map(e => e.scrollHeight))"
    height = 1000
    page.wait_for_timeout(800)  # elements keep arriving for a moment after the script run ends
    for _ in range(6):
        needed = min(page.evaluate(tallest), 8000)
        if needed <= height:
            break
        height = needed + 40
        page.set_viewport_size({"width": 1400, "height": height})
        page.wait_for_timeout(400)
    page.wait_for_timeout(1000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("e2e")
    build_demo(tmp / "demo.db", ROOT / "data" / "samples", today=APP_NOW.date(), data_dir=tmp / "data",
               feeds_dir=tmp / "static")
    env = {"ROTADESK_DB": str(tmp / "demo.db"), "ROTADESK_DATA_DIR": str(tmp / "data"),
           "ROTADESK_COMPANY_DOMAINS": "flowboard.io"}
    proc, url = start_dashboard(env, tmp / "streamlit.log", clock_at=APP_NOW)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.parametrize("path", list(PAGES), ids=lambda p: p or "calendar")
def test_page_renders_without_exception(browser, dashboard: str, path: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{dashboard}/{path}", wait_until="domcontentloaded")
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=30_000)
        screenshot(page, path or "calendar")
        assert page.locator("[data-testid='stException']").count() == 0
        assert PAGES[path] in page.inner_text("[data-testid='stMain']")
    finally:
        page.close()


def test_accepting_a_message_under_review_files_it_as_an_escalation(browser, dashboard: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    idle = "[data-testid='stApp'][data-test-script-state='notRunning']"

    def open_escalations() -> int:
        page.goto(f"{dashboard}/escalations", wait_until="domcontentloaded")
        page.wait_for_selector(idle, timeout=30_000)
        metric = page.locator("[data-testid='stMetric']").filter(
            has=page.locator("[data-testid='stMetricLabel']", has_text=re.compile(r"^Open$")))
        return int(metric.locator("[data-testid='stMetricValue']").inner_text())

    try:
        before = open_escalations()
        page.goto(f"{dashboard}/intake", wait_until="domcontentloaded")
        page.wait_for_selector(idle, timeout=30_000)
        assert "Board view crashes" in page.inner_text("[data-testid='stMain']")
        page.get_by_role("button", name="Accept").click()
        page.wait_for_function("() => !document.body.innerText.includes('Board view crashes')", timeout=30_000)
        page.wait_for_selector(idle, timeout=30_000)
        assert "Nothing waits for review." in page.inner_text("[data-testid='stMain']")
        assert open_escalations() == before + 1
        screenshot(page, "escalations-after-accept")
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        page.close()


def test_a_report_from_a_call_is_filed_from_the_intake_page(browser, dashboard: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    idle = "[data-testid='stApp'][data-test-script-state='notRunning']"
    try:
        page.goto(f"{dashboard}/intake", wait_until="domcontentloaded")
        page.wait_for_selector(idle, timeout=30_000)
        expect(page.get_by_label("Customer's email")).to_be_visible()  # the form is open, not behind a click
        page.get_by_label("Customer's email").fill("gavin.belson@hooli.com")
        page.get_by_label("Customer's name").fill("Gavin Belson")
        page.get_by_label("Subject").fill("Exports are missing the last row")
        page.get_by_label("What the customer said").fill("On the call Gavin said every CSV export drops its last row.")
        page.get_by_label("Your name").fill("Tom Becker")
        screenshot(page, "intake-report-form")
        page.get_by_role("button", name="File the report").click()
        page.wait_for_function("() => document.body.innerText.includes('Filed as escalation #')", timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        page.close()


def test_a_first_visit_straight_to_a_page_gets_the_full_navigation(browser, tmp_path: Path) -> None:
    build_demo(tmp_path / "demo.db", ROOT / "data" / "samples", today=APP_NOW.date(), data_dir=tmp_path / "data",
               feeds_dir=tmp_path / "static")
    proc, url = start_dashboard({"ROTADESK_DB": str(tmp_path / "demo.db"), "ROTADESK_DATA_DIR": str(tmp_path / "data")},
                                tmp_path / "streamlit.log", clock_at=APP_NOW)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{url}/capacity", wait_until="domcontentloaded")  # a fresh server: the router has not run yet
        page.wait_for_function("() => document.body.innerText.includes('Office hours')", timeout=30_000)
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=30_000)
        nav = page.inner_text("[data-testid='stSidebarNav']")
        assert "Office hours" in nav and "office hours" not in nav
        assert "of feature capacity for" in page.inner_text("[data-testid='stMain']")
    finally:
        page.close()
        proc.terminate()
        proc.wait(timeout=10)


def choose_first(page, combobox) -> None:
    """Pick a select box's first option; its list can close again while the page settles, so open it until
    the options show."""
    for _ in range(5):
        combobox.click()
        try:
            page.get_by_role("option").first.wait_for(state="visible", timeout=3_000)
        except Exception:  # the list closed before it showed: open it again
            page.keyboard.press("Escape")
            continue
        page.get_by_role("option").first.click()
        return
    raise AssertionError("the select box's options never showed")


def test_out_today_and_an_accepted_swap_request_on_the_calendar(browser, dashboard: str) -> None:
    # Issue 15: an override ("X is out today") and a swap request asked, then accepted, in a real browser.
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    idle = "[data-testid='stApp'][data-test-script-state='notRunning']"

    def metric(label: str) -> str:
        box = page.locator("[data-testid='stMetric']").filter(
            has=page.locator("[data-testid='stMetricLabel']", has_text=re.compile(f"^{label}$")))
        return box.locator("[data-testid='stMetricValue']").inner_text()

    def wait_for(text: str) -> None:
        page.wait_for_function(f"() => document.body.innerText.includes({text!r})", timeout=30_000)
        page.wait_for_selector(idle, timeout=30_000)

    try:
        page.goto(dashboard, wait_until="domcontentloaded")
        page.wait_for_selector(idle, timeout=30_000)
        primary, backup = metric("On support now"), metric("Backup this week")
        assert backup not in {primary, "Nobody"}
        page.get_by_role("button", name=f"{primary} is out today").click()
        wait_for(f"{backup} is on support for the rest of today.")
        assert metric("On support now") == backup
        assert page.get_by_role("button", name=re.compile("is out today")).count() == 0  # the backup is on now
        page.get_by_role("tab", name="Swap a week").click()
        panel = page.get_by_role("tabpanel")
        choose_first(page, panel.get_by_role("combobox", name="Hand the week to"))  # nobody is chosen at first
        page.wait_for_selector(idle, timeout=30_000)
        swap_tab = page.get_by_role("tab", name="Swap a week")
        expect(swap_tab).to_have_attribute("aria-selected", "true")  # the rerun stays on the tab
        panel = page.get_by_role("tabpanel")
        panel.get_by_label("Why").fill("a family wedding")
        panel.get_by_role("button", name="Ask them instead").click()
        wait_for("has been asked to take the week of")
        expect(page.get_by_role("tab", name="Swap a week")).to_have_attribute("aria-selected", "true")
        screenshot(page, "calendar-swap-request")
        page.get_by_role("tabpanel").get_by_role("button", name="Accept", exact=True).click()
        wait_for("accepted: the week of")
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        page.close()


def test_the_planning_view_and_its_charts_download(browser, dashboard: str, tmp_path: Path) -> None:
    """Issue 13: the files are drawn when the button is clicked, and arrive whole in the browser."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{dashboard}/planning", wait_until="domcontentloaded")
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=30_000)
        with page.expect_download(timeout=60_000) as markdown:
            page.get_by_role("button", name="Download the planning view").click()
        text = Path(markdown.value.path()).read_text(encoding="utf-8")
        downloads = page.locator("[data-testid='stDownloadButton'] button")  # not the charts' own menus
        assert markdown.value.suggested_filename.startswith("rotation-planning-")
        assert text.startswith("# Support rotation for planning")
        assert text.count("data:image/png;base64,") == 3  # tiers, outcomes, pulse
        with page.expect_download(timeout=60_000) as png:
            downloads.filter(has_text="PNG").first.click()
        assert png.value.suggested_filename == "escalations-by-support-tier.png"
        assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with page.expect_download(timeout=60_000) as svg:
            downloads.filter(has_text="SVG").nth(1).click()
        assert svg.value.suggested_filename == "fixed-triaged-or-carried-over.svg"
        assert "<svg" in Path(svg.value.path()).read_text(encoding="utf-8")[:200]
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        context.close()
