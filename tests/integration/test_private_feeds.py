"""Private feeds: a secret token per feed, rotatable, 404 for a wrong one, never logged (issue 15)."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar

from core.feed_tokens import TOKEN_CHARS, feed_token, parse_feed_path
from core.roster import slug
from core.store import feeds, open_db
from core.store import rotation as store
from ingest.feeds import build_server

NOW = datetime(2026, 1, 5, 8, tzinfo=timezone.utc)
SECRET = "s3cret-feed-key"
CSV = "name,email,timezone\n" + "".join(f"E{i},e{i}@ourco.com,America/New_York\n" for i in range(4))


@pytest.fixture
def private(settings, db):
    settings = replace(settings, feed_secret=SECRET, feed_url="https://feeds.ourco.com/")
    store.import_roster_csv(db, CSV)
    store.regenerate(db, settings, NOW)
    return settings


@pytest.fixture
def server(private):
    srv = build_server(private, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()
    srv.db.close()


def path_of(url: str) -> str:
    return url.removeprefix("https://feeds.ourco.com")


def test_tokens_are_derived_per_feed_and_generation():
    token = feed_token(SECRET, "team", 0)
    assert len(token) == TOKEN_CHARS and token == feed_token(SECRET, "team", 0)
    assert len({token, feed_token(SECRET, "team", 1), feed_token(SECRET, "e0-ourco-com", 0),
                feed_token("other", "team", 0)}) == 4
    assert parse_feed_path(f"/feeds/team/{token}.ics") == ("team", token)
    for bad in ("/feeds/team.ics", f"/feeds/Team/{token}.ics", f"/feeds/team/{token[:-1]}.ics",
                f"/feeds/team/{token}.ics/x", "/feeds/../etc/" + token + ".ics", "/" + "a" * 5000):
        assert parse_feed_path(bad) is None


def test_the_feed_is_served_for_its_token_and_404_for_any_other(private, db, server):
    team_url = feeds.address(db, private, None)
    assert team_url.startswith("https://feeds.ourco.com/feeds/team/") and SECRET not in team_url
    answer = httpx.get(server + path_of(team_url))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    assert len(Calendar.from_ical(answer.content).walk("VEVENT")) == 13
    personal = httpx.get(server + path_of(feeds.address(db, private, "e1@ourco.com")))
    assert Calendar.from_ical(personal.content)["X-WR-TIMEZONE"] == "America/New_York"
    token = path_of(team_url).split("/")[3].removesuffix(".ics")
    wrong = "A" * TOKEN_CHARS
    for path in (f"/feeds/team/{wrong}.ics", f"/feeds/e1-ourco-com/{token}.ics", f"/feeds/nobody/{token}.ics",
                 "/app/static/rotation-team.ics", "/"):
        assert httpx.get(server + path).status_code == 404, path


def test_rotating_a_link_retires_the_old_one(private, db, server):
    old = feeds.address(db, private, "e2@ourco.com")
    feeds.rotate(db, "e2@ourco.com", NOW)
    new = feeds.address(db, private, "e2@ourco.com")
    assert new != old
    assert httpx.get(server + path_of(old)).status_code == 404
    assert httpx.get(server + path_of(new)).status_code == 200
    assert feeds.address(db, private, None) == feeds.address(db, private, None)  # the team link is untouched


def test_tokens_never_reach_the_log(private, db, server, caplog):
    caplog.set_level(logging.DEBUG)
    url = feeds.address(db, private, None)
    token = path_of(url).split("/")[3].removesuffix(".ics")
    httpx.get(server + path_of(url))
    httpx.get(server + f"/feeds/team/{'B' * TOKEN_CHARS}.ics")
    httpx.get(server + "/feeds/team/not a request")
    # What Rotadesk logs (the test's own HTTP client logs the URLs it asks for; that is not the server).
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    assert "feed team: 200" in ours and "feed team: 404" in ours
    assert token not in ours and "B" * TOKEN_CHARS not in ours
    assert SECRET not in caplog.text and SECRET not in repr(private)
    assert SECRET not in str(list(db.query("select * from feed_generations")))


def test_with_private_feeds_no_public_files_are_written(private, db, tmp_path: Path):
    static = tmp_path / "static"
    store.refresh_feeds(db, replace(private, feed_secret=""), NOW, directory=static)
    assert (static / "rotation-team.ics").exists()
    assert store.refresh_feeds(db, private, NOW, directory=static) == []
    assert not list(static.glob("rotation-*.ics"))  # the guessable copies from before are gone
    db2 = open_db(private.db)
    assert slug("e0@ourco.com") == "e0-ourco-com" and db2["feed_generations"].count == 0
    db2.close()
