"""What an issue costs customers, and the impact line in Rotadesk's context block (issue 14)."""

from __future__ import annotations

from core import context as cx
from core.impact import impact_of
from core.store.similar import match_query


def test_each_company_counts_once_with_its_highest_tier_and_revenue() -> None:
    reports = [
        {"escalation_id": 1, "hubspot_ticket_id": "t1", "customer_domain": "acme.com",
         "context": {"company_id": "c1", "tier": "business", "revenue": 1_000_000}},
        {"escalation_id": 2, "hubspot_ticket_id": "t2", "customer_domain": "acme.com",
         "context": {"company_id": "c1", "tier": "enterprise", "revenue": 1_000_000}},
        {"escalation_id": 3, "hubspot_ticket_id": "t3", "customer_domain": "beta.com", "tier": "starter",
         "local_revenue": 250_000, "context": {}},
    ]
    impact = impact_of(reports)
    assert (impact.customers, impact.tickets, impact.top_tier, impact.revenue) == (2, 3, "enterprise", 1_250_000)
    assert impact.line() == "2 customers · 3 tickets · highest tier Enterprise · $1.2M revenue at stake"


def test_an_issue_without_known_tier_or_revenue_says_only_what_it_knows() -> None:
    impact = impact_of([{"escalation_id": 1, "customer_address": "a@x.com", "context": {}}])
    assert impact.line() == "1 customer · 1 ticket"
    assert impact.sort_key > impact_of([{"escalation_id": 2, "tier": "free", "context": {}}]).sort_key


def test_the_impact_line_is_set_in_place_and_nothing_else_changes() -> None:
    description = ("### Customer context\n\n- **Company:** Acme\n- **Tier:** Enterprise\n\n### Customer's message\n\n"
                   "```text\nhi\n```\n\nA person's own notes below.\n")
    once = cx.with_impact(description, "1 customer · 1 ticket")
    twice = cx.with_impact(once, "2 customers · 2 tickets")
    assert twice == description.replace("\n\n- **Company:**",
                                        "\n\n- **Customers on this issue:** 2 customers · 2 tickets\n- **Company:**")
    assert cx.with_impact("Rewritten by a person.", "x") == "Rewritten by a person."


def test_the_match_query_quotes_words_so_nothing_is_fts_syntax() -> None:
    assert match_query('Export "fails" AND NEAR(x) -- the * and 2024') == '"export" OR "fails" OR "near"'
    assert match_query("") == "" and match_query("a b to") == ""
