from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.store import intake as store

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "intake.py")


def quarantine(app_env, message_id: str, sender: str, subject: str, raw: bytes | None = None) -> None:
    raw_path = app_env.path.parent / f"{message_id}.eml"
    raw_path.write_bytes(raw or b"")
    store.record_inbound(app_env.db, {"message_id": message_id, "source": "test", "raw_path": str(raw_path),
                                      "sha256": message_id, "size": 1, "received_at": "2026-11-27T10:00:00+00:00",
                                      "status": "quarantined"})
    store.quarantine(app_env.db, {"message_id": message_id, "reason": "needs review: direct mail",
                                  "sender": sender, "subject": subject, "received_at": "2026-11-27T10:00:00+00:00"})


def test_empty_intake_says_nothing_waits(app_env) -> None:
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    assert at.info[0].value == "Nothing waits for review."
    assert [m.value for m in at.metric] == ["0"] * 5


def test_discard_removes_a_message_from_review(app_env) -> None:
    quarantine(app_env, "q1", "richard@piedpiper.com", "Board view crashes")
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    assert any("Board view crashes" in t.value for t in at.text)
    at.button(key="intake.discard.q1").click().run()
    assert not at.exception
    assert store.quarantined(app_env.db) == []
    assert store.quarantined(app_env.db, "discarded")[0]["decided_by"] == "dashboard"


def test_accept_turns_a_message_into_an_escalation(app_env) -> None:
    raw = (b"From: Richard Hendricks <richard@piedpiper.com>\r\nTo: bugs@ourco.com\r\n"
           b"Message-ID: <q2@piedpiper.com>\r\nSubject: Board view crashes\r\n\r\nThe board is blank.\r\n")
    quarantine(app_env, "q2@piedpiper.com", "richard@piedpiper.com", "Board view crashes", raw)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    at.button(key="intake.accept.q2@piedpiper.com").click().run()
    assert not at.exception
    [escalation] = store.escalations(app_env.db)
    assert escalation["customer_address"] == "richard@piedpiper.com"
    assert escalation["subject"] == "Board view crashes"
    assert store.quarantined(app_env.db) == []


def test_empty_customer_list_says_how_to_import(app_env) -> None:
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    assert "No customers yet" in at.info[-1].value


def fill_report(at: AppTest, **values: str) -> AppTest:
    fields = {"customer_email": "jane@customer.com", "customer_name": "Jane Roe", "subject": "Export fails",
              "body": "It fails with error 500 since Monday.", "reported_by": "Maria Lopez", **values}
    for name, value in fields.items():
        widget = at.text_area(key=f"intake.report.{name}") if name == "body" else at.text_input(
            key=f"intake.report.{name}")
        widget.input(value)
    at.selectbox(key="intake.report.source").select("call")
    return at.button(key="FormSubmitter:intake.report_form-File the report").click().run()


def test_a_report_from_a_call_is_filed_in_one_step(app_env) -> None:
    at = fill_report(AppTest.from_file(PAGE, default_timeout=20).run())
    assert not at.exception
    assert at.success[0].value == "Filed as escalation #1."
    [escalation] = store.escalations(app_env.db)
    assert (escalation["customer_address"], escalation["forwarded_by_name"]) == ("jane@customer.com", "Maria Lopez")
    assert escalation["note"] == "Reported from a call by Maria Lopez."
    assert at.text_input(key="intake.report.subject").value == ""  # the form is cleared for the next one
    assert at.text_input(key="intake.report.reported_by").value == "Maria Lopez"  # but remembers who files


def test_a_bad_report_keeps_what_was_typed_and_says_what_to_fix(app_env) -> None:
    at = fill_report(AppTest.from_file(PAGE, default_timeout=20).run(), customer_email="jane at customer")
    assert not at.exception
    assert "is not an email address" in at.error[0].value
    assert at.text_input(key="intake.report.subject").value == "Export fails"
    assert store.escalations(app_env.db) == []


def failed_message(app_env, message_id: str, raw: bytes) -> None:
    sha, raw_path = store.store_blob(app_env.path.parent / "data" / "raw", raw, ".eml")
    store.record_inbound(app_env.db, {"message_id": message_id, "source": "imap", "raw_path": str(raw_path),
                                      "sha256": sha, "size": len(raw), "received_at": "2026-11-27T10:00:00+00:00",
                                      "status": "failed", "reason": "over the time budget: more than 30 s",
                                      "attempts": 3})


def test_a_failed_message_can_be_downloaded_and_retried(app_env) -> None:
    # Issue 17: a message left for a person after its attempts is shown with Retry and Download raw.
    raw = (b"From: Richard Hendricks <richard@piedpiper.com>\r\nTo: bugs@ourco.com\r\n"
           b"Message-ID: <f1@piedpiper.com>\r\nSubject: Board view crashes\r\n\r\nThe board is blank.\r\n")
    failed_message(app_env, "f1@piedpiper.com", raw)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    assert any("over the time budget" in c.value for c in at.caption)
    assert at.metric[4].value == "1"
    at.button(key="intake.retry.f1@piedpiper.com").click().run()
    assert not at.exception
    assert store.inbound(app_env.db, "f1@piedpiper.com")["status"] == "quarantined"  # direct mail: now for review
    assert at.success[0].value.startswith("Retried f1@piedpiper.com: quarantined")


def test_accept_of_an_unreadable_message_shows_an_error(app_env) -> None:
    quarantine(app_env, "q3@piedpiper.com", "richard@piedpiper.com", "Gone", b"x")
    (app_env.path.parent / "q3@piedpiper.com.eml").unlink()
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    at.button(key="intake.accept.q3@piedpiper.com").click().run()
    assert not at.exception
    assert "could not accept" in at.error[0].value
    assert store.quarantined(app_env.db)[0]["message_id"] == "q3@piedpiper.com"


def test_a_reviewer_reads_the_message_as_text_before_deciding(app_env) -> None:
    # Issue 18: the body is shown as inert text, markup and all, before Accept or Discard.
    raw = (b"From: Richard Hendricks <richard@piedpiper.com>\r\nTo: bugs@ourco.com\r\n"
           b"Message-ID: <q9@piedpiper.com>\r\nSubject: Board view crashes\r\n\r\n"
           b"The board is **blank** <script>alert(1)</script>.\r\n")
    quarantine(app_env, "q9@piedpiper.com", "richard@piedpiper.com", "Board view crashes", raw)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not any("blank" in t.value for t in at.text)
    at.toggle(key="intake.show.q9@piedpiper.com").set_value(True).run()
    assert not at.exception
    [shown] = [t.value for t in at.text if "blank" in t.value]
    assert "The board is **blank** <script>alert(1)</script>." in shown
    assert not any("blank" in m.value for m in at.markdown)
    assert store.quarantined(app_env.db)[0]["message_id"] == "q9@piedpiper.com"  # reading decides nothing


def ignore(app_env, message_id: str, raw: bytes, reason: str) -> None:
    raw_path = app_env.path.parent / f"{message_id}.eml"
    raw_path.write_bytes(raw)
    store.record_inbound(app_env.db, {"message_id": message_id, "source": "test", "raw_path": str(raw_path),
                                      "sha256": message_id, "size": len(raw), "status": "ignored", "reason": reason,
                                      "received_at": "2026-11-27T10:00:00+00:00"})


def test_an_ignored_message_taken_in_becomes_an_escalation(app_env) -> None:
    # Issue 18: a customer's "Out of office: export fails" was no auto-reply.
    raw = (b"From: Lena Lind <lena@shop.example>\r\nTo: bugs@ourco.com\r\nMessage-ID: <oo1@shop.example>\r\n"
           b"Subject: Out of office: export fails\r\nPrecedence: bulk\r\n\r\nThe export fails while we are out.\r\n")
    ignore(app_env, "oo1@shop.example", raw, "Precedence: bulk")
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    at.selectbox(key="intake.take_in_choice").select("oo1@shop.example")
    at.button(key="intake.take_in").click().run()
    assert not at.exception
    [escalation] = store.escalations(app_env.db)
    assert escalation["customer_address"] == "lena@shop.example"
    assert at.success[0].value == f"Took in oo1@shop.example as escalation #{escalation['id']}."
    row = store.inbound(app_env.db, "oo1@shop.example")
    assert row["status"] == "escalation" and "taken in by dashboard" in row["reason"]
    assert store.ignored_messages(app_env.db) == []
