"""`python -m ingest health`: one line per part, exit 0 when nothing fails, 1 when something does."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from core.monitor import PARTS, Probes, check
from core.settings import Settings
from core.store import open_db, set_state
from core.store.version import SCHEMA_VERSION
from ingest.commands import fetch_url
from ingest.imap import ImapWorker, probe
from tests.doubles import http
from tests.doubles.hubspot import TOKEN
from tests.doubles.linear import API_KEY
from tests.integration.test_cli import ROOT, cli
from tests.integration.test_linking import make_world

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def by_name(parts) -> dict:
    return {p.name: p for p in parts}


@pytest.mark.dovecot
def test_a_running_deployment_is_healthy_part_by_part(tmp_path: Path, imap_settings: Settings, dovecot,
                                                      mail_user) -> None:
    world = make_world(tmp_path)
    settings = replace(imap_settings, db=world.settings.db, hubspot_token=TOKEN, linear_api_key=API_KEY,
                       linear_team="ENG")
    dovecot.append(mail_user, b"From: a@acme.com\r\nSubject: x\r\nMessage-ID: <h1@acme.com>\r\n\r\nhello\r\n")
    ImapWorker(settings, world.db, now=lambda: NOW).run_once()  # the worker's pass records its success
    world.escalation()
    world.sync(NOW)
    parts = check(settings, NOW + timedelta(seconds=30),
                  Probes(imap=lambda: probe(settings), hubspot=world.hubspot, linear=world.linear))
    assert [p.name for p in parts] == [p for p in PARTS if p != "http"]
    assert all(p.status == "ok" for p in parts), [p.line() for p in parts]
    found = by_name(parts)
    assert f"schema version {SCHEMA_VERSION}" in found["database"].detail
    assert "INBOX: 1 message(s)" in found["imap"].detail
    assert "portal 4242" in found["hubspot"].detail and "Engineering" in found["linear"].detail
    assert found["poll"].detail.startswith(f"last succeeded {NOW.isoformat()}")
    assert "to link 0" in found["queues"].detail

    # The worker stops: a while later its poll and sync are stale, and health fails.
    later = check(settings, NOW + timedelta(minutes=20), Probes())
    stale = by_name(later)
    assert stale["poll"].failed and "is the worker running?" in stale["poll"].detail
    assert stale["sync"].failed and not stale["database"].failed
    assert stale["hubspot"].status == "ok" and "not probed" in stale["hubspot"].detail  # offline: no calls
    world.db.close()


@pytest.mark.dovecot
def test_a_refused_imap_login_fails_the_imap_line(imap_settings: Settings) -> None:
    open_db(imap_settings.db).close()
    wrong = replace(imap_settings, imap_password="not-the-password")
    imap = by_name(check(wrong, NOW, Probes(imap=lambda: probe(wrong))))["imap"]
    assert imap.failed and imap.detail.startswith("IMAP:")


def test_a_rate_limit_pause_fails_the_connector_offline(settings: Settings, db) -> None:
    connected = replace(settings, hubspot_token="t", linear_api_key="k")
    set_state(db, "hubspot.paused_until", (NOW + timedelta(minutes=5)).isoformat(timespec="seconds"))
    found = by_name(check(connected, NOW, Probes()))
    assert found["hubspot"].failed and "paused until" in found["hubspot"].detail
    assert found["linear"].status == "ok"


def test_queue_depths_count_what_waits(settings: Settings, db) -> None:
    db["inbound_messages"].insert_all([{"message_id": f"<{n}>", "status": s}
                                       for n, s in enumerate(["new", "failed", "failed", "escalation"])])
    db["quarantine"].insert({"message_id": "<q>", "status": "pending"})
    db["staged_replies"].insert({"key": "k", "status": "staged"})
    queues = by_name(check(settings, NOW, Probes()))["queues"]
    assert queues.detail == "to process 1, failed 2, to review 1, replies to send 1"


def test_the_url_part_fetches_the_dashboard(settings: Settings, db) -> None:
    url, stop = http.serve(lambda r: httpx.Response(200 if r.url.path == "/_stcore/health" else 503, text="ok"))
    try:
        good = check(settings, NOW, Probes(http=fetch_url), url=f"{url}/_stcore/health", only=["database", "http"])
        bad = check(settings, NOW, Probes(http=fetch_url), url=f"{url}/broken", only=["http"])
    finally:
        stop()
    assert [p.name for p in good] == ["database", "http"] and not any(p.failed for p in good)
    assert [p.name for p in bad] == ["http"] and bad[0].failed and "503" in bad[0].detail


# -- the command, as a monitor runs it -------------------------------------------------------------------------
def test_local_only_without_an_inbox_is_healthy(tmp_path: Path) -> None:
    db_path = tmp_path / "r.db"
    open_db(db_path).close()
    result = cli("health", env={"ROTADESK_DB": str(db_path), "PYTHONPATH": str(ROOT)}, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["database", "imap", "hubspot", "linear", "poll", "sync", "queues"]
    assert [line.split()[1] for line in lines] == ["ok", "off", "off", "off", "off", "off", "ok"]


@pytest.mark.parametrize("problem", ["missing", "older", "newer", "bad setting", "unknown part"])
def test_health_exits_1_and_says_what_is_wrong(tmp_path: Path, problem: str) -> None:
    db_path = tmp_path / "r.db"
    env = {"ROTADESK_DB": str(db_path), "PYTHONPATH": str(ROOT)}  # run from an empty folder: no .env
    args = ["health", "--offline"]
    if problem != "missing":
        open_db(db_path).close()
    if problem in ("older", "newer"):
        with sqlite3.connect(db_path) as conn:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1 if problem == 'older' else SCHEMA_VERSION + 1}")
    if problem == "bad setting":
        env["ROTADESK_IMAP_PORT"] = "lots"
    if problem == "unknown part":
        args += ["--only", "database,coffee"]
    result = cli(*args, env=env, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    expected = {"missing": "database  fail no database at", "older": "upgrades it to",
                "newer": "written by a newer Rotadesk", "bad setting": "settings  fail ROTADESK_IMAP_PORT",
                "unknown part": "settings  fail --only: unknown part coffee"}[problem]
    assert expected in result.stdout
    if problem == "missing":
        assert not db_path.exists()  # a health check creates nothing


def test_the_command_line_names_every_part() -> None:
    from ingest.__main__ import HEALTH_PARTS

    assert HEALTH_PARTS.split(", ") == list(PARTS)


def test_the_compose_health_check_of_the_webhook_receiver_passes_against_the_real_receiver(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time

    import yaml

    db_path = tmp_path / "r.db"
    open_db(db_path).close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"ROTADESK_DB": str(db_path), "ROTADESK_LINEAR_WEBHOOK_SECRET": "s3cret", "PYTHONPATH": str(ROOT)}
    receiver = subprocess.Popen([sys.executable, "-m", "ingest", "webhook", "--port", str(port)], cwd=tmp_path,
                                env={**{k: v for k, v in os.environ.items() if not k.startswith("ROTADESK_")}, **env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        test = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["webhook"]["healthcheck"]["test"]
        argv = [a.replace(":8502/", f":{port}/") for a in test[4:]]  # the same check, on this test's port
        deadline = time.monotonic() + 30
        while True:
            result = cli(*argv, env=env, cwd=tmp_path)
            if result.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        receiver.terminate()
        receiver.wait(10)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[1] == f"http      ok   http://127.0.0.1:{port}/ answered 200"
    assert result.stderr == ""
