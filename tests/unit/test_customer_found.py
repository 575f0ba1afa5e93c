"""The customer found in the mail people really forward (issue 18): one hand-written fixture per class of
forward that used to lose the customer, each shaped like what its client writes (fixtures in
tests/fixtures/emails/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.domains import registrable_domain
from ingest.mailtext import unflow
from ingest.parse import Address, parse

EMAILS = Path(__file__).resolve().parents[1] / "fixtures" / "emails"
OURS = ("ourco.com",)


def load(name: str, domains: tuple[str, ...] = OURS):
    return parse((EMAILS / name).read_bytes(), domains)


def test_a_partners_forward_of_their_customers_mail_names_the_customer_at_the_bottom() -> None:
    # Outlook (English) forwards a German Outlook forward of the customer's mail.
    p = load("reseller_forward_chain.eml")
    assert p.forwarded and p.forwarded_by.address == "sam@ourco.com"
    assert p.customer == Address("Ingrid Solberg", "ingrid.solberg@fjordfisk.example")
    assert p.body == ("Hi Jonas,\n\nour scheduled weekly sales report arrives as an empty PDF since 4 March.\n"
                      "Running it by hand works.\n\nIngrid Solberg\nFjordfisk AS")
    # Both intermediaries' words are notes, the partner's named.
    assert p.note.startswith("Partner escalation from Nordic IT, their customer is on Enterprise.\n\n"
                             "Jonas Keller <jonas.keller@nordic-it-partner.example>:\nHallo Sam,")
    assert "unser Kunde wartet" in p.note and "unser Kunde" not in p.body
    assert p.subject == "Scheduled reports arrive empty"


def test_a_partner_forwarding_straight_to_the_inbox_is_not_the_customer() -> None:
    raw = ("From: Jonas Keller <jonas@partner.example>\r\nTo: bugs@ourco.com\r\nSubject: Fwd: Sync broken\r\n"
           "Message-ID: <p1@partner.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "For our customer, please.\n\n---------- Forwarded message ---------\n"
           "From: Lena Lind <lena@shop.example>\nDate: Fri, 8 Mar 2024 at 09:00\nSubject: Sync broken\n"
           "To: <jonas@partner.example>\n\nThe nightly sync stopped on Tuesday.\n").encode()
    p = parse(raw, OURS)
    assert p.customer == Address("Lena Lind", "lena@shop.example")
    assert (p.body, p.note) == ("The nightly sync stopped on Tuesday.", "For our customer, please.")


def test_a_thread_between_organisations_keeps_the_first_outside_sender() -> None:
    # The customer forwarded a reply thread with their vendor to us: a thread, not a forward to us.
    raw = ("From: Alex <alex@ourco.com>\r\nTo: bugs@ourco.com\r\nSubject: Fwd: Re: Export\r\n"
           "Message-ID: <t2@ourco.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "See below.\n\n---------- Forwarded message ---------\nFrom: Carol <carol@bigcorp.com>\n"
           "Date: Fri, 8 Mar 2024 at 10:00\nSubject: Re: Export\nTo: <vendor@other.example>\n\nStill broken.\n\n"
           "---------- Forwarded message ---------\nFrom: Vic <vendor@other.example>\nDate: Fri, 8 Mar 2024 at 09:00\n"
           "Subject: Export\nTo: <carol@bigcorp.com>\n\nTry again?\n").encode()
    assert parse(raw, OURS).customer.address == "carol@bigcorp.com"


@pytest.mark.parametrize("name, customer", [
    # Outlook plain text: hard-wrapped at 76, the address of a long From: and of the last To: on the next line.
    ("outlook_wrapped_from.eml",
     Address("Dr. Maximilian Alexander von Hohenberg-Schwarzenfeld (Finanzabteilung)",
             "maximilian.hohenberg@industrie-beispiel.de")),
    # Thunderbird (German) with format=flowed: the wrap is a soft line break.
    ("thunderbird_flowed_forward_de.eml",
     Address("Dr. Maximilian Alexander von Hohenberg-Schwarzenfeld", "maximilian.hohenberg@industrie-beispiel.de")),
])
def test_a_from_line_wrapped_by_the_senders_client_still_names_the_customer(name: str, customer: Address) -> None:
    p = load(name)
    assert p.forwarded and p.customer == customer
    assert p.body.startswith("The invoice PDFs show USD although our account is billed in EUR.")
    assert "@" not in p.body and "An:" not in p.body and "Sent:" not in p.body
    assert p.note == "Customer's second complaint."


def test_a_wrapped_to_list_keeps_every_recipient() -> None:
    p = load("outlook_wrapped_from.eml")
    assert [a.address for a in p.original_to] == ["alex@ourco.com", "ap-team@industrie-beispiel.de"]


def test_unflow_joins_soft_breaks_only() -> None:
    assert unflow("a long \nline\nhard\n> quoted \n> on\nnext") == "a long line\nhard\n> quoted on\nnext"
    assert unflow("sign \n-- \nsig", delsp=False) == "sign -- \nsig"
    assert unflow("wrap \nped", delsp=True) == "wrapped"


def test_a_delivery_status_report_is_a_bounce_never_a_forward() -> None:
    # Exchange Online's German non-delivery report, with the returned message attached.
    p = load("exchange_ndr_with_returned_message.eml")
    assert (p.kind, p.kind_reason) == ("bounce", "delivery-status report")
    assert (p.forwarded, p.forwarded_by, p.customer) == (False, None, None)
    assert p.body.startswith("Delivery has failed to these recipients or groups:")


def test_text_written_under_the_quote_is_the_customers() -> None:
    # Thunderbird bottom-posting (German date format in the reply header).
    p = load("thunderbird_bottom_post.eml")
    assert p.customer == Address("Lena Lind", "lena@shop.example")
    assert p.body == "Firefox 123 on Windows 11. It fails for every report with more than 10000 rows.\n\nLena"
    assert p.quoted_chain.startswith("On 13.03.24 17:02, Support wrote:\n> Hi Lena,")
    assert "Firefox" not in p.quoted_chain


def test_a_top_posted_reply_keeps_only_the_text_above() -> None:
    raw = ("From: Lena <lena@shop.example>\r\nTo: support@ourco.com\r\nSubject: Re: x\r\nMessage-ID: <r@s.example>"
           "\r\nContent-Type: text/plain\r\n\r\nStill failing.\n\nOn Mon, 4 Mar 2024, Support <support@ourco.com> "
           "wrote:\n> Any news?\n").encode()
    p = parse(raw, OURS)
    assert p.body == "Still failing." and p.quoted_chain.endswith("> Any news?")


@pytest.mark.parametrize("domain, registered", [
    ("support.ourco.com", "ourco.com"), ("mail.eu.ourco.co.uk", "ourco.co.uk"), ("OurCo.com", "ourco.com"),
    ("localhost", "localhost"), ("", ""),
])
def test_registrable_domain_from_the_bundled_public_suffix_list(domain: str, registered: str) -> None:
    assert registrable_domain(domain) == registered


def test_without_configured_domains_an_inbox_on_a_subdomain_still_makes_the_forwarder_staff() -> None:
    p = load("subdomain_inbox_forward.eml", ())
    assert p.forwarded and p.forwarded_by.address == "alex@ourco.com"
    assert p.customer == Address("Lena Lind", "lena@shop.example")
    assert p.body == "The nightly sync stopped on Tuesday."
