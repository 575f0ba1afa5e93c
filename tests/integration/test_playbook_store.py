"""The playbook in the store: default rules, edits, the decision recorded at intake, and hand-backs."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from core import playbook as pb
from core.errors import ValidationError
from core.report import Report
from core.store import intake as store
from core.store import playbook as playbook_store
from ingest.pipeline import ingest_raw, ingest_report

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
STAMP = "2026-11-27T09:00:00+00:00"


@pytest.fixture
def demo_settings(settings):
    return replace(settings, company_domains=("flowboard.io",))


def test_a_new_database_starts_with_the_written_rule(db) -> None:
    rules = playbook_store.rules(db)
    assert [r.name for r in rules] == [r.name for r in pb.DEFAULT_RULES]
    assert {r.support_tier for r in rules} == {1, 2, 3}
    assert all(r.id for r in rules)


def test_rules_are_saved_edited_and_deleted(db) -> None:
    rule_id = playbook_store.save_rule(db, pb.Rule("Exports", 3, keywords=("Export", "csv"), position=5), STAMP)
    saved = next(r for r in playbook_store.rules(db) if r.id == rule_id)
    assert (saved.keywords, saved.position) == (("export", "csv"), 5)
    assert playbook_store.rules(db)[0].id == rule_id  # position 5 comes before the defaults
    playbook_store.save_rule(db, replace(saved, support_tier=2, senders=("globex.com",)), STAMP)
    edited = next(r for r in playbook_store.rules(db) if r.id == rule_id)
    assert (edited.support_tier, edited.senders) == (2, ("globex.com",))
    with pytest.raises(ValidationError, match="at least one condition"):
        playbook_store.save_rule(db, pb.Rule("empty", 3, id=rule_id), STAMP)
    playbook_store.delete_rule(db, rule_id, STAMP)
    assert rule_id not in [r.id for r in playbook_store.rules(db)]
    with pytest.raises(ValidationError, match="no rule"):
        playbook_store.save_rule(db, edited, STAMP)
    assert [c["summary"] for c in playbook_store.changes(db)] == [  # the pulse chart marks these weeks
        "added “Exports”", "changed “Exports”", "removed “Exports”"]


def test_intake_records_the_rule_that_fired_and_the_support_tier(db, demo_settings) -> None:
    store.upsert_customers(db, store.parse_customers_csv((SAMPLES / "customers.csv").read_text()), "now")
    playbook_store.save_rule(db, pb.Rule("Exports", 3, keywords=("export",), customer_tiers=("business",)), STAMP)
    outcomes = {p.name: ingest_raw(db, demo_settings, p.read_bytes(), source="imap", now=NOW)
                for p in sorted(SAMPLES.glob("*.eml"))}
    audit = store.escalation(db, outcomes["04-forward-as-attachment-umbrella.eml"].escalation_id)
    assert (audit["tier"], audit["playbook_rule"], audit["support_tier"], audit["routing"]) == \
        ("enterprise", "Enterprise data loss", 3, "urgent")
    ics = store.escalation(db, outcomes["12-gmail-forward-timezone-wrong-on-exported-cal.eml"].escalation_id)
    assert (ics["playbook_rule"], ics["routing"]) == ("Exports", "normal")
    csv = store.escalation(db, outcomes["01-gmail-forward-acme.eml"].escalation_id)  # enterprise: not "Exports"
    assert (csv["playbook_rule"], csv["playbook_rule_id"], csv["support_tier"]) == (None, None, 3)


def test_a_report_entered_by_a_person_is_matched_as_a_report(db, settings) -> None:
    playbook_store.save_rule(db, pb.Rule("Calls", 2, sources=("report",), position=1), STAMP)
    outcome = ingest_report(db, settings, Report(customer_email="kim@acme.example", customer_name="Kim",
                                                 subject="Question from a call", body="Can we get a demo?",
                                                 source="call", reported_by="Maria"), now=NOW)
    row = store.escalation(db, outcome.escalation_id)
    assert (row["playbook_rule"], row["support_tier"]) == ("Calls", 2)
    assert next(r for r in playbook_store.recent(db) if r["id"] == outcome.escalation_id)["source"] == "report"


def test_handing_back_records_the_reason_and_the_rule(db, demo_settings) -> None:
    outcome = ingest_raw(db, demo_settings, (SAMPLES / "04-forward-as-attachment-umbrella.eml").read_bytes(),
                         source="imap", now=NOW)
    store.upsert_customers(db, [store.Customer("umbrella.co", "Umbrella", "enterprise")], "now")
    with pytest.raises(ValidationError, match="Say why"):
        playbook_store.hand_back(db, outcome.escalation_id, 1, " ", "sam", STAMP)
    with pytest.raises(ValidationError, match="no escalation"):
        playbook_store.hand_back(db, 999, 1, "x", "sam", STAMP)
    playbook_store.hand_back(db, outcome.escalation_id, 2, "Known issue, workaround in the help centre", "Ada", STAMP)
    playbook_store.hand_back(db, outcome.escalation_id, 1, "Documented workaround", "Ada", STAMP)  # replaces
    [back] = playbook_store.handbacks(db)
    row = store.escalation(db, outcome.escalation_id)
    assert (back["reason"], back["support_tier"], back["rule_name"]) == ("Documented workaround", 1,
                                                                         row["playbook_rule"])
    assert (row["support_tier"], row["routing"], row["status"]) == (1, "normal", "open")
