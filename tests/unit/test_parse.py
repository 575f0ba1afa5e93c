"""Hand-written real-world edge cases for ingest.parse (fixtures in tests/fixtures/emails/)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from ingest.parse import Address, ParsedEmail, main_parse, parse

EMAILS = Path(__file__).resolve().parents[1] / "fixtures" / "emails"
OURS = ("ourco.com",)


def load(name: str, **kwargs) -> ParsedEmail:
    return parse((EMAILS / name).read_bytes(), OURS, **kwargs)


def message(body: str, *, sender: str = "Alex Account <alex@ourco.com>", subject: str = "Fwd: x",
            extra: str = "", ctype: str = "text/plain; charset=utf-8") -> bytes:
    head = f"From: {sender}\r\nTo: bugs@ourco.com\r\nSubject: {subject}\r\nMessage-ID: <t@ourco.com>\r\n{extra}"
    return (head + f"Content-Type: {ctype}\r\n\r\n").encode() + body.encode("utf-8")


def test_direct_customer_mail_is_the_customers_own() -> None:
    p = load("direct_customer.eml")
    assert (p.kind, p.forwarded, p.forwarded_by) == ("report", False, None)
    assert p.customer == p.sender == Address("Roe, Jane", "jane.roe@customer.io")
    assert p.subject == "Export to CSV fails with error 500"
    assert p.body == ("Hi,\n\nthe export still fails for every report with more than 10\u202f000 rows.\n"
                      "Steps: open Reports → Export → CSV.")
    assert p.quoted_chain.startswith("On Mon, 4 Mar 2024 at 17:02, Support <support@ourco.com> wrote:")
    assert "Head of Ops" in p.signature and "Head of Ops" not in p.body
    assert p.date == "2024-03-05T09:12:44+01:00"
    assert (p.in_reply_to, p.references) == ("reply-1@ourco.com", ("first-1@customer.io", "reply-1@ourco.com"))
    assert p.auth == {"dkim": "pass", "dkim_domain": "customer.io", "spf": "pass", "spf_domain": "customer.io",
                      "dmarc": "pass", "dmarc_domain": "customer.io", "dkim_pass_domains": "customer.io",
                      "spf_pass_domains": "customer.io", "dmarc_pass_domains": "customer.io"}


def test_gmail_forward_names_the_customer_and_keeps_the_agents_note() -> None:
    p = load("gmail_forward_top_note.eml")
    assert p.forwarded and p.forwarded_by == Address("Alex Account", "alex@ourco.com")
    assert p.customer == Address("Carol Chen", "carol.chen@bigcorp.com")
    assert p.note == "Big account, please look at this today."
    assert p.body == 'Hello Alex,\n\nExporting the Q1 report to CSV fails with "error 500" since Monday.\n\nCarol'
    assert p.subject == "Export to CSV fails with error 500"
    assert p.date == "2024-03-05T09:12:00"
    assert p.original_cc == (Address("Dave Dunn", "dave@bigcorp.com"),)


def test_outlook_forward_with_the_note_written_below() -> None:
    p = load("outlook_forward_bottom_note.eml")
    assert p.forwarded and p.customer == Address("Björn Berg", "bjorn.berg@kunde.de")
    assert p.body == "Since this morning our users end up in a login loop after the SSO redirect.\nBrowser: Edge 122."
    assert p.note == "Reproduced on staging with an Azure AD tenant; looks like the cookie is dropped."
    assert p.subject == "Login loop on SSO"


def test_nested_forward_names_the_customer_not_the_quoted_colleague() -> None:
    p = load("nested_forward.eml")
    assert p.customer == Address("Carol Chen", "carol.chen@bigcorp.com")
    assert p.forwarded_by.address == "alex@ourco.com"
    assert p.body == "Alex, it happened again: March invoices have no VAT number."
    assert p.note == "FYI, second time this month."
    assert "Priya Patel <priya@ourco.com> wrote:" in p.quoted_chain
    assert p.subject == "Invoices missing VAT number"


def test_internal_forward_of_a_forward_still_finds_the_customer() -> None:
    raw = message("over to bugs\n\n---------- Forwarded message ---------\nFrom: Priya <priya@ourco.com>\n"
                  "Date: Fri, 8 Mar 2024 at 10:41\nSubject: Fwd: Sync broken\nTo: <alex@ourco.com>\n\n"
                  "can you file this?\n\n---------- Forwarded message ---------\n"
                  "From: Lena Lind <lena@shop.example>\nDate: Fri, 8 Mar 2024 at 09:00\nSubject: Sync broken\n"
                  "To: <priya@ourco.com>\n\nThe nightly sync stopped on Tuesday.\n")
    p = parse(raw, OURS)
    assert p.customer == Address("Lena Lind", "lena@shop.example")
    assert p.body == "The nightly sync stopped on Tuesday."
    assert p.original_sender.address == "priya@ourco.com"
    assert p.subject == "Sync broken"


def test_customer_forwarding_a_colleagues_thread_is_the_customer() -> None:
    raw = message("Please see the problem my colleague had.\n\n---------- Forwarded message ---------\n"
                  "From: Dave Dunn <dave@bigcorp.com>\nDate: Fri, 8 Mar 2024 at 09:00\nSubject: Login fails\n"
                  "To: <carol.chen@bigcorp.com>\n\nI cannot log in since the update.\n",
                  sender="Carol Chen <carol.chen@bigcorp.com>", subject="Fwd: Login fails")
    p = parse(raw, OURS)
    assert p.forwarded and p.customer == p.forwarded_by == Address("Carol Chen", "carol.chen@bigcorp.com")
    assert p.body == "Please see the problem my colleague had."
    assert p.note is None


NESTED_BY_PRIYA = ("over to bugs\n\n---------- Forwarded message ---------\nFrom: Priya <priya@ourco.com>\n"
                   "Date: Fri, 8 Mar 2024 at 10:41\nSubject: Fwd: Sync broken\nTo: <alex@ourco.com>\n\n"
                   "can you file this?\n\n---------- Forwarded message ---------\n"
                   "From: Lena Lind <lena@shop.example>\nDate: Fri, 8 Mar 2024 at 09:00\nSubject: Sync broken\n"
                   "To: <priya@ourco.com>\n\nThe nightly sync stopped on Tuesday.\n")


@pytest.mark.parametrize(("raw", "customer"), [
    (message(NESTED_BY_PRIYA), "lena@shop.example"),
    (message("Export fails.", sender="Lena Lind <lena@shop.example>", subject="Export"), "lena@shop.example"),
    (message("Please see the problem my colleague had.\n\n---------- Forwarded message ---------\n"
             "From: Dave Dunn <dave@bigcorp.com>\nDate: Fri, 8 Mar 2024 at 09:00\nSubject: Login fails\n"
             "To: <carol.chen@bigcorp.com>\n\nI cannot log in since the update.\n",
             sender="Carol Chen <carol.chen@bigcorp.com>", subject="Fwd: Login fails"), "carol.chen@bigcorp.com"),
])
def test_without_configured_domains_the_inbox_domain_counts_as_ours(raw: bytes, customer: str) -> None:
    assert parse(raw).customer.address == customer


def test_delivered_to_names_the_inbox_before_to() -> None:
    raw = message(NESTED_BY_PRIYA, extra="Delivered-To: bugs@ourco.com\r\n").replace(
        b"To: bugs@ourco.com", b"To: Lena <lena@shop.example>", 1)
    assert parse(raw).customer.address == "lena@shop.example"


def test_internal_mail_without_a_forward_block_has_no_customer() -> None:
    p = parse(message("Reminder: rotation handoff at 4pm.", subject="Handoff"), OURS)
    assert (p.forwarded, p.customer, p.forwarded_by) == (False, None, None)
    assert p.body == "Reminder: rotation handoff at 4pm."


@pytest.mark.parametrize("extra", ["Importance: High", "Attachments: trace.log; screen.png", "Wichtigkeit: Hoch"])
def test_outlook_extra_header_lines_stay_out_of_the_body(extra: str) -> None:
    raw = message("Please check.\n\nFrom: Novak, Nina [mailto:nina@bigcorp.si]\nSent: Wednesday, March 04, 2026 "
                  f"4:02 PM\nTo: Sam Agent\nSubject: Report totals wrong\n{extra}\n\nThe totals are off by one day.\n",
                  subject="FW: Report totals wrong")
    p = parse(raw, OURS)
    assert p.customer == Address("Novak, Nina", "nina@bigcorp.si")
    assert (p.body, p.note) == ("The totals are off by one day.", "Please check.")


def test_html_spacer_divs_leave_one_blank_line() -> None:
    html = ("<div>Hi Sam,</div><div><br></div><div><br></div><div>&nbsp;</div><div>the dashboard is blank.</div>"
            "<div><br></div><div>Nina</div>")
    p = parse(message(html, sender="Nina <nina@bigcorp.si>", subject="Blank", ctype="text/html; charset=utf-8"),
              OURS)
    assert p.body == "Hi Sam,\n\nthe dashboard is blank.\n\nNina"


def test_rewritten_subject_without_fwd_prefix_is_still_a_forward() -> None:
    raw = message("Urgent one.\n\n________________________________\nFrom: Omar Odeh <omar@retail.example>\n"
                  "Sent: Saturday, March 9, 2024 6:45 PM\nTo: Sam <sam@ourco.com>\nSubject: charts\n\n"
                  "Charts are empty.\n", subject="Retail: charts empty after update")
    p = parse(raw, OURS)
    assert p.forwarded and p.customer.address == "omar@retail.example"
    assert (p.body, p.note, p.subject) == ("Charts are empty.", "Urgent one.", "charts")


def test_forward_as_attachment_uses_the_attached_message() -> None:
    p = load("forward_as_attachment.eml")
    assert p.forwarded and p.customer == Address("Lena Lind", "lena@shop.example")
    assert p.forwarded_by.address == "sam@ourco.com"
    assert p.body == "Our endpoint answers 200 but your webhooks keep retrying every minute."
    assert p.note == "Attaching the original so you have the headers."
    assert (p.subject, p.date) == ("Webhook retries never stop", "2024-03-08T22:15:00+01:00")
    # Issue 18: the attached message is the message, not an attachment of it; only its own files are.
    assert [(a.filename, a.content_type) for a in p.attachments] == [("log.txt", "text/plain")]


def test_html_only_mail_becomes_readable_text() -> None:
    p = load("html_only.eml")
    assert p.forwarded and p.customer == Address("Omar Odeh", "omar@retail.example")
    assert p.body == ("All charts on the Sales dashboard are empty since the update.\n\n"
                      'Filters: last 30 days, region "EU".')
    assert p.note.startswith("Can someone check? Customer is on the Pro plan.")
    assert "alert" not in p.body + p.note and "<" not in p.body


def test_auto_reply_is_classified_with_its_reason() -> None:
    p = load("auto_reply.eml")
    assert (p.kind, p.kind_reason) == ("auto_reply", "Auto-Submitted: auto-replied")


@pytest.mark.parametrize(("subject", "kind"), [
    ("Automatic reply: Export fails", "auto_reply"), ("Out of Office: back on Monday", "auto_reply"),
    ("Abwesenheitsnotiz: Fehler", "auto_reply"), ("Réponse automatique : Export", "auto_reply"),
    ("自動応答: エクスポート", "auto_reply"),
    ("Export fails while I am out of office", "report"), ("Re: Automatic reply settings are broken", "report"),
])
def test_auto_reply_subject_without_headers(subject: str, kind: str) -> None:
    p = parse(message("I am away until Monday.", sender="Lena <lena@shop.example>", subject=subject), OURS)
    assert p.kind == kind


@pytest.mark.parametrize(("subject", "kind"), [
    ("Undeliverable: Export fails", "bounce"), ("Undelivered Mail Returned to Sender", "bounce"),
    ("Delivery Status Notification (Failure)", "bounce"), ("Mail delivery failed: returning message", "bounce"),
    ("Unzustellbar: Fehler", "bounce"), ("Returned mail: see transcript for details", "bounce"),
    ("Returned mails are missing from the export", "report"),
])
def test_bounce_subject_without_headers(subject: str, kind: str) -> None:
    p = parse(message("The message could not be delivered.", sender="Lena <lena@shop.example>", subject=subject),
              OURS)
    assert p.kind == kind


@pytest.mark.parametrize("extra, reason", [
    ("Precedence: bulk\r\n", "Precedence: bulk"),
    ("List-Unsubscribe: <mailto:u@list.example>\r\n", "List-Unsubscribe header"),
    ("X-Auto-Response-Suppress: OOF\r\n", "X-Auto-Response-Suppress: OOF"),
    ("Auto-Submitted: auto-generated\r\n", "Auto-Submitted: auto-generated"),
])
def test_auto_reply_headers(extra: str, reason: str) -> None:
    p = parse(message("hello", extra=extra), OURS)
    assert (p.kind, p.kind_reason) == ("auto_reply", reason)


def test_auto_submitted_no_is_a_report() -> None:
    assert parse(message("hello", extra="Auto-Submitted: no\r\n"), OURS).kind == "report"


def test_bounce_delivery_status_report() -> None:
    p = load("bounce.eml")
    assert (p.kind, p.kind_reason) == ("bounce", "delivery-status report")
    assert p.customer is None


@pytest.mark.parametrize("sender, extra, reason", [
    ("postmaster@mx.example", "", "From postmaster"),
    ("someone@mx.example", "Return-Path: <>\r\n", "empty Return-Path"),
])
def test_bounce_signals(sender: str, extra: str, reason: str) -> None:
    p = parse(message("undeliverable", sender=sender, extra=extra), OURS)
    assert (p.kind, p.kind_reason) == ("bounce", reason)


def test_missing_message_id_gets_a_stable_hash() -> None:
    raw = (EMAILS / "missing_headers.eml").read_bytes()
    first, again = parse(raw, OURS), parse(raw, OURS)
    assert first.message_id == again.message_id
    assert first.message_id.startswith("sha256:") and len(first.message_id) == len("sha256:") + 64
    assert parse(raw + b"more\n", OURS).message_id != first.message_id
    assert (first.sender, first.date, first.customer) == (None, None, None)
    assert first.body == "Something is broken but this mail has no Message-ID, Date or From."


def test_gb2312_label_holding_gbk_text_decodes_fully() -> None:
    p = load("gb2312_mislabelled_gbk.eml")
    assert p.body == "您好，导出报表时出错。联系人：王喆、朱镕。\n请尽快处理，谢谢！"
    assert p.subject == "导出报表出错（喆）"
    assert p.sender == Address("王喆", "wangzhe@kehu.cn")


def test_iso_2022_jp_subject_and_body() -> None:
    p = load("iso2022jp_subject.eml")
    assert (p.subject, p.sender.name) == ("ログインできません", "山田太郎")
    assert p.body == "昨日からログインできません。パスワードは正しいです。"


@pytest.mark.parametrize("charset, data, text", [
    ("shift_jis", "髙橋です。①番の不具合".encode("cp932"), "髙橋です。①番の不具合"),
    ("utf-7", "Grüße €".encode("utf-7"), "Grüße €"),
    ("x-made-up", "Привет, экспорт не работает совсем".encode("koi8-r"), "Привет, экспорт не работает совсем"),
    ("utf-8", "naïve café".encode("latin-1"), "naïve café"),
])
def test_odd_and_mislabelled_charsets(charset: str, data: bytes, text: str) -> None:
    head = f"From: a@b.example\r\nSubject: s\r\nContent-Type: text/plain; charset={charset}\r\n\r\n".encode()
    assert parse(head + data, OURS).body == text


def test_raw_8bit_headers_are_decoded() -> None:
    raw = "From: Jürgen Groß <jg@firma.de>\r\nSubject: Größe der Datei\r\n\r\nhallo".encode("utf-8")
    p = parse(raw, OURS)
    assert (p.sender, p.subject) == (Address("Jürgen Groß", "jg@firma.de"), "Größe der Datei")


def test_oversized_attachment_is_recorded_without_data() -> None:
    payload = bytes(range(256)) * 40
    raw = (b"From: a@b.example\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
           b"Content-Type: text/plain\r\n\r\nsee file\r\n--B\r\nContent-Type: application/zip\r\n"
           b"Content-Disposition: attachment; filename=dump.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + base64.encodebytes(payload) + b"--B--\r\n")
    small = parse(raw, OURS, max_attachment_bytes=1000).attachments[0]
    assert (small.filename, small.size, small.data) == ("dump.zip", len(payload), None)
    assert small.sha256 == hashlib.sha256(payload).hexdigest()
    assert parse(raw, OURS).attachments[0].data == payload


def test_winmail_dat_is_unpacked() -> None:
    p = load("winmail_dat.eml")
    assert p.body == "The calendar sync drops recurring events after the DST change."
    assert [(a.filename, a.content_type, a.data) for a in p.attachments] == [
        ("sync-log.txt", "text/plain", b"2024-03-31 02:00 skipped 14 events\n")]


def test_broken_winmail_dat_falls_back_to_an_attachment() -> None:
    raw = (b"From: a@b.example\r\nSubject: t\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
           b"Content-Type: text/plain\r\n\r\nbody\r\n--B\r\nContent-Type: application/ms-tnef\r\n"
           b"Content-Disposition: attachment; filename=winmail.dat\r\n\r\nnot tnef\r\n--B--\r\n")
    p = parse(raw, OURS)
    assert p.body == "body" and [a.filename for a in p.attachments] == ["winmail.dat"]


def test_smime_signature_is_listed_and_encrypted_mail_says_so() -> None:
    signed = load("smime_signed.eml")
    assert signed.body.startswith("After rotating the API token")
    assert [a.content_type for a in signed.attachments] == ["application/pkcs7-signature"]
    encrypted = load("smime_encrypted.eml")
    assert "encrypted" in encrypted.body and "S/MIME" in encrypted.body


def test_inline_pgp_message_is_flagged_as_encrypted() -> None:
    p = parse(message("-----BEGIN PGP MESSAGE-----\nhQEMA\n-----END PGP MESSAGE-----", sender="x@y.example"), OURS)
    assert p.body.startswith("[This message is encrypted (PGP)")


@pytest.mark.parametrize("subject, stripped", [
    ("Fwd: Re: Export fails", "Export fails"),
    ("FW: RE: Export fails", "Export fails"),
    ("WG: AW: Export schlägt fehl", "Export schlägt fehl"),
    ("TR: RE: L'export échoue", "L'export échoue"),
    ("RV: RE: La exportación falla", "La exportación falla"),
    ("SV: VS: Eksport feiler", "Eksport feiler"),
    ("Odp: PD: Eksport nie działa", "Eksport nie działa"),
    ("Re[2]: Fwd: Fwd: ok", "ok"),
    ("İLT: Dışa aktarma", "Dışa aktarma"),
    ("Réponse: not a prefix", "Réponse: not a prefix"),
])
def test_subject_prefixes_are_stripped(subject: str, stripped: str) -> None:
    from email.header import Header

    raw = message("hello", sender="c@customer.example", subject=Header(subject, "utf-8").encode())
    assert parse(raw, OURS).subject == stripped


def test_signature_stripping_is_conservative() -> None:
    body = "Thanks for the quick fix!\n\nOne more thing: the PDF export also fails.\nIt times out after 30 s."
    p = parse(message(body + "\n\nSent from my iPhone", sender="c@customer.example", subject="x"), OURS)
    assert p.body == body and p.signature == "Sent from my iPhone"
    only = parse(message("Thanks!", sender="c@customer.example", subject="x"), OURS)
    assert only.body == "Thanks!"


def test_to_json_has_exactly_the_contract_keys() -> None:
    data = load("forward_as_attachment.eml").to_json("mail.eml")
    assert list(data) == ["file", "message_id", "kind", "forwarded", "forwarded_by", "customer", "subject", "date",
                          "body", "note", "attachments"]
    assert data["file"] == "mail.eml"
    assert data["customer"] == {"name": "Lena Lind", "address": "lena@shop.example"}
    assert set(data["attachments"][0]) == {"filename", "content_type", "size", "sha256"}
    json.dumps(data)
    assert load("direct_customer.eml").to_json("d.eml")["forwarded_by"] is None


def test_main_parse_prints_one_line_per_file_and_survives_errors(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nope.eml"
    code = main_parse([str(EMAILS / "auto_reply.eml"), str(missing), str(EMAILS / "bounce.eml")], OURS)
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert [x.get("kind") for x in lines] == ["auto_reply", None, "bounce"]
    assert lines[1]["file"] == str(missing) and "error" in lines[1]


@pytest.mark.parametrize("raw", [b"", b"\x00\xff" * 50, b"Subject: only headers", b"\r\n\r\n\r\n", b"From:\r\n\r\n>"])
def test_garbage_never_raises(raw: bytes) -> None:
    p = parse(raw, OURS)
    assert p.kind in ("report", "auto_reply", "bounce") and isinstance(p.body, str)


def test_a_message_the_full_parse_cannot_read_is_read_leniently(monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise ValueError("a structure the full parse chokes on")

    monkeypatch.setattr("ingest.parse._parse", broken)
    raw = message("The export fails.\n", sender="Lena Lind <Lena@Shop.example>", subject="Re: Export",
                  extra="Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n")
    p = parse(raw, OURS)
    assert (p.sender, p.customer) == (Address("Lena Lind", "lena@shop.example"),) * 2
    assert (p.subject, p.body, p.message_id, p.date) == ("Export", "The export fails.", "t@ourco.com",
                                                         "2026-03-02T10:00:00+00:00")
    assert parse(b"\x00\xff" * 50, OURS).message_id.startswith("sha256:")


def test_only_the_topmost_authentication_results_header_is_trusted() -> None:
    # A sender can write its own Authentication-Results before the message reaches our server.
    raw = (b"Authentication-Results: mx.ourco.com; dkim=pass header.d=esp.net; dkim=pass header.d=ourco.com; "
           b"spf=fail smtp.mailfrom=ourco.com\r\n"
           b"Authentication-Results: forged.example; spf=pass smtp.mailfrom=evil.example\r\n"
           b"From: Sam <sam@ourco.com>\r\nSubject: x\r\n\r\nbody\r\n")
    auth = parse(raw, ("ourco.com",)).auth
    assert auth["dkim_pass_domains"] == "esp.net,ourco.com"
    assert auth["spf"] == "fail" and "spf_pass_domains" not in auth
