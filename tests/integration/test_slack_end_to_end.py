"""One click and one submit: a Slack message becomes a linked HubSpot ticket and Linear issue, told in its thread."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import time_machine

from core.roster import Engineer
from core.rotation import RotationWeek
from core.store import intake as intake_store
from core.store import open_db
from core.store import rotation as rotation_store
from core.store import slack as slack_store
from core.store.intake import Customer
from ingest.slack_posts import slack_cycle
from ingest.worker import sync_cycle
from tests.integration.test_linking import NOW, make_world
from tests.support.slack import SIGNING_SECRET, make_slack_world


def slack_settings(settings):
    return replace(settings, slack_bot_token="xoxb-test-bot-token", slack_signing_secret=SIGNING_SECRET,
                   slack_channel="C0ROTA", team_timezone="UTC", slack_office_hours_time="10:00")


def test_from_a_slack_message_to_a_linked_ticket_and_issue_told_in_the_thread(tmp_path) -> None:
    linked = make_world(tmp_path)
    settings = slack_settings(linked.settings)
    db = open_db(settings.db, shared=True)
    intake_store.upsert_customers(db, [Customer("acme.com", "Acme Corp", "enterprise")], NOW.isoformat())
    slack = make_slack_world(db, settings, NOW)
    try:
        message = slack.double.add_message("C0ACME", "U0JANE", "Exports fail with a 500 since the upgrade.")
        # One click: the message shortcut.
        assert slack.interaction(slack.shortcut_payload("C0ACME", message)).status == 200
        slack.executor.settle()
        view = slack.opened_view()
        fields = {b["block_id"]: b["element"] for b in view["blocks"] if b.get("block_id")}
        values = {name: fields[name].get("initial_value", "") for name in ("email", "name", "subject", "body")}
        # One submit, with what the modal suggested.
        picked = fields["customer"]["initial_option"]["value"]
        assert slack.interaction(slack.submission_payload(view, values, customer=picked)).status == 200
        slack.executor.settle()
        (escalation,) = intake_store.escalations(db)

        # One worker cycle (what `python -m ingest run` repeats) links it and tells the thread.
        connectors = SimpleNamespace(hubspot=linked.hubspot, linear=linked.linear)
        with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
            sync_cycle(db, settings, connectors, slack=slack.client)
        (issue,) = linked.lin.issues.values()
        (ticket_id,) = linked.hub.records["tickets"]
        assert linked.hub.linked("tickets", ticket_id, "companies") == [linked.company_id]
        assert "Exports fail with a 500" in issue["description"] and "Acme Corp" in issue["description"]
        assert f"C0ACME/p{message['ts'].replace('.', '')}" in issue["description"]  # the permalink
        replies = [m["text"] for m in slack.double.replies("C0ACME", message["ts"])]
        assert replies[0].startswith(f"Filed as escalation #{escalation['id']}.")
        assert replies[1] == f"Escalation #{escalation['id']} is Linear issue <{issue['url']}|{issue['identifier']}>."

        # A restarted worker (a new connection, a new client) posts nothing twice.
        db2 = open_db(settings.db)
        slack_cycle(db2, settings, slack.client, NOW + timedelta(minutes=2))
        db2.close()
        assert len(slack.double.replies("C0ACME", message["ts"])) == 2
    finally:
        slack.executor.shutdown(wait=True)
        slack.stop()
        db.close()
        linked.db.close()


def test_notifications_are_posted_once_even_across_restarts(tmp_path) -> None:
    settings = slack_settings(replace(make_world(tmp_path).settings))
    db = open_db(settings.db, shared=True)
    rotation_store.upsert_engineers(db, [Engineer("ada@ourco.com", "Ada"), Engineer("linus@ourco.com", "Linus")])
    rotation_store.save_schedule(db, [RotationWeek(date(2026, 2, 23), "linus@ourco.com", True),
                                      RotationWeek(date(2026, 3, 2), "ada@ourco.com", True),
                                      RotationWeek(date(2026, 3, 9), "linus@ourco.com", True)])
    db["handoffs"].insert({"week_start": "2026-02-23", "engineer_email": "linus@ourco.com",
                           "priorities": "Finish the export fix", "submitted_at": "2026-02-27T16:00:00+00:00"})
    monday = datetime(2026, 3, 2, 9, 50, tzinfo=timezone.utc)
    rotation_store.accept_swap(db, date(2026, 3, 9), "ada@ourco.com", requested_by="Linus", decided_by="Em",
                               reason="conference", now=monday - timedelta(hours=2))
    slack = make_slack_world(db, settings, monday)
    try:
        slack.double.throttled["chat.postMessage"] = 2  # the first post meets a rate limit and waits it out
        slack_cycle(db, settings, slack.client, monday)
        posted = [m["text"] for m in slack.double.messages["C0ROTA"]]
        assert len(posted) == 3 and slack.sleeps == [2.0]
        assert any("*Ada* is on support" in t and "Finish the export fix" in t for t in posted)
        assert any(t.startswith("Office hours start at 10:00: ") for t in posted)
        assert any("Linus → *Ada* (conference)" in t for t in posted)
        for restart in range(2):
            again = open_db(settings.db)
            slack_cycle(again, settings, slack.client, monday + timedelta(minutes=5 + restart))
            again.close()
        assert len(slack.double.messages["C0ROTA"]) == 3
        assert {p["status"] for p in slack_store.posts(db, "notification")} == {"sent"}
    finally:
        slack.executor.shutdown(wait=True)
        slack.stop()
        db.close()


def test_a_post_cut_off_by_a_crash_is_never_sent_twice(tmp_path) -> None:
    settings = slack_settings(make_world(tmp_path).settings)
    db = open_db(settings.db, shared=True)
    slack = make_slack_world(db, settings, NOW)
    try:
        slack_store.enqueue(db, "swap:x", "notification", "C0ROTA", "a swap", NOW)
        assert slack_store.claim_post(db, "swap:x", NOW)  # the worker died after claiming, before Slack answered
        slack_cycle(db, settings, slack.client, NOW)
        assert slack.double.messages["C0ROTA"] == []
        slack.double.channels["C0ROTA"]["is_member"] = False  # Slack refuses: nothing posted, so it is retried
        slack_store.enqueue(db, "swap:y", "notification", "C0ROTA", "another swap", NOW)
        slack_cycle(db, settings, slack.client, NOW)
        assert slack_store.posts(db)[1]["status"] == "pending" and slack_store.posts(db)[1]["error"] == "not_in_channel"
        slack.double.channels["C0ROTA"]["is_member"] = True
        slack_cycle(db, settings, slack.client, NOW)
        assert [m["text"] for m in slack.double.messages["C0ROTA"]] == ["another swap"]
    finally:
        slack.executor.shutdown(wait=True)
        slack.stop()
        db.close()


def test_the_settings_page_health_shows_refused_slack_posts(tmp_path) -> None:
    from core import health

    settings = slack_settings(make_world(tmp_path).settings)
    db = open_db(settings.db)
    (check,) = [c for c in health.connector_health(settings, None, None, db=db, now=NOW) if c.name == "Slack"]
    assert check.ok and "C0ROTA" in check.detail
    slack_store.enqueue(db, "swap:x", "notification", "C0ROTA", "a swap", NOW)
    for _ in range(slack_store.MAX_ATTEMPTS):
        slack_store.claim_post(db, "swap:x", NOW)
        slack_store.fail_post(db, "swap:x", "not_in_channel", NOW)
    (check,) = [c for c in health.connector_health(settings, None, None, db=db, now=NOW) if c.name == "Slack"]
    assert not check.ok and check.detail == "1 refused (not_in_channel)"
    db.close()


def test_slack_secrets_never_reach_the_database_or_the_logs(tmp_path, caplog) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    settings = slack_settings(make_world(tmp_path).settings)
    db = open_db(settings.db, shared=True)
    slack = make_slack_world(db, settings, NOW)
    try:
        message = slack.double.add_message("C0ACME", "U0JANE", "Exports fail.")
        slack.interaction(slack.shortcut_payload("C0ACME", message))
        slack.executor.settle()
        view = slack.opened_view()
        slack.interaction(slack.submission_payload(view, {"email": "jane@acme.com", "name": "", "subject": "Fails",
                                                          "body": "Exports fail."}))
        slack.interaction(slack.submission_payload(view, {"email": "x", "name": "", "subject": "", "body": ""}),
                          secret="wrong")
        slack.executor.settle()
        dump = "\n".join(db.conn.iterdump())
        assert len(intake_store.escalations(db)) == 1
        for secret in (settings.slack_bot_token, settings.slack_signing_secret):
            assert secret not in dump and secret not in caplog.text
        assert "xoxb-test-bot-token" not in repr(settings)
    finally:
        slack.executor.shutdown(wait=True)
        slack.stop()
        db.close()
