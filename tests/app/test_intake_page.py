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
