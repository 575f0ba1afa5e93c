"""The intake pipeline against the store: one outcome per message, nothing lost, nothing twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from core.errors import IngestError, ValidationError
from core.report import Report
from core.store import intake as store
from ingest import pipeline
from ingest.pipeline import ingest_raw

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def demo_settings(settings):
    return replace(settings, company_domains=("flowboard.io",))


def ingest_samples(db, settings) -> dict[str, pipeline.Outcome]:
    return {p.name: ingest_raw(db, settings, p.read_bytes(), source="test", now=NOW)
            for p in sorted(SAMPLES.glob("*.eml"))}


def test_each_sample_gets_the_outcome_a_reviewer_expects(db, demo_settings) -> None:
    store.upsert_customers(db, store.parse_customers_csv((SAMPLES / "customers.csv").read_text()), "now")
    outcomes = ingest_samples(db, demo_settings)
    assert {name: o.status for name, o in outcomes.items()} == {
        "01-gmail-forward-acme.eml": "escalation",
        "02-outlook-forward-globex.eml": "escalation",
        "03-apple-mail-forward-initech.eml": "escalation",
        "04-forward-as-attachment-umbrella.eml": "escalation",
        "05-outlook-web-html-hooli.eml": "escalation",
        "06-followup-acme.eml": "followup",
        "07-out-of-office.eml": "ignored",
        "08-direct-customer.eml": "quarantined",
        "09-bounce.eml": "ignored",
        "10-gmail-forward-reminder-emails-sent-twice.eml": "escalation",
        "11-gmail-forward-api-returns-500-for-archived-p.eml": "escalation",
        "12-gmail-forward-timezone-wrong-on-exported-cal.eml": "escalation",
        "13-gmail-forward-cannot-remove-a-deactivated-us.eml": "escalation",
    }
    by_customer = {e["customer_address"]: e for e in store.escalations(db) if e["id"] <= 5}
    assert set(by_customer) == {"jane.smith@acme-corp.com", "hank.scorpio@globex.com", "peter.gibbons@initech.com",
                                "alice.abernathy@umbrella.co", "gavin.belson@hooli.com"}
    acme = by_customer["jane.smith@acme-corp.com"]
    assert (acme["company"], acme["tier"], acme["forwarded_by_address"]) == ("Acme Corp", "enterprise",
                                                                             "maria.lopez@flowboard.io")
    assert "month-end close" in acme["body"] and "biggest account" in acme["note"]
    assert acme["followups"] == 1
    assert outcomes["06-followup-acme.eml"].escalation_id == acme["id"]
    assert "PDF export" in store.followups(db, acme["id"])[0]["body"]


def test_the_same_message_twice_is_one_escalation(db, settings) -> None:
    raw = (SAMPLES / "01-gmail-forward-acme.eml").read_bytes()
    settings = replace(settings, company_domains=("flowboard.io",))
    first = ingest_raw(db, settings, raw, source="imap", now=NOW)
    again = ingest_raw(db, settings, raw, source="imap", now=NOW)
    resent = ingest_raw(db, settings, raw.replace(b"Return-Path", b"X-Resent: 1\r\nReturn-Path", 1), source="imap",
                        now=NOW)
    assert first.status == "escalation"
    assert (again.status, resent.status) == ("duplicate", "duplicate")
    assert db["escalations"].count == 1


def test_raw_bytes_are_kept_before_processing_and_a_failure_can_be_replayed(db, demo_settings, monkeypatch) -> None:
    raw = (SAMPLES / "02-outlook-forward-globex.eml").read_bytes()

    def broken_parse(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("ingest.parse.parse", broken_parse)
    outcome = ingest_raw(db, demo_settings, raw, source="imap", now=NOW)
    assert outcome.status == "failed"
    [row] = store.messages_to_replay(db)
    assert Path(row["raw_path"]).read_bytes() == raw
    monkeypatch.undo()
    [replayed] = pipeline.replay(db, demo_settings, now=NOW)
    assert replayed.status == "escalation"
    assert store.messages_to_replay(db) == []
    assert db["escalations"].count == 1


def test_an_oversize_message_is_quarantined_with_its_size(db, settings) -> None:
    small = replace(settings, max_message_mb=0.001)
    outcome = ingest_raw(db, small, b"From: a@ourco.com\r\n\r\n" + b"x" * 5000, source="imap", now=NOW)
    assert outcome.status == "quarantined"
    assert "oversize" in store.quarantined(db)[0]["reason"]


def test_attachments_are_stored_by_content_and_large_ones_only_recorded(db, settings) -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Sam <sam@ourco.com>", "bugs@ourco.com", "Fwd: Crash on save"
    msg["Message-ID"] = "<att@ourco.com>"
    msg.set_content("---------- Forwarded message ---------\nFrom: Jane <jane@acme.com>\nDate: Mon, 23 Nov 2026 "
                    "at 09:00\nSubject: Crash on save\nTo: support@ourco.com\n\nIt crashes when I save.\n")
    msg.add_attachment(b"small log", maintype="text", subtype="plain", filename="log.txt")
    msg.add_attachment(b"\0" * 200_000, maintype="application", subtype="octet-stream", filename="dump.bin")
    limited = replace(settings, max_attachment_mb=0.1)
    outcome = ingest_raw(db, limited, msg.as_bytes(), source="imap", now=NOW)
    assert outcome.status == "escalation"
    attachments = {a["filename"]: a for a in store.escalation(db, outcome.escalation_id)["attachments"]}
    assert attachments["log.txt"]["stored"] is True and attachments["dump.bin"]["stored"] is False
    assert attachments["dump.bin"]["size"] == 200_000
    stored = list(limited.attachments_dir.rglob("*"))
    assert [p.name for p in stored if p.is_file()] == [attachments["log.txt"]["sha256"]]


def test_accepting_a_quarantined_mail_files_it_under_its_sender(db, demo_settings) -> None:
    raw = (SAMPLES / "08-direct-customer.eml").read_bytes()
    outcome = ingest_raw(db, demo_settings, raw, source="imap", now=NOW)
    assert outcome.status == "quarantined"
    escalation_id = pipeline.accept_quarantined(db, demo_settings, outcome.message_id, by="sam", now=NOW)
    assert store.escalation(db, escalation_id)["customer_address"] == "richard@piedpiper.com"
    assert ingest_raw(db, demo_settings, raw, source="imap", now=NOW).status == "duplicate"


REPORT = Report("jane@customer.com", "Export fails", "It fails with error 500.", "call", "Maria Lopez",
                customer_name="Jane Roe", link="https://calls.example/rec/1")


def test_a_report_by_hand_becomes_one_escalation_under_the_customer(db, settings) -> None:
    outcome = pipeline.ingest_report(db, settings, REPORT, now=NOW)
    again = pipeline.ingest_report(db, settings, replace(REPORT, reported_by="Sam Agent"), now=NOW)
    assert (outcome.status, again.status, again.escalation_id) == ("escalation", "duplicate", outcome.escalation_id)
    e = store.escalation(db, outcome.escalation_id)
    assert (e["customer_name"], e["customer_address"], e["customer_domain"]) == ("Jane Roe", "jane@customer.com",
                                                                               "customer.com")
    assert (e["subject"], e["body"], e["forwarded_by_name"]) == ("Export fails", "It fails with error 500.",
                                                                 "Maria Lopez")
    assert e["note"] == "Reported from a call by Maria Lopez.\nhttps://calls.example/rec/1"
    assert store.inbound(db, outcome.message_id)["source"] == "report"  # kept on disk like any message


def test_a_report_that_fails_midway_is_kept_and_replayed(db, settings, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "create_escalation", broken)
    with pytest.raises(IngestError, match="python -m ingest replay"):
        pipeline.ingest_report(db, settings, REPORT, now=NOW)
    monkeypatch.undo()
    [replayed] = pipeline.replay(db, settings, now=NOW)
    assert replayed.status == "escalation"  # filed without review, as entered: not quarantined by the trust rules
    assert store.escalation(db, replayed.escalation_id)["note"].startswith("Reported from a call by Maria Lopez.")


def test_a_bad_report_is_refused_and_nothing_is_stored(db, settings) -> None:
    with pytest.raises(ValidationError, match="not an email address"):
        pipeline.ingest_report(db, settings, replace(REPORT, customer_email="jane"), now=NOW)
    assert db["inbound_messages"].count == 0
