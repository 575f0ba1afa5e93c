"""Issue 17: a message's identity is its Message-ID only when well-formed, otherwise a hash of its bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.parse import message_id_of, parse


@pytest.mark.parametrize(("value", "expected"), [
    ("<CAF=abc+def@mail.gmail.com>", "CAF=abc+def@mail.gmail.com"),
    ("  <1234.5678@host.example>  ", "1234.5678@host.example"),
    ("<AM0PR01MB@AM0PR01MB.eurprd01.prod.outlook.com> (added by postmaster)",
     "AM0PR01MB@AM0PR01MB.eurprd01.prod.outlook.com"),
])
def test_well_formed_ids_are_used(value: str, expected: str) -> None:
    assert message_id_of(value, b"raw") == expected


@pytest.mark.parametrize("value", ["", "<>", "<a b>", "no-brackets", "<@>", "<x@y", "x@y>", "<a@b> <c@d>",
                                   "<a@b@c>", "<é@ü>", "<a@b>x", "<" + "a" * 300 + "@b>", "<a@\tb>"])
def test_malformed_ids_give_way_to_the_hash_of_the_bytes(value: str) -> None:
    assert message_id_of(value, b"raw one").startswith("sha256:")
    assert message_id_of(value, b"raw one") != message_id_of(value, b"raw two")
    assert message_id_of(value, b"raw one") == message_id_of(value, b"raw one")


@given(st.text(max_size=60))
def test_an_id_is_never_blank_bracketed_or_spaced(value: str) -> None:
    found = message_id_of(value, b"raw")
    assert found.startswith("sha256:") or (found.count("@") == 1 and not set(found) & set("<> \t\r\n")
                                           and found.isascii() and f"<{found}>" in value)


@pytest.mark.parametrize("value", ["<>", "<a b>", "no-brackets"])
def test_two_messages_with_one_malformed_id_are_two_messages(value: str) -> None:
    first = parse(f"From: a@b.co\r\nMessage-ID: {value}\r\nSubject: one\r\n\r\nOne\r\n".encode())
    second = parse(f"From: a@b.co\r\nMessage-ID: {value}\r\nSubject: two\r\n\r\nTwo\r\n".encode())
    assert first.message_id != second.message_id
