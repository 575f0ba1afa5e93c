"""The Slack app against the Slack double: signed requests, the shortcut's modal, filing once, /rotadesk."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from datetime import date, datetime, timezone
from urllib.parse import urlencode

import pytest

from core.roster import Engineer
from core.rotation import RotationWeek
from core.store import intake as intake_store
from core.store import open_db
from core.store import rotation as rotation_store
from core.store import slack as slack_store
from core.store.intake import Customer
from tests.support.slack import SIGNING_SECRET, make_slack_world

NOW = datetime(2026, 3, 3, 9, 30, tzinfo=timezone.utc)  # a Tuesday


@pytest.fixture
def world(settings, tmp_path):
    settings = replace(settings, slack_bot_token="xoxb-test-bot-token", slack_signing_secret=SIGNING_SECRET)
    db = open_db(settings.db, shared=True)
    intake_store.upsert_customers(db, [Customer("acme.com", "Acme Corp", "enterprise"),
                                       Customer("globex.io", "Globex", "business")], NOW.isoformat())
    w = make_slack_world(db, settings, NOW)
    w.db, w.settings = db, settings
    yield w
    w.executor.shutdown(wait=True)
    w.stop()
    db.close()


def customer_message(world, text="Export to CSV fails with a 500 since this morning.\nSteps: ...", files=None):
    return world.double.add_message("C0ACME", "U0JANE", text, files=files)


def open_modal(world, message):
    response = world.interaction(world.shortcut_payload("C0ACME", message))
    assert response.status == 200
    world.executor.settle()
    return world.opened_view()


def blocks(view):
    return {b.get("block_id"): b for b in view["blocks"] if b.get("block_id")}


def test_the_shortcut_opens_a_modal_filled_from_the_message(world) -> None:
    files = [{"id": "F1", "name": "trace.har", "mimetype": "application/json", "size": 2048,
              "permalink": "https://ourco.slack.com/files/U0JANE/F1/trace.har", "url_private": "https://files/x"}]
    message = customer_message(world, files=files)
    view = open_modal(world, message)
    fields = blocks(view)
    assert fields["customer"]["element"]["initial_option"]["value"] == "acme.com"  # from jane@acme.com
    assert fields["email"]["element"]["initial_value"] == "jane@acme.com"
    assert fields["name"]["element"]["initial_value"] == "Jane Doe"
    assert fields["subject"]["element"]["initial_value"] == "Export to CSV fails with a 500 since this morning."
    assert fields["body"]["element"]["initial_value"] == message["text"]
    context = " ".join(e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"])
    assert world.double.permalink("C0ACME", message["ts"]) in context and "trace.har" in context
    assert "#acme-shared" in context


def test_a_colleague_posting_in_a_customer_channel_suggests_the_customer_from_the_channel(world) -> None:
    message = world.double.add_message("C0ACME", "U0SAM", "Acme says exports fail")
    fields = blocks(open_modal(world, message))
    assert fields["customer"]["element"]["initial_option"]["value"] == "acme.com"
    assert fields["email"]["element"]["initial_value"] == ""  # sam@ourco.com is us, not the customer


def test_the_customer_list_is_searchable(world) -> None:
    open_modal(world, customer_message(world))
    response = world.interaction({"type": "block_suggestion", "action_id": "customer_pick", "block_id": "customer",
                                  "value": "glob", "team": {"id": "T0TEAM001"}, "user": {"id": "U0SAM"},
                                  "api_app_id": "A0ROTADESK", "view": world.opened_view()})
    assert response.status == 200
    assert '"value": "globex.io"' in response.body and "acme.com" not in response.body


def submit(world, view, **overrides):
    values = {"email": "jane@acme.com", "name": "Jane Doe", "subject": "Export to CSV fails",
              "body": blocks(view)["body"]["element"]["initial_value"]} | overrides
    return world.interaction(world.submission_payload(view, values, customer="acme.com"))


def test_submitting_files_one_escalation_and_replies_in_the_thread(world) -> None:
    message = customer_message(world)
    view = open_modal(world, message)
    response = submit(world, view)
    assert response.status == 200 and response.body == ""  # an empty 200 closes the modal
    world.executor.settle()
    (escalation,) = intake_store.escalations(world.db)
    assert escalation["customer_address"] == "jane@acme.com" and escalation["company"] == "Acme Corp"
    assert escalation["forwarded_by_name"] == "Sam Agent"
    assert world.double.permalink("C0ACME", message["ts"]) in escalation["note"]
    raw = intake_store.inbound(world.db, escalation["message_id"])
    assert raw["status"] == "escalation" and open(raw["raw_path"], "rb").read()  # the raw report was kept
    (reply,) = world.double.replies("C0ACME", message["ts"])
    assert reply["text"].startswith(f"Filed as escalation #{escalation['id']}.")


def test_a_slack_retry_of_the_submission_files_nothing_twice(world) -> None:
    message = customer_message(world)
    view = open_modal(world, message)
    assert submit(world, view).status == 200
    world.clock.now += 4  # Slack re-sends, signed anew, with X-Slack-Retry-Num
    payload = world.submission_payload(view, {"email": "jane@acme.com", "name": "Jane Doe",
                                              "subject": "Export to CSV fails",
                                              "body": blocks(view)["body"]["element"]["initial_value"]},
                                       customer="acme.com")
    assert world.interaction(payload, retry=1).status == 200
    world.executor.settle()
    assert len(intake_store.escalations(world.db)) == 1
    assert len(world.double.replies("C0ACME", message["ts"])) == 1


def test_invalid_fields_keep_the_modal_open_with_messages(world) -> None:
    view = open_modal(world, customer_message(world))
    response = submit(world, view, email="jane@globex.io")
    assert response.status == 200 and '"response_action": "errors"' in response.body
    assert "acme.com" in response.body
    response = submit(world, view, email="not an address", subject=" ")
    assert '"email"' in response.body and '"subject"' in response.body
    world.executor.settle()
    assert intake_store.escalations(world.db) == []


def test_a_long_message_is_kept_whole(world) -> None:
    text = "Export fails.\n" + "x" * 5000
    view = open_modal(world, customer_message(world, text=text))
    assert len(blocks(view)["body"]["element"]["initial_value"]) == 3000
    submit(world, view)
    world.executor.settle()
    (escalation,) = intake_store.escalations(world.db)
    assert escalation["body"].startswith(text)


@pytest.mark.parametrize("case", ["bad signature", "stale timestamp", "replay"])
def test_unverified_requests_get_401_and_change_nothing(world, case) -> None:
    message = customer_message(world)
    view = open_modal(world, message)
    body_values = {"email": "jane@acme.com", "subject": "Export fails", "body": "It fails.", "name": ""}
    body = urlencode({"payload": json.dumps(world.submission_payload(view, body_values, customer="acme.com"))})
    if case == "bad signature":
        headers = world.sign(body, secret="not-the-secret")
    elif case == "stale timestamp":
        headers = world.sign(body, timestamp=int(world.clock()) - 301)
    else:
        headers = world.sign(body)
        assert world.app.dispatch(body, headers).status == 200
        world.executor.settle()
    before = (len(intake_store.escalations(world.db)), len(world.double.calls))
    response = world.app.dispatch(body, headers)
    world.executor.settle()
    assert response.status == 401
    assert (len(intake_store.escalations(world.db)), len(world.double.calls)) == before
    assert case != "replay" or before[0] == 1


def test_the_acknowledgement_does_not_wait_for_the_work(world) -> None:
    message = customer_message(world)
    view = open_modal(world, message)
    world.double.delay["chat.postMessage"] = 1.5  # a slow Slack while looking people up and replying
    world.double.delay["users.info"] = 1.5
    started = time.perf_counter()
    response = world.interaction(world.shortcut_payload("C0ACME", message))
    assert response.status == 200 and time.perf_counter() - started < 1.0
    started = time.perf_counter()
    assert submit(world, view).status == 200
    assert time.perf_counter() - started < 1.0
    world.executor.settle()
    assert len(world.double.replies("C0ACME", message["ts"])) == 1
    (escalation,) = intake_store.escalations(world.db)
    assert escalation["forwarded_by_name"] == "Sam Agent"  # looked up after the acknowledgement


def test_the_trigger_is_spent_before_any_look_up(world) -> None:
    open_modal(world, customer_message(world))
    methods = [c.method for c in world.double.calls if c.method != "auth.test"]
    assert methods[0] == "views.open" and methods[-1] == "views.update"
    assert {"users.info", "conversations.info", "chat.getPermalink"} <= set(methods[1:-1])
    update = world.double.calls[-1]
    assert update.args["hash"] and update.args["view_id"] == world.opened_view()["id"]


def test_a_rate_limited_reply_waits_retry_after_and_goes_out(world) -> None:
    message = customer_message(world)
    view = open_modal(world, message)
    world.double.throttled["chat.postMessage"] = 7
    submit(world, view)
    world.executor.settle()
    assert world.sleeps == [7.0]
    assert len(world.double.replies("C0ACME", message["ts"])) == 1


def seed_rotation(db):
    rotation_store.upsert_engineers(db, [Engineer("ada@ourco.com", "Ada Lovelace"),
                                         Engineer("linus@ourco.com", "Linus Torvalds")])
    rotation_store.save_schedule(db, [RotationWeek(date(2026, 3, 2), "ada@ourco.com", True),
                                      RotationWeek(date(2026, 3, 9), "linus@ourco.com", True)])


def test_rotadesk_who_answers_this_week_and_next(world) -> None:
    seed_rotation(world.db)
    for verb in ("who", "oncall"):
        response = world.command(verb)
        assert response.status == 200
        assert "*Ada Lovelace*" in response.body and "Linus Torvalds" in response.body
        assert "Mon 02 Mar" in response.body


def test_rotadesk_help_and_unknown_words_list_the_commands(world) -> None:
    for text in ("help", "", "dance"):
        assert "/rotadesk who" in world.command(text).body


def test_rotadesk_file_opens_the_same_modal_and_files(world) -> None:
    response = world.command("file Acme: exports fail with 500")
    assert response.status == 200
    world.executor.settle()
    view = world.opened_view()
    assert blocks(view)["body"]["element"]["initial_value"] == "Acme: exports fail with 500"
    assert blocks(view)["customer"]["element"]["initial_option"]["value"] == "acme.com"  # from #acme-shared
    submit(world, view, body="Acme: exports fail with 500")
    world.executor.settle()
    (escalation,) = intake_store.escalations(world.db)
    (post,) = slack_store.posts(world.db, "thread")
    assert post["status"] == "sent" and f"#{escalation['id']}" in post["text"]
    assert world.db["slack_threads"].count == 1  # the confirmation is the thread the Linear issue follows in


def test_concurrent_retries_file_once(world) -> None:
    message = customer_message(world)
    view = open_modal(world, message)
    results = []

    def go(n):
        # Slack's retries are signed anew (a later timestamp), so none of them is a replay.
        payload = world.submission_payload(view, {"email": "jane@acme.com", "name": "", "subject": "Export fails",
                                                  "body": "It fails."}, customer="acme.com")
        results.append(world.interaction(payload, retry=n or None, timestamp=int(world.clock()) + n).status)

    threads = [threading.Thread(target=go, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    world.executor.settle()
    assert len(intake_store.escalations(world.db)) == 1
    assert len(world.double.replies("C0ACME", message["ts"])) == 1
    assert results == [200, 200, 200]


def test_the_http_server_hands_slack_requests_to_the_app(world) -> None:
    import urllib.error
    import urllib.request

    from ingest.slack_server import make_server

    seed_rotation(world.db)
    server = make_server(world.app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
        body = urlencode({"command": "/rotadesk", "text": "who", "team_id": "T0TEAM001", "user_id": "U0SAM",
                          "channel_id": "C0ACME", "trigger_id": world.double.issue_trigger()})
        request = urllib.request.Request(url, data=body.encode(), headers=world.sign(body), method="POST")
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status == 200 and "*Ada Lovelace*" in answer.read().decode()
        forged = urllib.request.Request(url, data=body.encode(), headers=world.sign(body, secret="x"), method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged, timeout=5)
        assert refused.value.code == 401
    finally:
        server.shutdown()
        server.server_close()


def test_the_slack_command_needs_its_token_and_secret(monkeypatch, tmp_path, capsys) -> None:
    from ingest.__main__ import main

    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("ROTADESK_DB", str(tmp_path / "t.db"))
    monkeypatch.delenv("ROTADESK_SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("ROTADESK_SLACK_SIGNING_SECRET", "s")
    assert main(["slack", "--port", "0"]) == 2
    assert "ROTADESK_SLACK_BOT_TOKEN" in capsys.readouterr().err
