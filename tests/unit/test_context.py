"""What escalations look like in Linear and HubSpot, and that nothing a customer writes becomes live."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import context as cx
from core.context import CustomerContext, OpenTicket

HOSTILE = (
    "@everyone see [click](https://evil.test) ![x](https://evil.test/p.png) <img src=x onerror=alert(1)> "
    "www.evil.test jo@evil.test"
)
ESCALATION = {
    "message_id": "<m1@acme.com>",
    "subject": "Fwd: Re: Export fails",
    "body": "Line one\n" + HOSTILE,
    "customer_name": "Jane Doe",
    "customer_address": "jane@acme.com",
    "customer_domain": "acme.com",
    "forwarded": 1,
    "forwarded_by_name": "Sam Agent",
    "forwarded_by_address": "sam@ourco.com",
    "received_at": "2026-03-02T09:30:00+00:00",
    "note": "Customer is upset",
    "attachments": [{"filename": "[evil](https://x.test).png", "size": 3 * 1024 * 1024, "stored": False}],
}
CTX = CustomerContext(
    portal_id=4242,
    contact_id="7",
    company_id="9",
    company="Acme Corp",
    domain="acme.com",
    tier="enterprise",
    revenue=2_500_000,
    size=120,
    owner="Dana Lee",
    other_tickets=(OpenTicket("55", "Login slow", "https://app.hubspot.com/t/55"),),
)


def _closing_fence(line: str, fence: str) -> bool:
    """CommonMark: up to three spaces, at least as many backticks as the opening fence, then only spaces."""
    return re.fullmatch(r" {0,3}`{%d,}\s*" % len(fence), line) is not None


@pytest.mark.parametrize(
    ("tier", "ticket", "issue"),
    [
        ("enterprise", "HIGH", 2),
        ("Business", "MEDIUM", 3),
        ("starter", "LOW", 4),
        ("free", "LOW", 4),
        (None, "MEDIUM", 3),
        ("gold", "MEDIUM", 3),
    ],
)
def test_priority_follows_the_tier(tier: str | None, ticket: str, issue: int) -> None:
    assert cx.ticket_priority(tier) == ticket
    assert cx.issue_priority(tier) == issue


@pytest.mark.parametrize(
    ("subject", "company", "expected"),
    [("Fwd: Re: Export fails", "Acme Corp", "Acme Corp: Export fails"), ("", "Acme Corp", "Bug report from Acme Corp"),
     ("  Crash\n on   save ", None, "acme.com: Crash on save")],
)
def test_the_title_is_one_clean_line(subject: str, company: str | None, expected: str) -> None:
    ctx = CustomerContext(company=company, domain="acme.com")
    assert cx.issue_title({"subject": subject}, ctx) == expected


def test_a_long_title_is_cut() -> None:
    assert len(cx.issue_title({"subject": "x" * 500}, CustomerContext())) == cx.TITLE_LIMIT


def test_the_description_has_the_customer_context_block() -> None:
    text = cx.issue_description(ESCALATION, CTX)
    assert text.startswith("### Customer context")
    for expected in (
        "**Company:** Acme Corp (acme\\.com)",
        "[HubSpot company](https://app.hubspot.com/contacts/4242/record/0-2/9)",
        "**Tier:** Enterprise",
        "revenue $2.5M, 120 employees",
        "**HubSpot owner:** Dana Lee",
        "[#55 Login slow](https://app.hubspot.com/t/55)",
        "Sam Agent",
        "2026-03-02 09:30 UTC",
        "3.0 MB, not stored",
        "> Customer is upset",
    ):
        assert expected in text, expected


def test_nothing_the_customer_wrote_is_live_in_the_description() -> None:
    text = cx.issue_description(ESCALATION, CTX)
    message = text.split("### Customer's message", 1)[1]
    fence = re.search(r"^(`{3,})text$", message, re.M).group(1)
    inside = message.split(fence + "text\n", 1)[1].rsplit("\n" + fence, 1)[0]
    assert inside == "Line one\n" + HOSTILE  # verbatim, inside a code block nothing is rendered
    outside = text.replace(inside, "")
    assert "@everyone" not in outside and "](https://x.test)" not in outside and "https://evil" not in outside


def test_a_message_cannot_break_out_of_its_fence() -> None:
    body = "before\n```\n# heading\n````\n[link](https://evil.test)\n`````"
    block = cx.fenced(body)
    fence = block.split("\n", 1)[0].removesuffix("text")
    assert len(fence) == 6
    lines = block.split("\n")
    assert not any(_closing_fence(line, fence) for line in lines[1:-1])
    assert lines[-1] == fence


@given(st.text(alphabet=st.sampled_from("`~ \na<>[]()@!#"), max_size=200))
def test_any_text_stays_inside_its_fence(body: str) -> None:
    block = cx.fenced(body)
    lines = block.split("\n")
    fence = lines[0].removesuffix("text")
    assert set(fence) == {"`"} and len(fence) >= 3
    assert not any(_closing_fence(line, fence) for line in lines[1:-1])
    assert _closing_fence(lines[-1], fence)


def test_a_huge_message_is_cut_with_a_note() -> None:
    block = cx.fenced("x" * (cx.MESSAGE_LIMIT + 10))
    assert "[... 10 more characters not shown]" in block


def test_hubspot_html_is_escaped() -> None:
    content = cx.ticket_content({**ESCALATION, "body": "<script>alert(1)</script> & co"}, CTX)
    assert "<script>" not in content and "&lt;script&gt;" in content and "&amp; co" in content
    note = cx.followup_note_html("ref1", {"sender": "<b>x</b>", "body": "<img src=x>\nline"}, "ENG-1", 'https://l.test/"x')
    assert "<img" not in note and "&lt;img src=x&gt;<br>line" in note and "&lt;b&gt;" in note and '"x"' not in note
    link = cx.link_note_html("ENG-1", "https://linear.app/a/issue/ENG-1", "<i>title</i>", "r")
    assert "&lt;i&gt;title&lt;/i&gt;" in link and "Rotadesk ref: r" in link


def test_attachment_metadata_shows_the_context_and_message() -> None:
    meta = cx.attachment_metadata(ESCALATION, CTX, stage="New")
    assert {a["name"]: a["value"] for a in meta["attributes"]} == {
        "Company": "Acme Corp", "Tier": "Enterprise", "Revenue": "$2.5M", "Contact": "Jane Doe <jane@acme.com>",
        "Ticket stage": "New"}
    (message,) = meta["messages"]
    assert message["subject"] == "Fwd: Re: Export fails" and message["body"].startswith("Line one")


def test_metadata_message_stays_under_linears_limit() -> None:
    meta = cx.attachment_metadata({**ESCALATION, "body": "y" * 50_000}, CTX, stage=None)
    assert len(meta["messages"][0]["body"]) < 10_000
    assert "Ticket stage" not in {a["name"] for a in meta["attributes"]}


def test_comments_start_with_a_findable_reference() -> None:
    ref = cx.ref_for("<f1@acme.com>")
    assert re.fullmatch(r"[0-9a-f]{12}", ref) and ref == cx.ref_for("<f1@acme.com>")
    comment = cx.followup_comment(
        ref, {"sender": "jane@acme.com", "body": "@here still broken", "received_at": "2026-03-03T10:00:00+00:00"}
    )
    assert comment.startswith(f"{cx.FOLLOWUP_PREFIX} (ref {ref}) from jane@\u200bacme\\.com")
    also = cx.also_reported_comment(ref, ESCALATION, CTX, "https://app.hubspot.com/contacts/4242/record/0-5/1")
    assert also.startswith(f"{cx.ALSO_REPORTED_PREFIX} (ref {ref}) by Jane Doe")


def test_the_context_survives_the_journal() -> None:
    assert CustomerContext.from_json(CTX.to_json()) == CTX


@pytest.mark.parametrize(
    ("value", "shown"), [(950, "$950"), (1_500, "$1.5k"), (2_000_000, "$2M"), (3_400_000_000, "$3.4B")]
)
def test_money(value: float, shown: str) -> None:
    assert cx.money(value) == shown
