"""Sign-in for real (issue 11): the dashboard started as `make run` starts it, a local OpenID Connect provider,
Chromium typing into the provider's login form; then every kind of bad input, each refused with nothing changed."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from core.store import audit, open_db
from core.store import intake as store
from ingest.demo import build_demo
from tests.e2e.test_dashboard import screenshot
from tests.support.browser import ROOT, free_port, start_dashboard
from tests.support.clock import APP_NOW, clock_at
from tests.support.oidc import oidc_provider

pytestmark = pytest.mark.e2e
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
COOKIE_SECRET = "e2e-cookie-secret-" + "x" * 32
ALLOW = "@flowboard.io=member, lead@flowboard.io=admin"
USER_COOKIE = "_streamlit_user"
LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc).timestamp()  # far past Streamlit's 30-day cookie life
CUSTOMER_TEXT = "Board view crashes"  # a quarantined message in the demo data


@pytest.fixture(scope="module")
def frozen():
    """This process (the provider's tokens, the cookies signed here) and the dashboard run from the same moment."""
    with clock_at(APP_NOW) as moment:
        yield moment


@pytest.fixture(scope="module")
def provider(frozen):
    with oidc_provider() as running:
        yield running


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, provider, frozen):
    """The demo data behind sign-in, reached at http://localhost:<port> (the origin the redirect URI names)."""
    tmp = tmp_path_factory.mktemp("signin")
    build_demo(tmp / "demo.db", ROOT / "data" / "samples", today=frozen.date(), data_dir=tmp / "data",
               feeds_dir=tmp / "static")
    port = free_port()
    url = f"http://localhost:{port}"
    env = {"ROTADESK_DB": str(tmp / "demo.db"), "ROTADESK_DATA_DIR": str(tmp / "data"),
           "ROTADESK_COMPANY_DOMAINS": "flowboard.io", "ROTADESK_PUBLIC_URL": url,
           "ROTADESK_OIDC_METADATA_URL": provider.metadata_url, "ROTADESK_OIDC_CLIENT_ID": "rotadesk",
           "ROTADESK_OIDC_CLIENT_SECRET": "e2e-client-secret", "ROTADESK_COOKIE_SECRET": COOKIE_SECRET,
           "ROTADESK_SIGNIN_ALLOW": ALLOW}
    proc, _ = start_dashboard(env, tmp / "streamlit.log", port=port, launcher=True, clock_at=frozen)
    yield url, tmp / "demo.db", tmp / "streamlit.log"
    proc.terminate()
    proc.wait(timeout=15)


@pytest.fixture
def context(browser):
    """A fresh browser profile: no cookies, no session."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield ctx
    ctx.close()


def main_text(page) -> str:
    return page.inner_text("[data-testid='stMain']")


def open_page(page, url: str) -> str:
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(IDLE, timeout=30_000)
    page.wait_for_timeout(300)
    assert page.locator("[data-testid='stException']").count() == 0
    return main_text(page)


def wait_for_text(page, text: str) -> str:
    """The main block's text once it shows ``text`` (a page's elements keep arriving after the run ends)."""
    page.wait_for_function("t => document.querySelector(\"[data-testid='stMain']\").innerText.includes(t)", arg=text,
                           timeout=30_000)
    return main_text(page)


def shows_only_sign_in(page) -> bool:
    buttons = page.locator("[data-testid='stMain'] button")
    return (buttons.count() == 1 and buttons.first.inner_text().strip().endswith("Sign in")
            and page.locator("[data-testid='stDataFrame'], [data-testid='stMetric']").count() == 0
            and page.locator("[data-testid='stSidebarNav']").count() == 0)


def sign_in(page, site_url: str, email: str) -> None:
    """Through the provider's own login form, as a person would."""
    open_page(page, site_url)
    page.get_by_role("button", name="Sign in").click()
    authorize(page, email)
    page.wait_for_url(re.compile(re.escape(site_url) + r"/?$"), timeout=30_000)
    page.wait_for_selector(IDLE, timeout=30_000)


def authorize(page, email: str) -> None:
    """On the provider's login form: type who we are and authorize."""
    page.wait_for_selector("input[name='sub']", timeout=30_000)
    page.fill("input[name='sub']", email)
    page.get_by_role("button", name="Authorize").click()


def held_callback(page, email: str) -> str:
    """Authorize on the provider's form, but keep the browser from following the provider's redirect back:
    returns the callback URL (with the code and state) the browser would have visited."""
    seen: list[str] = []

    def hold(route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        seen.append(response.headers["location"])
        route.fulfill(status=200, content_type="text/plain", body="held")

    pattern = re.compile(r".*/oauth2/authorize\?.*")
    page.route(pattern, hold)
    try:
        authorize(page, email)
        page.wait_for_function("() => document.body.innerText.includes('held')", timeout=30_000)
    finally:
        page.unroute(pattern)
    [callback] = seen
    return callback


def user_cookie(claims: dict, origin: str, *, secret: str = COOKIE_SECRET,
                signed_at: float = APP_NOW.timestamp()) -> str:
    """A ``_streamlit_user`` cookie made the way Streamlit makes one, with any secret and signing time (by default
    the moment the dashboard's clock starts from, so never in its future)."""
    class At(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(signed_at)

    serializer = URLSafeTimedSerializer(secret, salt=USER_COOKIE, signer=At)
    payload = {**claims, "origin": origin, "is_logged_in": True, "provider": "default"}
    return serializer.dumps(json.dumps(payload))


def snapshot(db_path) -> tuple:
    """What a refused request must not change: the audit trail, the review queue, the escalations."""
    db = open_db(db_path)
    try:
        return (len(audit.entries(db)), [q["message_id"] for q in store.quarantined(db)],
                [(e["id"], e["status"]) for e in store.escalations(db, limit=2000)])
    finally:
        db.close()


def test_sign_in_see_the_pages_and_sign_out(context, site) -> None:
    url, _, _ = site
    page = context.new_page()
    open_page(page, url)
    assert shows_only_sign_in(page)
    screenshot(page, "signin")
    sign_in(page, url, "sam@flowboard.io")
    wait_for_text(page, "On support now")
    assert "Signed in as sam@flowboard.io, member" in page.inner_text("[data-testid='stSidebar']")
    # What a page shows keeps arriving after its run ends: wait for it (a page that never shows it times out).
    open_page(page, f"{url}/escalations")
    wait_for_text(page, "Oldest open")
    open_page(page, f"{url}/intake")
    wait_for_text(page, CUSTOMER_TEXT)
    assert page.get_by_role("button", name="Accept").count() == 1
    screenshot(page, "signin-member-intake")
    assert any(c["name"] == USER_COOKIE for c in context.cookies())

    page.locator("[data-testid='stSidebar']").get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda u: not u.startswith(f"{url}/intake"), timeout=30_000)
    assert not any(c["name"] == USER_COOKIE for c in context.cookies())
    open_page(page, f"{url}/intake")
    assert shows_only_sign_in(page) and CUSTOMER_TEXT not in main_text(page)


def test_someone_outside_the_allow_list_is_refused(context, site) -> None:
    url, db_path, _ = site
    before = snapshot(db_path)
    page = context.new_page()
    sign_in(page, url, "mallory@elsewhere.example")
    text = main_text(page)
    assert "This account may not use Rotadesk." in text and "Signed in as mallory@elsewhere.example" in text
    screenshot(page, "signin-refused")
    for path in ("", "escalations", "intake", "settings"):
        text = open_page(page, f"{url}/{path}")
        assert "This account may not use Rotadesk." in text
        assert CUSTOMER_TEXT not in text and "On support now" not in text
        assert page.locator("[data-testid='stDataFrame'], [data-testid='stMetric']").count() == 0
        assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert snapshot(db_path) == before


def test_a_request_without_a_session_reaches_no_data(context, site) -> None:
    url, _, _ = site
    page = context.new_page()
    for path in ("", "escalations", "office_hours", "capacity", "handoff", "replies", "intake", "settings"):
        text = open_page(page, f"{url}/{path}")
        assert shows_only_sign_in(page), path
        assert CUSTOMER_TEXT not in text and "On support now" not in text and "Acme" not in text


def test_a_cookie_made_with_the_real_secret_signs_in(context, site) -> None:
    # The control for the two tests below: the recipe they use is Streamlit's own, so only what they change
    # (the secret, the age) can be why they are refused.
    url, _, _ = site
    context.add_cookies([{"name": USER_COOKIE, "value": user_cookie({"email": "lead@flowboard.io"}, url),
                          "url": url}])
    page = context.new_page()
    open_page(page, url)
    wait_for_text(page, "On support now")
    assert "lead@flowboard.io, admin" in page.inner_text("[data-testid='stSidebar']")


@pytest.mark.parametrize("value", [
    user_cookie({"email": "lead@flowboard.io"}, "http://placeholder", secret="not-the-secret-" + "y" * 32),
    "eyJlbWFpbCI6ImxlYWRAZmxvd2JvYXJkLmlvIiwiaXNfbG9nZ2VkX2luIjp0cnVlfQ",  # unsigned JSON
    "garbage",
], ids=["wrong-secret", "unsigned", "garbage"])
def test_a_forged_session_cookie_is_refused(context, site, value: str) -> None:
    url, db_path, _ = site
    before = snapshot(db_path)
    context.add_cookies([{"name": USER_COOKIE, "value": value.replace("http://placeholder", url), "url": url}])
    page = context.new_page()
    open_page(page, f"{url}/intake")
    assert shows_only_sign_in(page) and CUSTOMER_TEXT not in main_text(page)
    assert snapshot(db_path) == before


def test_an_expired_session_cookie_is_refused(context, site) -> None:
    url, db_path, _ = site
    before = snapshot(db_path)
    context.add_cookies([{"name": USER_COOKIE, "value": user_cookie({"email": "lead@flowboard.io"}, url,
                                                                   signed_at=LONG_AGO), "url": url}])
    page = context.new_page()
    open_page(page, f"{url}/intake")
    assert shows_only_sign_in(page) and CUSTOMER_TEXT not in main_text(page)
    assert snapshot(db_path) == before


def with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query[name] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def logged_since(log_path, offset: int) -> str:
    """What the dashboard logged after ``offset`` bytes: why it refused (Streamlit logs the Authlib error)."""
    with open(log_path, "rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


def refused_sign_in(page, context, site_url: str) -> None:
    """After a tampered sign-in: back on the sign-in page, no identity cookie, no data."""
    page.wait_for_selector(IDLE, timeout=30_000)
    assert not any(c["name"] == USER_COOKIE for c in context.cookies())
    open_page(page, f"{site_url}/intake")
    assert shows_only_sign_in(page) and CUSTOMER_TEXT not in main_text(page)


def test_a_callback_with_the_wrong_state_is_refused(context, site) -> None:
    url, db_path, log_path = site
    before, offset = snapshot(db_path), log_path.stat().st_size
    page = context.new_page()
    open_page(page, url)
    page.get_by_role("button", name="Sign in").click()
    callback = held_callback(page, "lead@flowboard.io")
    assert callback.startswith(f"{url}/oauth2callback?") and "code=" in callback and "state=" in callback
    page.goto(with_param(callback, "state", "forged-state"), wait_until="domcontentloaded")
    refused_sign_in(page, context, url)
    assert "Missing provider for OAuth callback" in logged_since(log_path, offset)
    assert snapshot(db_path) == before
    # The control: the same callback with its own state signs in, so the state alone was refused.
    page.goto(callback, wait_until="domcontentloaded")
    wait_for_text(page, "On support now")
    assert "lead@flowboard.io, admin" in page.inner_text("[data-testid='stSidebar']")


def test_an_id_token_with_the_wrong_nonce_is_refused(context, site) -> None:
    url, db_path, log_path = site
    before, offset = snapshot(db_path), log_path.stat().st_size
    page = context.new_page()
    open_page(page, url)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("input[name='sub']", timeout=30_000)
    request = page.url
    assert "/oauth2/authorize?" in request and "nonce=" in request
    # The provider then signs a token for another sign-in attempt's nonce; the state is still this attempt's.
    page.goto(with_param(request, "nonce", "a-nonce-from-another-attempt"), wait_until="domcontentloaded")
    authorize(page, "lead@flowboard.io")
    page.wait_for_url(re.compile(re.escape(url) + r"/?$"), timeout=30_000)
    refused_sign_in(page, context, url)
    assert "Invalid claim: 'nonce'" in logged_since(log_path, offset)
    assert snapshot(db_path) == before


def test_an_id_token_from_another_issuer_is_refused(context, site, provider) -> None:
    url, db_path, log_path = site
    before, offset = snapshot(db_path), log_path.stat().st_size
    page = context.new_page()
    with provider.lie_about("https://issuer.invalid"):
        sign_in(page, url, "lead@flowboard.io")
        refused_sign_in(page, context, url)
    assert "Invalid claim: 'iss'" in logged_since(log_path, offset)
    assert snapshot(db_path) == before


def test_an_admins_action_shows_in_the_audit_trail_under_their_name(context, site) -> None:
    url, db_path, _ = site
    page = context.new_page()
    sign_in(page, url, "lead@flowboard.io")
    open_page(page, f"{url}/intake")
    page.get_by_role("button", name="Accept").click()
    page.wait_for_function("t => !document.body.innerText.includes(t)", arg=CUSTOMER_TEXT, timeout=30_000)
    open_page(page, f"{url}/settings")
    wait_for_text(page, "Audit trail")
    page.wait_for_selector("[data-testid='stDataFrame']", timeout=30_000)
    screenshot(page, "settings-audit-trail")
    db = open_db(db_path)
    try:
        [entry] = [e for e in audit.entries(db) if e["action"] == "message.accept"]
    finally:
        db.close()
    assert (entry["actor"], entry["role"]) == ("lead@flowboard.io", "admin")
    assert page.get_by_role("button", name="Export as CSV").is_enabled()
