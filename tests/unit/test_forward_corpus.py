"""The email-forward-parser corpus (MIT, see tests/fixtures/forwarded/SOURCE.md): 206 forwards from Gmail, Outlook,
Apple Mail, Thunderbird, Yahoo, HubSpot, MailMate, Missive and IONOS in ~25 languages.

Each fixture text is wrapped the way it would reach the shared inbox: a mail from an agent at ourco.com to
bugs@ourco.com, with the subject fixture as Subject (no Subject header when the corpus passes none), the text
base64-encoded so its BOMs and CRLFs arrive byte for byte. Then ``parse(raw, ("ourco.com",))`` must agree with every
assertion the corpus makes:

* ``email.from`` / ``email.to`` / ``email.cc`` are the first forwarded header block: ``original_sender``,
  ``original_to``, ``original_cc`` (a JS ``null`` name is our empty name).
* ``message`` is the forwarder's own note: ``note``.
* ``email.body`` is everything under the first header block. Rotadesk's ``body`` stops where the older quoted
  chain begins (nested forwards, replies) and leaves a trailing signature out, so the check is twofold: the corpus
  body starts with ``body``, and ``body`` + ``signature`` + ``quoted_chain`` rebuild the corpus body (blank-line
  runs collapsed).
* ``email.date`` is only asserted to be a non-empty string by the corpus; we also require ISO-8601.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from ingest.parse import Address, ParsedEmail, parse

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "forwarded"
CASES = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))["cases"]
STD_BODY = CASES[0]["expected"]["email.body"]

# Case id -> why Rotadesk deliberately differs from the corpus. Must stay exactly the set of failing cases.
KNOWN_DIFFERENCES: dict[str, str] = {}


def fixture_text(path: str | None) -> str | None:
    if path is None:
        return None
    return (CORPUS / "fixtures" / Path(path).name).read_bytes().decode("utf-8")


def wrap(case_id: str, body: str, subject: str | None) -> bytes:
    headers = [
        "From: Agent Smith <agent@ourco.com>",
        "To: bugs@ourco.com",
        "Date: Mon, 01 Jan 2024 10:00:00 +0000",
        f"Message-ID: <{case_id}@corpus.test>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
    ]
    if subject is not None:
        from email.header import Header

        headers.insert(2, "Subject: " + Header(subject, "utf-8").encode())
    encoded = base64.encodebytes(body.encode("utf-8")).decode("ascii")
    return ("\r\n".join(headers) + "\r\n\r\n" + encoded).encode("ascii")


def _collapse(text: str | None) -> str:
    return re.sub(r"\n{3,}", "\n\n", (text or "").strip())


def _person(people: tuple[Address, ...] | Address | None, key: str) -> object:
    """Resolve ``to[1].name``-style keys against our addresses, mapping empty strings to JS null."""
    m = re.fullmatch(r"(?:\[(\d+)\])?\.(name|address)", key)
    assert m, key
    person = people[int(m.group(1))] if m.group(1) is not None else people
    if person is None:
        return "<missing>"
    value = getattr(person, m.group(2))
    return value or None


def mismatches(case: dict, parsed: ParsedEmail) -> list[str]:
    """Every corpus assertion this parse does not meet, as readable lines."""
    out: list[str] = []

    def check(key: str, actual: object, expected: object) -> None:
        if actual != expected:
            out.append(f"{key}: expected {expected!r}, got {actual!r}")

    for key, expected in case["expected"].items():
        if key == "forwarded":
            check(key, parsed.forwarded, expected)
        elif key == "email.subject":
            check(key, parsed.subject, expected)
        elif key == "message":
            check(key, parsed.note, expected)
        elif key == "email.date":
            ok = isinstance(parsed.date, str) and len(parsed.date) > 1 and datetime.fromisoformat(parsed.date)
            check(key, bool(ok), True)
        elif key == "email.body.startsWith":
            check(key, parsed.body.startswith(expected), True)
        elif key == "email.body":
            check("email.body startswith body", expected.startswith(parsed.body) and bool(parsed.body), True)
            rebuilt = "\n\n".join(x for x in (parsed.body, parsed.signature, parsed.quoted_chain) if x)
            check("email.body rebuilt", _collapse(rebuilt), _collapse(expected))
        elif key == "email.cc.length":
            check(key, len(parsed.original_cc), expected)
        elif key.startswith("email.from"):
            check(key, _person(parsed.original_sender, key[len("email.from"):]), expected)
        elif key.startswith(("email.to", "email.cc")):
            people = parsed.original_to if key.startswith("email.to") else parsed.original_cc
            index = int(re.search(r"\[(\d+)\]", key).group(1))
            check(key, _person(people, key[len("email.to"):]) if index < len(people) else "<missing>", expected)
        else:
            out.append(f"unhandled corpus key {key}")
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_corpus_case(case: dict) -> None:
    body = fixture_text(case["body_file"])
    subject = fixture_text(case["subject_file"])
    parsed = parse(wrap(case["id"], body, subject), ("ourco.com",))
    misses = mismatches(case, parsed)
    if case["id"] in KNOWN_DIFFERENCES:
        assert misses, f"{case['id']} now passes: remove it from KNOWN_DIFFERENCES"
    else:
        assert not misses, "\n".join(misses)
    if parsed.forwarded and parsed.original_sender and parsed.original_sender.address:
        # Rotadesk's point: the customer is the forwarded sender, the agent is only the forwarder.
        assert parsed.customer == parsed.original_sender
        assert parsed.forwarded_by == Address("Agent Smith", "agent@ourco.com")


def test_corpus_is_complete() -> None:
    assert len(CASES) == 206
    assert all((CORPUS / "fixtures" / Path(c["body_file"]).name).is_file() for c in CASES)
    assert "MIT" in (CORPUS / "SOURCE.md").read_text(encoding="utf-8")
    assert set(KNOWN_DIFFERENCES) <= {c["id"] for c in CASES}
