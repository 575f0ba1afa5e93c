"""Hostile input: real messages mutated at random must still parse (never raise, always a ParsedEmail)."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.parse import ParsedEmail, parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLES = [p.read_bytes() for p in sorted((FIXTURES / "emails").glob("*.eml"))]
CHARSETS = ["utf-8", "gb2312", "iso-2022-jp", "utf-7", "shift_jis", "x-unknown", "", "utf-16", "utf-32", "idna",
            "rot13", "base64", "punycode", "\"", "ébè", "hz", "cp65001", "macintosh"]


def _flip(raw: bytes, positions: list[int], value: int) -> bytes:
    data = bytearray(raw)
    for pos in positions:
        if data:
            data[pos % len(data)] = value
    return bytes(data)


def _drop_header(raw: bytes, index: int) -> bytes:
    head, sep, body = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
    lines = head.splitlines(keepends=True)
    if lines:
        del lines[index % len(lines)]
    return b"".join(lines) + sep + body


def _relabel(raw: bytes, label: str) -> bytes:
    new = b"charset=" + label.encode("utf-8")
    return re.sub(rb"charset=\"?[\w.-]*\"?", lambda _: new, raw, flags=re.IGNORECASE)


def _reboundary(raw: bytes, boundary: bytes) -> bytes:
    new = b'boundary="' + boundary + b'"'
    return re.sub(rb"boundary=\"?([^\"\r\n;]+)\"?", lambda _: new, raw, count=1)


@st.composite
def hostile(draw) -> bytes:
    raw = draw(st.sampled_from(SAMPLES))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "truncate", "drop", "charset", "boundary", "insert"]))
        if kind == "flip":
            raw = _flip(raw, draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=20)), draw(st.integers(0, 255)))
        elif kind == "truncate":
            raw = raw[:draw(st.integers(0, max(len(raw), 1)))]
        elif kind == "drop":
            raw = _drop_header(raw, draw(st.integers(0, 50)))
        elif kind == "charset":
            raw = _relabel(raw, draw(st.sampled_from(CHARSETS) | st.text(max_size=12)))
        elif kind == "boundary":
            raw = _reboundary(raw, draw(st.binary(max_size=30)).replace(b'"', b""))
        else:
            pos = draw(st.integers(0, max(len(raw), 1)))
            raw = raw[:pos] + draw(st.binary(max_size=200)) + raw[pos:]
    return raw


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile())
def test_mutated_messages_never_raise(raw: bytes) -> None:
    parsed = parse(raw, ("ourco.com",), max_attachment_bytes=64)
    assert isinstance(parsed, ParsedEmail)
    assert parsed.kind in ("report", "auto_reply", "bounce")
    assert isinstance(parsed.body, str) and isinstance(parsed.subject, str) and parsed.message_id
    assert all(a.data is None or len(a.data) <= 64 for a in parsed.attachments)
    parsed.to_json("x.eml")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    assert parse(raw).kind in ("report", "auto_reply", "bounce")
