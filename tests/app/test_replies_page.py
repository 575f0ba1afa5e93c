"""The Replies page: the queue of staged replies, mark sent, timings, and the template editor."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core import templates
from core.store import replies as store
from tests.app.conftest import ROOT

PAGE = str(ROOT / "pages" / "replies.py")


def stage(env, n: int, *, body: str = "Hi Dana,\n\nFixed.", done: str = "2026-03-02T10:00:00+00:00",
          staged: str = "2026-03-02T10:05:00+00:00", status: str = "staged", **extra) -> str:
    escalation_id = env.escalation(n, customer_name=f"Customer {n}", tier="enterprise")
    key = f"issue-{n}:local-{escalation_id}:{done}"
    store.claim(env.db, {"key": key, "escalation_id": escalation_id, "linear_issue_id": f"issue-{n}",
                         "hubspot_ticket_id": f"local-{escalation_id}", "outcome": "fixed", "body": body,
                         "done_at": done, "staged_at": staged, "status": status, "issue_identifier": f"ENG-{n}",
                         "state_name": "Done", "subject": f"Send closing reply: Bug number {n}", **extra})
    return key


def run() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=15).run()
    assert not at.exception
    return at


def test_an_empty_queue_says_what_will_appear(app_env) -> None:
    at = run()
    assert "No replies waiting" in at.info[0].value
    assert at.metric[0].value == "0"


def test_the_queue_shows_replies_oldest_first_with_customer_and_outcome(app_env) -> None:
    newer = stage(app_env, 1, done="2026-03-03T10:00:00+00:00", staged="2026-03-03T10:02:00+00:00")
    older = stage(app_env, 2, done="2026-03-01T10:00:00+00:00", staged="2026-03-01T10:10:00+00:00")
    at = run()
    areas = [a.key for a in at.text_area if a.key.startswith("replies.body.")]
    assert areas == [f"replies.body.{older}", f"replies.body.{newer}"]
    texts = [t.value for t in at.text]
    assert any("Customer 2 · Acme · tier enterprise" in t for t in texts)
    assert any("ENG-2 → Done (Fixed)" in t for t in texts)
    assert any(t.startswith("To: user2@acme.example\nSubject: Re: Bug number 2") for t in texts)  # issue 19
    assert not any("T10:00:00" in t for t in texts)  # times as people read them, not ISO
    # The body shows once, in the box to edit; the copy button's block waits in a popover.
    assert [p.code[0].value for p in at.get("popover")] == ["Hi Dana,\n\nFixed."] * 2
    assert at.metric[0].value == "2" and at.metric[1].value == "6 min"  # median of 2 and 10 minutes


def test_email_content_is_shown_as_text_not_rendered(app_env) -> None:
    stage(app_env, 1, body="<img src=x onerror=alert(1)> **bold** [link](http://evil.example)")
    at = run()
    assert at.code[0].value == "<img src=x onerror=alert(1)> **bold** [link](http://evil.example)"
    assert all("onerror" not in m.value for m in at.markdown)


def test_mark_sent_records_the_edited_reply(app_env) -> None:
    key = stage(app_env, 1)
    at = run()
    at.text_area(key=f"replies.body.{key}").input("Hi Dana, all fixed now.").run()
    at.button(key=f"replies.sent.{key}").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Marked sent")
    row = store.reply(app_env.db, key)
    assert (row["status"], row["body"]) == ("sent", "Hi Dana, all fixed now.") and row["sent_at"]
    assert not [a for a in at.text_area if a.key.startswith("replies.body.")]


def test_an_emptied_reply_is_refused(app_env) -> None:
    key = stage(app_env, 1)
    at = run()
    at.text_area(key=f"replies.body.{key}").input("   ").run()
    at.button(key=f"replies.save.{key}").click().run()
    assert not at.exception
    assert "empty" in at.error[0].value
    assert store.reply(app_env.db, key)["body"] == "Hi Dana,\n\nFixed."


def test_a_reply_still_staging_cannot_be_marked_sent(app_env) -> None:
    key = stage(app_env, 1, status="staging", staged=None, error="HubSpot: 503")
    at = run()
    assert at.button(key=f"replies.sent.{key}").disabled
    assert "Still being staged" in at.warning[0].value


def test_the_template_editor_previews_and_saves(app_env) -> None:
    at = run()
    assert at.text_area(key="replies.template.fixed").value == templates.DEFAULTS["fixed"]
    at.text_area(key="replies.template.fixed").input("Hello {first_name}, {issue_identifier} is fixed.").run()
    assert not at.exception
    assert "Hello Dana, ENG-42 is fixed." in [c.value for c in at.code]
    at.button(key="replies.template_save").click().run()
    assert not at.exception
    assert store.template_bodies(app_env.db) == {"fixed": "Hello {first_name}, {issue_identifier} is fixed."}


def test_an_unknown_placeholder_is_named_and_not_saved(app_env) -> None:
    at = run()
    at.selectbox(key="replies.template_outcome").select("wont_fix").run()
    at.text_area(key="replies.template.wont_fix").input("Hi {customer}").run()
    assert not at.exception
    assert "{customer}" in at.error[0].value
    assert at.button(key="replies.template_save").disabled
    assert store.template_bodies(app_env.db) == {}


def test_reset_restores_the_default_template(app_env) -> None:
    store.save_template(app_env.db, "fixed", "Custom {first_name}", "2026-03-01T00:00:00+00:00")
    at = run()
    assert at.text_area(key="replies.template.fixed").value == "Custom {first_name}"
    at.button(key="replies.template_reset").click().run()
    assert not at.exception
    assert store.template_bodies(app_env.db) == {}
    assert at.text_area(key="replies.template.fixed").value == templates.DEFAULTS["fixed"]
