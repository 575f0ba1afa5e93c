from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from core.errors import ValidationError
from core.intake import auth_passes, decide, thread_ids
from core.store.intake import parse_customers_csv


@dataclass
class Addr:
    name: str
    address: str


@dataclass
class Parsed:
    sender: Addr | None
    customer: Addr | None
    kind: str = "report"
    kind_reason: str | None = None
    forwarded: bool = True
    auth: dict = field(default_factory=dict)


AGENT = Addr("Sam", "sam@ourco.com")
JANE = Addr("Jane", "jane@acme.com")
DOMAINS = ("ourco.com",)


def test_a_forward_from_our_domain_becomes_an_escalation() -> None:
    assert decide(Parsed(AGENT, JANE), DOMAINS, known_customer=False, trust_customer_dkim=False).action == "escalate"


def test_a_subdomain_of_ours_is_ours() -> None:
    parsed = Parsed(Addr("Sam", "sam@eu.ourco.com"), JANE)
    assert decide(parsed, DOMAINS, known_customer=False, trust_customer_dkim=False).action == "escalate"


def test_a_lookalike_domain_is_not_ours() -> None:
    parsed = Parsed(Addr("Sam", "sam@evilourco.com"), JANE)
    decision = decide(parsed, DOMAINS, known_customer=False, trust_customer_dkim=False)
    assert decision.action == "quarantine" and "evilourco.com" in decision.reason


def test_a_forged_company_sender_failing_dkim_and_spf_waits_for_review() -> None:
    parsed = Parsed(AGENT, JANE, auth={"dkim": "fail", "spf": "softfail"})
    decision = decide(parsed, DOMAINS, known_customer=False, trust_customer_dkim=False)
    assert decision.action == "quarantine" and "DKIM" in decision.reason


def test_dkim_for_another_domain_does_not_vouch_for_ours() -> None:
    assert not auth_passes({"dkim": "pass", "dkim_domain": "attacker.net", "spf": "fail"}, "ourco.com")
    assert auth_passes({"dkim": "fail", "spf": "pass", "spf_domain": "ourco.com"}, "ourco.com")


def test_direct_customer_mail_waits_for_review_unless_trusted_by_dkim() -> None:
    direct = Parsed(JANE, JANE, forwarded=False, auth={"dkim": "pass", "dkim_domain": "acme.com"})
    assert decide(direct, DOMAINS, known_customer=True, trust_customer_dkim=False).action == "quarantine"
    assert decide(direct, DOMAINS, known_customer=True, trust_customer_dkim=True).action == "escalate"
    assert decide(direct, DOMAINS, known_customer=False, trust_customer_dkim=True).action == "quarantine"


def test_auto_replies_and_bounces_are_ignored_with_the_reason() -> None:
    decision = decide(Parsed(AGENT, None, kind="auto_reply", kind_reason="Auto-Submitted: auto-replied"), DOMAINS,
                      known_customer=False, trust_customer_dkim=False)
    assert (decision.action, decision.reason) == ("ignore", "Auto-Submitted: auto-replied")


def test_an_internal_mail_without_a_customer_waits_for_review() -> None:
    decision = decide(Parsed(AGENT, None, forwarded=False), DOMAINS, known_customer=False, trust_customer_dkim=False)
    assert decision.action == "quarantine" and "no customer" in decision.reason


def test_thread_ids_keep_order_and_drop_repeats() -> None:
    assert thread_ids("c", "b", ("a", "b")) == ["c", "a", "b"]


def test_customers_csv_is_parsed_and_bad_rows_name_their_line() -> None:
    rows = parse_customers_csv("domain,company,tier,revenue\nACME.com,Acme,Enterprise,1000\n")
    assert rows[0].domain == "acme.com" and rows[0].tier == "enterprise" and rows[0].revenue == 1000
    with pytest.raises(ValidationError, match="line 3"):
        parse_customers_csv("domain,company,tier\nacme.com,Acme,free\nnot-a-domain,X,free\n")
    with pytest.raises(ValidationError, match="tier"):
        parse_customers_csv("domain,company,tier\nacme.com,Acme,platinum\n")
    with pytest.raises(ValidationError, match="columns company"):
        parse_customers_csv("domain\nacme.com\n")


def test_any_aligned_dkim_signature_counts_when_there_are_several() -> None:
    auth = {"dkim": "pass", "dkim_domain": "mailer.esp.net", "dkim_pass_domains": "mailer.esp.net,ourco.com"}
    assert auth_passes(auth, "ourco.com")
    assert not auth_passes({**auth, "dkim_pass_domains": "mailer.esp.net"}, "ourco.com")
