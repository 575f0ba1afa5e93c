"""Sign-in and roles on every page (issue 11): signed out, refused, viewer, member and admin."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.access import WORKER, Person
from core.store import audit, rotation
from core.store import intake as store
from tests.app.conftest import ROOT
from tests.app.test_intake_page import fill_report, quarantine
from tests.app.test_replies_page import stage

PAGES = sorted(str(p) for p in (ROOT / "pages").glob("*.py"))
ALLOW = "@ourco.com=member, vic@ourco.com=viewer, ada@ourco.com=admin"
SIGNIN = {
    "ROTADESK_OIDC_METADATA_URL": "https://login.ourco.example/.well-known/openid-configuration",
    "ROTADESK_OIDC_CLIENT_ID": "rotadesk", "ROTADESK_OIDC_CLIENT_SECRET": "client-secret",
    "ROTADESK_COOKIE_SECRET": "s" * 40, "ROTADESK_SIGNIN_ALLOW": ALLOW,
}
VIEWER = {"is_logged_in": True, "email": "vic@ourco.com", "name": "Vic Viewer"}
MEMBER = {"is_logged_in": True, "email": "sam@ourco.com", "name": "Sam Support"}
ADMIN = {"is_logged_in": True, "email": "ada@ourco.com", "name": "Ada Admin"}


@pytest.fixture
def signin_env(app_env, monkeypatch, tmp_path):
    for name, value in SIGNIN.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # the calendar page writes its feeds to ./static/
    app_env.escalation(1, subject="Board view crashes")
    quarantine(app_env, "q1", "richard@piedpiper.com", "Exports are empty")
    rotation.import_roster_csv(app_env.db, "name,email\nAda Admin,ada@ourco.com\nSam Support,sam@ourco.com\n")
    return app_env


def run(page: str, user: dict, *, handed_over: bool = True) -> AppTest:
    at = AppTest.from_file(page, default_timeout=20)
    at.user = user
    if handed_over:  # what `python -m ui.serve` gives Streamlit
        at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s" * 40,
                              "client_id": "rotadesk", "client_secret": "client-secret",
                              "server_metadata_url": SIGNIN["ROTADESK_OIDC_METADATA_URL"]}
    at.run()
    assert not at.exception
    return at


def shown_text(at: AppTest) -> str:
    parts = [e.value for kind in ("text", "markdown", "caption", "title", "subheader", "info", "error", "metric")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts) + "\n".join(df.value.to_csv() for df in at.dataframe)


def trail(at: AppTest):
    """The audit trail's table on the Settings page."""
    return next(d.value for d in at.dataframe if "action" in d.value.columns)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: Path(p).stem)
def test_signed_out_a_page_shows_only_the_sign_in_button(signin_env, page: str) -> None:
    at = run(page, {"is_logged_in": False})
    assert [b.key for b in at.button] == ["signin.login"]
    assert at.button[0].label == "Sign in"
    assert not at.dataframe and not at.metric and not at.text_input and not at.selectbox
    assert "Board view crashes" not in shown_text(at) and "Exports are empty" not in shown_text(at)


def test_started_without_the_launcher_a_page_says_how_to_start_it_and_shows_nothing(signin_env) -> None:
    at = run(str(ROOT / "pages/intake.py"), {"is_logged_in": False}, handed_over=False)
    assert "start the dashboard with `python -m ui.serve`" in at.error[0].value
    assert not at.button and not at.dataframe and "Exports are empty" not in shown_text(at)


@pytest.mark.parametrize("user", [
    {"is_logged_in": True, "email": "mallory@elsewhere.example", "name": "Mallory"},
    {"is_logged_in": True, "email": "sam@ourco.com", "email_verified": False},  # the provider did not verify it
    {"is_logged_in": True, "name": "No address at all"},
], ids=["not-on-the-list", "unverified", "no-email"])
@pytest.mark.parametrize("page", PAGES, ids=lambda p: Path(p).stem)
def test_someone_not_allowed_sees_a_refusal_and_nothing_else(signin_env, page: str, user: dict) -> None:
    at = run(page, user)
    assert at.error[0].value.startswith("This account may not use Rotadesk.")
    assert [b.key for b in at.button] == ["signin.logout"]
    assert not at.dataframe and not at.metric and not at.text_input and not at.selectbox
    assert "Board view crashes" not in shown_text(at)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: Path(p).stem)
def test_without_sign_in_every_page_says_it_is_open_to_this_machine(app_env, monkeypatch, tmp_path, page) -> None:
    monkeypatch.chdir(tmp_path)
    at = run(page, {})
    assert any("Open to anyone on this machine" in m.value for m in at.markdown)


def test_a_viewer_reads_escalations_but_is_offered_no_action(signin_env) -> None:
    at = run(str(ROOT / "pages/escalations.py"), VIEWER)
    assert "Board view crashes" in shown_text(at)
    assert "Signed in as Vic Viewer <vic@ourco.com>, viewer" in [t.value for t in at.sidebar.text]
    keys = {b.key for b in at.button}
    assert not any(k.startswith("escalations.") for k in keys) and "signin.logout" in keys


def test_a_name_from_the_provider_is_shown_as_typed(signin_env) -> None:
    user = {**MEMBER, "name": "[Reset your password](https://evil.example) **now**"}
    at = run(str(ROOT / "pages/escalations.py"), user)
    assert "Signed in as [Reset your password](https://evil.example) **now** <sam@ourco.com>, member" in \
        [t.value for t in at.sidebar.text]
    assert not any("evil.example" in m.value for m in [*at.sidebar.markdown, *at.sidebar.caption])


def test_a_viewer_sees_the_review_queue_without_accept_discard_or_the_report_form(signin_env) -> None:
    at = run(str(ROOT / "pages/intake.py"), VIEWER)
    assert "Exports are empty" in shown_text(at)
    assert not [b for b in at.button if b.key and b.key.startswith("intake.")]
    assert not at.text_area and not at.text_input  # no report form


def test_a_viewer_cannot_submit_a_handoff_or_run_office_hours(signin_env) -> None:
    at = run(str(ROOT / "pages/handoff.py"), VIEWER)
    assert at.button(key="handoff.submit").disabled
    at = run(str(ROOT / "pages/office_hours.py"), VIEWER)
    assert "office_hours.discuss" not in {b.key for b in at.button}
    assert "office_hours.add" not in {b.key for b in at.button}


def test_a_member_closes_an_escalation_and_the_trail_names_them(signin_env) -> None:
    at = run(str(ROOT / "pages/escalations.py"), MEMBER)
    at.button(key="escalations.done.1").click().run()
    assert not at.exception
    assert store.escalation(signin_env.db, 1)["status"] == "done"
    entries = audit.entries(signin_env.db)
    [entry] = [e for e in entries if e["actor"] == "sam@ourco.com"]
    assert (entry["actor"], entry["role"], entry["action"], entry["target"]) == \
        ("sam@ourco.com", "member", "escalation.done", "escalation #1")
    assert json.loads(entry["changes"]) == {"status": ["open", "done"], "reply_staged": True}
    # The closing reply it staged is the closing loop's own entry.
    assert [e["action"] for e in entries if e["actor"] != "sam@ourco.com"] == ["reply.stage"]


def test_a_member_accepts_a_message_as_themselves(signin_env) -> None:
    at = run(str(ROOT / "pages/intake.py"), MEMBER)
    at.button(key="intake.discard.q1").click().run()
    assert not at.exception
    assert store.quarantined(signin_env.db, "discarded")[0]["decided_by"] == "sam@ourco.com"
    assert [(e["actor"], e["action"], e["target"]) for e in audit.entries(signin_env.db)] == \
        [("sam@ourco.com", "message.discard", "q1")]


def test_a_member_swaps_weeks_and_edits_time_off_but_not_the_roster_or_templates(signin_env) -> None:
    at = run(str(ROOT / "pages/calendar.py"), MEMBER)
    keys = {b.key for b in at.button}
    assert {"calendar.accept_swap", "calendar.save_away", "calendar.regenerate"} <= keys
    assert not keys & {"calendar.save_roster", "calendar.import"}
    assert "Only admins change the roster." in [c.value for c in at.caption]
    at = run(str(ROOT / "pages/replies.py"), MEMBER)
    assert not {"replies.template_save", "replies.template_reset"} & {b.key for b in at.button}
    at = run(str(ROOT / "pages/settings.py"), MEMBER)
    assert at.table and not [d for d in at.dataframe if "action" in d.value.columns]  # settings yes, trail no
    assert "Admins see here who did what and when." in [c.value for c in at.caption]


def test_an_admin_edits_the_roster_and_reads_the_audit_trail(signin_env) -> None:
    at = run(str(ROOT / "pages/calendar.py"), ADMIN)
    assert {"calendar.save_roster", "calendar.import"} <= {b.key for b in at.button}
    at.text_area(key="calendar.csv_text").input("name,email\nBea New,bea@ourco.com\n")
    at.button(key="calendar.import").click().run()
    assert not at.exception
    [entry] = audit.entries(signin_env.db)
    assert (entry["actor"], entry["action"]) == ("ada@ourco.com", "roster.edit")
    assert json.loads(entry["changes"])["added"] == ["bea@ourco.com"]
    at = run(str(ROOT / "pages/settings.py"), ADMIN)
    table = trail(at)
    assert table["actor"].tolist() == ["ada@ourco.com"] and table["action"].tolist() == ["roster.edit"]


def test_the_audit_trail_filters_by_person_and_action(signin_env) -> None:
    now = datetime(2026, 3, 6, 9, 0, tzinfo=timezone.utc)
    audit.record(signin_env.db, Person("sam@ourco.com", "Sam", "member"), "reply.send", "reply k1", {}, now=now)
    audit.record(signin_env.db, WORKER, "escalation.done", "escalation #1", {}, now=now)
    at = run(str(ROOT / "pages/settings.py"), ADMIN)
    at.text_input(key="settings.audit_actor").input("worker").run()
    assert not at.exception
    assert trail(at)["action"].tolist() == ["escalation.done"]
    at.text_input(key="settings.audit_actor").input("").run()
    at.selectbox(key="settings.audit_action").select("reply.send").run()
    assert trail(at)["actor"].tolist() == ["sam@ourco.com"]


# What the audit trail records for the dashboard's actions, taken by a signed-in member.
def entries(env) -> list[dict]:
    return [{**e, "changes": json.loads(e["changes"])} for e in reversed(audit.entries(env.db))]


def test_sending_a_reply_records_its_size_and_status_but_not_its_words(signin_env) -> None:
    key = stage(signin_env, 7, body="Hi Dana,\n\nFixed.")
    at = run(str(ROOT / "pages/replies.py"), MEMBER)
    at.text_area(key=f"replies.body.{key}").input("Hi Dana, all fixed now.").run()
    at.button(key=f"replies.sent.{key}").click().run()
    assert not at.exception
    [entry] = entries(signin_env)
    assert (entry["actor"], entry["action"], entry["target"]) == ("sam@ourco.com", "reply.send", f"reply {key}")
    assert entry["changes"] == {"characters": [16, 23], "edited": True, "status": ["staged", "sent"]}
    assert "Dana" not in json.dumps(entry)


def test_filing_a_report_records_the_new_escalation(signin_env) -> None:
    at = fill_report(run(str(ROOT / "pages/intake.py"), MEMBER))
    assert not at.exception
    [entry] = entries(signin_env)
    new_id = max(e["id"] for e in store.escalations(signin_env.db))
    assert (entry["action"], entry["target"]) == ("report.file", "a report from call")
    assert entry["changes"] == {"outcome": "escalation", "escalation_id": new_id}


def test_submitting_a_handoff_records_the_week_and_the_item_counts(signin_env) -> None:
    at = run(str(ROOT / "pages/handoff.py"), MEMBER)
    at.text_area(key="handoff.priorities").input("Fix the export\nTriage the board")
    at.button(key="handoff.submit").click().run()
    assert not at.exception
    [entry] = entries(signin_env)
    assert entry["action"] == "handoff.submit" and entry["target"].startswith("handoff ")
    assert entry["changes"]["items"]["priorities"] == 2 and entry["changes"]["replaced"] is False


def test_swapping_a_week_records_who_had_it_and_who_has_it(signin_env) -> None:
    at = run(str(ROOT / "pages/calendar.py"), MEMBER)
    week = at.selectbox(key="calendar.swap_week").value
    was = next(w.engineer_email for w in rotation.load_schedule(signin_env.db) if w.week_start == week)
    at.selectbox(key=f"calendar.swap_to.{week}").select_index(0).run()
    target = at.selectbox(key=f"calendar.swap_to.{week}").value
    at.text_input(key="calendar.requested_by").input("Sam")
    at.text_input(key="calendar.decided_by").input("Ada")
    at.text_input(key="calendar.reason").input("dentist")
    at.button(key="calendar.accept_swap").click().run()
    assert not at.exception
    [entry] = [e for e in entries(signin_env) if e["action"] == "rotation.swap"]
    assert entry["target"] == f"week {week}"
    assert entry["changes"] == {"engineer": [was, target], "requested_by": "Sam", "decided_by": "Ada",
                                "reason": "dentist"}


def test_a_viewer_cannot_change_the_playbook_hand_back_or_mark_planning_reviewed(signin_env) -> None:
    at = run(str(ROOT / "pages/playbook.py"), VIEWER)
    assert at.button(key="playbook.save").disabled and at.button(key="playbook.handback.submit").disabled
    assert "playbook.delete" not in {b.key for b in at.button}
    at = run(str(ROOT / "pages/playbook.py"), MEMBER)
    assert at.button(key="playbook.save").disabled  # rules are an admin's
    assert not at.button(key="playbook.handback.submit").disabled
    at = run(str(ROOT / "pages/playbook.py"), ADMIN)
    assert not at.button(key="playbook.save").disabled
