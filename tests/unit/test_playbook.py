"""The playbook's rules, pure: conditions, order, validation, preview, hand-back ranking and the Markdown export."""

from __future__ import annotations

import time

import pytest

from core import playbook as pb
from core.errors import ValidationError


def row(n: int = 1, **extra) -> dict:
    return {"id": n, "subject": "Board view crashes", "body": "Since Monday the board shows an error.",
            "tier": "business", "customer_address": "ann@acme.example", "forwarded_by_address": "sam@ourco.com",
            **extra}


def decide(r: dict, rules=pb.DEFAULT_RULES, source: str = "imap") -> pb.Decision:
    return pb.evaluate(rules, pb.facts(r, source))


def test_enterprise_data_loss_is_tier_3_and_urgent() -> None:
    d = decide(row(tier="enterprise", body="We lost data: a whole project was DELETED overnight."))
    assert (d.support_tier, d.routing, d.rule_name, d.owner) == (3, "urgent", "Enterprise data loss", "engineer")


def test_the_same_words_from_a_business_customer_do_not_fire_the_enterprise_rule() -> None:
    d = decide(row(tier="business", body="A project was deleted overnight."))
    assert d == pb.NO_RULE and d.owner == "engineer"


@pytest.mark.parametrize(("body", "tier", "rule"), [
    ("How do I export the board?", 1, "How-to questions"),
    ("Please resend the INVOICE for March", 2, "Billing and accounts"),
    ("Is it possible to rename a workspace?", 1, "How-to questions"),
])
def test_support_keeps_tier_1_and_2(body: str, tier: int, rule: str) -> None:
    d = decide(row(body=body))
    assert (d.support_tier, d.rule_name, d.owner) == (tier, rule, "support")


def test_keywords_match_whole_words_not_parts_of_words() -> None:
    rule = pb.Rule("500s", 3, "urgent", keywords=("500",))
    assert decide(row(body="The API returns 500 for archived projects"), [rule]).rule_name == "500s"
    assert decide(row(body="We have 1500 users"), [rule]) == pb.NO_RULE
    # Punctuation and line breaks between the words of a phrase do not matter; case does not either.
    phrase = pb.Rule("loss", 3, keywords=("data loss",))
    assert decide(row(body="Serious DATA,\nloss here"), [phrase]).rule_name == "loss"


def test_first_matching_rule_in_order_wins_and_disabled_rules_never_fire() -> None:
    late = pb.Rule("late", 2, keywords=("board",), position=20, id=1)
    early = pb.Rule("early", 3, keywords=("crashes",), position=10, id=2)
    assert decide(row(), [late, early]).rule_name == "early"
    assert decide(row(), [late, pb.Rule("early", 3, keywords=("crashes",), position=10, enabled=False)]).rule_name \
        == "late"


@pytest.mark.parametrize(("pattern", "address", "hit"), [
    ("ann@acme.example", "ann@acme.example", True),
    ("acme.example", "ann@acme.example", True),
    ("@acme.example", "bo@eu.acme.example", True),
    ("acme.example", "ann@notacme.example", False),
    ("bo@acme.example", "ann@acme.example", False),
])
def test_sender_is_an_address_or_a_domain(pattern: str, address: str, hit: bool) -> None:
    rule = pb.Rule("sender", 2, senders=(pattern,))
    assert (decide(row(customer_address=address), [rule]).rule_name == "sender") is hit


def test_the_forwarder_counts_as_a_sender_and_source_tells_reports_from_mail() -> None:
    by_sam = pb.Rule("sam's", 2, senders=("sam@ourco.com",))
    assert decide(row(), [by_sam]).rule_name == "sam's"
    reports = pb.Rule("reports", 1, sources=("report",))
    assert decide(row(), [reports], source="report").rule_name == "reports"
    assert decide(row(), [reports], source="demo:01.eml") == pb.NO_RULE


def test_unknown_customers_match_the_unknown_tier() -> None:
    rule = pb.Rule("strangers", 1, customer_tiers=("unknown",))
    assert decide(row(tier=None), [rule]).rule_name == "strangers"
    assert decide(row(), [rule]) == pb.NO_RULE


def test_validate_tidies_terms_and_refuses_bad_rules() -> None:
    tidy = pb.validate(pb.Rule("  Data   loss ", 3, keywords=pb.terms("Data Loss, deleted\n\ndeleted"),
                               senders=pb.terms("ACME.example")))
    assert (tidy.name, tidy.keywords, tidy.senders) == ("Data loss", ("data loss", "deleted"), ("acme.example",))
    for bad, message in [
        (pb.Rule("", 3, keywords=("x",)), "name"),
        (pb.Rule("r", 4, keywords=("x",)), "support tier"),
        (pb.Rule("r", 3, "whenever", keywords=("x",)), "Routing"),
        (pb.Rule("r", 3, customer_tiers=("platinum",)), "customer tier"),
        (pb.Rule("r", 3, keywords=("!!!",)), "letter or digit"),
        (pb.Rule("r", 3, senders=("not an address",)), "address or a domain"),
        (pb.Rule("r", 3), "at least one condition"),
    ]:
        with pytest.raises(ValidationError, match=message):
            pb.validate(bad)
    with pytest.raises(ValidationError, match="at most"):
        pb.terms([f"k{i}" for i in range(pb.MAX_TERMS + 1)])


def test_matching_stays_linear_on_hostile_text() -> None:
    # A megabyte of one repeated character with near-miss keywords: a backtracking matcher would take minutes.
    hostile = row(subject="a" * 1_000_000, body=("a " * 500_000) + "b")
    rules = [pb.Rule(f"r{i}", 3, keywords=("a" * 99 + "b", "a a a a a a a c")) for i in range(10)]
    started = time.perf_counter()
    assert decide(hostile, rules) == pb.NO_RULE
    assert time.perf_counter() - started < 5


def test_preview_shows_what_each_rule_matches_and_where_it_fires_first() -> None:
    how = pb.Rule("how", 1, keywords=("how do i",), position=1, id=1)
    crash = pb.Rule("crash", 3, keywords=("crashes",), position=2, id=2)
    rows = [row(1), row(2, subject="How do I stop crashes?"), row(3, subject="Hello", body="")]
    catches = pb.preview([crash, how], [(r, pb.facts(r, "imap")) for r in rows])
    assert [(c.rule.name, c.matched, c.fires) for c in catches] == [("how", [2], [2]), ("crash", [1, 2], [1])]


def test_handback_ranking_puts_the_rules_to_fix_first() -> None:
    routed = [{"playbook_rule": "crash"}] * 4 + [{"playbook_rule": "how"}] * 2 + [{"playbook_rule": None}] * 3
    backs = [{"rule_name": "how"}, {"rule_name": "how"}, {"rule_name": "crash"}, {"rule_name": None}]
    ranking = pb.handback_ranking(backs, routed)
    assert [(c.rule, c.handed_back, c.routed) for c in ranking] == [
        ("how", 2, 2), ("(no rule: tier 3 by default)", 1, 3), ("crash", 1, 4)]
    assert ranking[0].share == 1.0


def test_handback_needs_a_support_tier_and_a_reason() -> None:
    assert pb.validate_handback(2, "  Known  workaround ") == "Known workaround"
    with pytest.raises(ValidationError, match="tier 1 or tier 2"):
        pb.validate_handback(3, "x")
    with pytest.raises(ValidationError, match="Say why"):
        pb.validate_handback(1, "   ")


def test_markdown_export_lists_enabled_rules_in_order_with_terms_escaped() -> None:
    rules = [pb.Rule("Second | rule", 2, keywords=("a|b", "[x](javascript:y)"), position=2),
             pb.Rule("First", 3, "urgent", customer_tiers=("enterprise",), position=1),
             pb.Rule("Off", 1, keywords=("z",), enabled=False)]
    text = pb.to_markdown(rules)
    lines = [line for line in text.splitlines() if line.startswith("| 1") or line.startswith("| 2")]
    assert lines[0] == "| 1 | First | enterprise | any | any | any | tier 3 | urgent | engineer |"
    assert lines[1].startswith("| 2 | Second \\| rule | any | a\\|b, \\[x\\]\\(javascript\\:")
    assert "Off" not in text and "support keeps tier 1 and tier 2" in text.lower()
