"""Issue 17: every text a parse produces is valid Unicode (lone surrogates replaced), on every codec path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.mailtext import decode_bytes, valid_text
from ingest.parse import parse

ROOT = Path(__file__).resolve().parents[2]
OURS = ("ourco.com",)


def message(body: bytes, charset: str, *, subject: bytes = b"Export fails", extra: bytes = b"") -> bytes:
    return (b"From: Jane <jane@customer.com>\r\nTo: bugs@ourco.com\r\nMessage-ID: <u1@customer.com>\r\n"
            b"Subject: " + subject + b"\r\n" + extra + b"Content-Type: text/plain; charset=" + charset.encode()
            + b"\r\n\r\n" + body)


def texts(parsed) -> list[str]:
    found = [parsed.subject, parsed.body, parsed.note or "", parsed.signature or "", parsed.quoted_chain or "",
             parsed.message_id]
    for person in (parsed.sender, parsed.customer, parsed.forwarded_by):
        if person:
            found += [person.name, person.address]
    found += [a.filename for a in parsed.attachments] + [a.content_type for a in parsed.attachments]
    return found


def assert_valid(parsed) -> None:
    for text in texts(parsed):
        text.encode("utf-8")  # raises on a lone surrogate
    json.dumps(parsed.to_json("x.eml"), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize(("body", "charset"), [
    (b"Broken +2D0- here", "utf-7"),                      # a lone high surrogate
    (b"Broken +2D3YAA- here", "unicode-1-1-utf-7"),        # two high surrogates, under utf-7's other label
    (b"Broken \\ud800 here", "unicode_escape"),
    (b"Broken \\udfff here", "raw_unicode_escape"),
    (b"Broken \\ud83d\\ude00 pair and \\ud83d alone", "unicode_escape"),
])
def test_bodies_in_surrogate_making_codecs_are_valid_text(body: bytes, charset: str) -> None:
    parsed = parse(message(body, charset), OURS)
    assert_valid(parsed)
    assert "Broken" in parsed.body and "\ufffd" in parsed.body


@pytest.mark.parametrize("subject", [
    b"=?utf-7?q?Broken_+2D0-_subject?=",
    b"=?unicode_escape?q?Broken_\\ud800_subject?=",
    b"Broken \xed\xa0\x80 subject",                        # CESU-style bytes of a surrogate, raw in the header
    b"Broken \xff\xfe subject",                            # undecodable 8-bit bytes
])
def test_headers_are_valid_text(subject: bytes) -> None:
    parsed = parse(message(b"Body", "utf-8", subject=subject), OURS)
    assert_valid(parsed)
    assert "Broken" in parsed.subject and "subject" in parsed.subject


def test_attachment_names_and_sender_names_are_valid_text() -> None:
    raw = (b"From: =?utf-7?q?Ja+2D0-ne?= <jane@customer.com>\r\nTo: bugs@ourco.com\r\nSubject: x\r\n"
           b"Message-ID: <u2@customer.com>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n--b\r\n"
           b"Content-Type: application/octet-stream\r\n"
           b"Content-Disposition: attachment; filename*=utf-7''log+2D0-.txt\r\n\r\ndata\r\n--b--\r\n")
    parsed = parse(raw, OURS)
    assert_valid(parsed)
    assert parsed.sender.address == "jane@customer.com"


def test_decoding_never_returns_a_surrogate() -> None:
    assert decode_bytes(b"+2D0-", "utf-7") == "\ufffd"
    assert valid_text("ok \ud800 \udcff") == "ok \ufffd \ufffd"
    assert valid_text("plain é") == "plain é"


def test_the_parse_command_prints_every_file_of_a_batch(tmp_path: Path) -> None:
    files = []
    for n, (body, charset) in enumerate([(b"+2D0-", "utf-7"), (b"\\ud800", "unicode_escape"), (b"fine", "utf-8")]):
        path = tmp_path / f"{n}.eml"
        path.write_bytes(message(body, charset))
        files.append(str(path))
    done = subprocess.run([sys.executable, "-m", "ingest", "parse", *files], cwd=ROOT, capture_output=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"})
    lines = [json.loads(x) for x in done.stdout.decode("utf-8").splitlines()]
    assert done.returncode == 0, done.stderr
    assert [x["file"] for x in lines] == files and all("error" not in x for x in lines)
