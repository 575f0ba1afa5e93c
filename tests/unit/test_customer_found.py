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


@pytest.mark.parametrize("name, customer, body, note", [
    # Outlook on the web (French), inline screenshot and the forwarder's signature logo in multipart/related.
    ("owa_html_forward_fr_inline_images.eml", Address("Chloé Martin", "chloe.martin@boulangerie-exemple.fr"),
     "Bonjour,\n\ndepuis ce matin le tableau de bord reste blanc, voir la capture :",
     "Client important, voir la capture."),
    # Apple Mail (German): "Anfang der weitergeleiteten Nachricht:", one <div> per header line in a blockquote.
    ("apple_mail_html_forward_de.eml", Address("Klaus Müller", "k.mueller@maschinenbau-beispiel.de"),
     "Hallo,\n\nder Export bricht bei 80\xa0% ab:\n\nGruß, Klaus", "Bitte anschauen, Kunde ist verärgert."),
    # Gmail (Spanish): "---------- Mensaje reenviado ---------" with an inline image.
    ("gmail_html_forward_es.eml", Address("María López", "maria.lopez@tienda-ejemplo.es"),
     "Hola,\n\ndesde ayer no puedo iniciar sesión:", "Urgente, cliente Enterprise."),
])
def test_html_only_forwards_with_localised_separators_and_inline_images(name: str, customer: Address, body: str,
                                                                        note: str) -> None:
    p = load(name)
    assert p.forwarded and p.customer == customer
    assert p.body == body and p.note == note
    assert p.date.startswith("2024-03-14")
    assert [a.content_type for a in p.attachments] and all(a.content_type == "image/png" for a in p.attachments)


@pytest.mark.parametrize("name, customer, note", [
    # Thunderbird HTML writes the header block as a table right after the separator.
    ("thunderbird_html_forward_table_de.eml", Address("Sabine Weber", "s.weber@steuerkanzlei-beispiel.de"),
     "Zum dritten Mal diesen Monat."),
    # Outlook desktop links a resolved sender's name to their address and prints the address nowhere else.
    ("outlook_html_linked_sender.eml", Address("Tom Baker", "tom.baker@harbour-logistics.example"),
     "Can someone look at this today?"),
])
def test_sender_lines_the_block_reader_used_to_miss(name: str, customer: Address, note: str) -> None:
    p = load(name)
    assert p.forwarded and p.customer == customer and p.note == note
    for label in ("Betreff:", "Datum:", "Von:", "An:", "From:", "Sent:", "To:", "Subject:", "Weitergeleitete"):
        assert label not in p.body and label not in p.note


def test_unknown_fields_and_blank_lines_inside_a_header_block_stay_out_of_the_body() -> None:
    raw = ("From: Alex <alex@ourco.com>\r\nTo: bugs@ourco.com\r\nSubject: FW: Sync\r\nMessage-ID: <u@ourco.com>\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nPlease look.\n\n________________________________\n"
           "From: Tom Baker <tom@harbour.example>\n\nSent: Thursday, March 14, 2024 4:55 PM\n"
           "Sensitivity: Confidential\nTo: Alex <alex@ourco.com>\nSubject: Sync\n\nThe sync stopped.\n").encode()
    p = parse(raw, OURS)
    assert p.customer == Address("Tom Baker", "tom@harbour.example")
    assert (p.body, p.note) == ("The sync stopped.", "Please look.")


def test_a_mailto_link_without_its_address_in_the_text_gets_it() -> None:
    from ingest.mailtext import mailto_names

    assert mailto_names('<b>From:</b> <a href="mailto:tom@x.example">Tom</a>') == \
        '<b>From:</b> <a href="mailto:tom@x.example">Tom &lt;tom@x.example&gt;</a>'
    kept = '<a href="mailto:tom@x.example">tom@x.example</a> <a href="https://x">site</a>'
    assert mailto_names(kept) == kept


def test_the_public_suffix_list_is_read_offline(monkeypatch) -> None:
    # The bundled snapshot only: intake must work without network and never waits on a download.
    import socket

    from core import domains

    def refuse(*args, **kwargs):
        raise AssertionError("registrable_domain tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    domains._extractor.cache_clear()
    domains.registrable_domain.cache_clear()
    assert domains.registrable_domain("bugs.eu.ourco.com.au") == "ourco.com.au"
