"""A realistic mix of intake mail, written as .eml files for the whole-process benchmarks.

The mix: every message of the test corpora (tests/fixtures/emails, data/samples, and the forwarded corpus wrapped
as forwards), then generated mail up to the count asked for: forwards as multipart/alternative with an HTML part,
forwards carrying attachments (a PDF, a screenshot, a log), forwards as a message/rfc822 attachment, and customers
replying in the thread of an earlier one. Seeded, so every run takes in the same bytes.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "forwarded"
COMPANY_DOMAINS = "ourco.com,flowboard.io"
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
WORDS = ("export", "report", "invoice", "sync", "calendar", "webhook", "login", "dashboard", "timeout", "error",
         "customer", "billing", "archive", "project", "permission", "upload", "search", "mobile", "api", "token")


def write_mix(folder: Path, count: int, seed: int = 16) -> dict[str, int]:
    """Write ``count`` messages (at least the corpora) into ``folder``; how many of each kind."""
    folder.mkdir(parents=True, exist_ok=True)
    kinds: dict[str, int] = {}
    for n, (kind, raw) in enumerate(messages(count, seed)):
        (folder / f"{n:05d}-{kind}.eml").write_bytes(raw)
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def messages(count: int, seed: int = 16) -> Iterator[tuple[str, bytes]]:
    made = 0
    for path in sorted((ROOT / "tests" / "fixtures" / "emails").glob("*.eml")) + \
            sorted((ROOT / "data" / "samples").glob("*.eml")):
        made += 1
        yield "corpus-eml", path.read_bytes()
    for raw in corpus_forwards():
        made += 1
        yield "corpus-forward", raw
    rng = random.Random(seed)
    sent: list[str] = []
    n = 0
    while made < count:
        n += 1
        roll = rng.random()
        if roll < 0.40:
            kind, msg = "html-forward", html_forward(rng, n)
        elif roll < 0.65:
            kind, msg = "attachments", with_attachments(rng, n)
        elif roll < 0.80:
            kind, msg = "forward-as-attachment", forward_as_attachment(rng, n)
        elif roll < 0.92 and sent:
            kind, msg = "thread-reply", thread_reply(rng, n, rng.choice(sent))
        else:
            kind, msg = "plain-forward", plain_forward(rng, n)
        sent.append(msg["Message-ID"])
        made += 1
        yield kind, msg.as_bytes()


def corpus_forwards() -> Iterator[bytes]:
    """Every forwarded-corpus case wrapped as a forward from agent@ourco.com."""
    cases = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))["cases"]
    for case in cases:
        body = (CORPUS / "fixtures" / Path(case["body_file"]).name).read_text(encoding="utf-8")
        subject = None
        if case.get("subject_file"):
            subject = (CORPUS / "fixtures" / Path(case["subject_file"]).name).read_text(encoding="utf-8")
        headers = ["From: Agent Smith <agent@ourco.com>", "To: bugs@ourco.com",
                   "Date: Mon, 02 Mar 2026 09:00:00 +0000", f"Message-ID: <{case['id']}@bench.test>",
                   "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64"]
        if subject is not None:
            headers.insert(2, "Subject: " + Header(subject.strip(), "utf-8").encode())
        encoded = base64.encodebytes(body.encode("utf-8")).decode("ascii")
        yield ("\r\n".join(headers) + "\r\n\r\n" + encoded).encode("ascii")


def _customer(rng: random.Random, n: int) -> tuple[str, str]:
    c = rng.randrange(400)
    return f"Dana Client{c}", f"dana{c}@customer{c % 120}.example"


def _paragraphs(rng: random.Random, n: int) -> str:
    out = []
    for _ in range(rng.randint(1, 6)):
        out.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 60))).capitalize() + ".")
    if rng.random() < 0.2:  # a pasted log
        out.append("\n".join(f"2026-03-02T08:{i % 60:02d}:11Z ERROR worker[{n}] {rng.choice(WORDS)} failed: "
                             f"code={rng.randint(400, 599)}" for i in range(rng.randint(20, 400))))
    return "\n\n".join(out)


def _envelope(msg: EmailMessage, n: int, subject: str, sender: str = "Agent Smith <agent@ourco.com>") -> None:
    msg["From"] = sender
    msg["To"] = "bugs@ourco.com"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(START + timedelta(minutes=n))
    msg["Message-ID"] = f"<mix-{n}@bench.test>"


def _forwarded_text(rng: random.Random, n: int) -> tuple[str, str]:
    name, address = _customer(rng, n)
    subject = f"{rng.choice(WORDS).capitalize()} {n} fails with error {rng.randint(100, 999)}"
    text = ("Hi team, customer escalation below, please take a look.\n\n"
            "---------- Forwarded message ---------\n"
            f"From: {name} <{address}>\nDate: Mon, 2 Mar 2026 at 08:{n % 60:02d}\nSubject: {subject}\n"
            f"To: <support@ourco.com>\n\nHello,\n\n{_paragraphs(rng, n)}\n\nThanks,\n{name}\n"
            + ("--\nSent from my phone\n" if rng.random() < 0.3 else ""))
    return subject, text


def plain_forward(rng: random.Random, n: int) -> EmailMessage:
    subject, text = _forwarded_text(rng, n)
    msg = EmailMessage()
    _envelope(msg, n, f"Fwd: {subject}")
    msg.set_content(text)
    return msg


def html_forward(rng: random.Random, n: int) -> EmailMessage:
    msg = plain_forward(rng, n)
    text = msg.get_content()
    paragraphs = "".join(f"<p style=\"margin:0 0 8px\">{p.replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    msg.add_alternative(f"<html><head><style>p{{font-family:Arial}}</style></head><body>"
                        f"<div dir=\"ltr\">{paragraphs}</div></body></html>", subtype="html")
    return msg


def with_attachments(rng: random.Random, n: int) -> EmailMessage:
    msg = html_forward(rng, n) if rng.random() < 0.5 else plain_forward(rng, n)
    for _ in range(rng.randint(1, 3)):
        choice = rng.random()
        if choice < 0.4:
            msg.add_attachment(rng.randbytes(rng.randint(10_000, 150_000)), maintype="application", subtype="pdf",
                               filename=f"report-{n}.pdf")
        elif choice < 0.8:
            msg.add_attachment(b"\x89PNG\r\n\x1a\n" + rng.randbytes(rng.randint(20_000, 200_000)), maintype="image",
                               subtype="png", filename=f"screenshot-{n}.png")
        else:
            log = "\n".join(f"line {i}: {rng.choice(WORDS)}" for i in range(rng.randint(100, 3000)))
            msg.add_attachment(log, subtype="plain", filename=f"app-{n}.log")
    return msg


def forward_as_attachment(rng: random.Random, n: int) -> EmailMessage:
    name, address = _customer(rng, n)
    inner = EmailMessage()
    _envelope(inner, n + 1_000_000, f"{rng.choice(WORDS).capitalize()} broken since the update",
              sender=f"{name} <{address}>")
    inner.replace_header("To", "support@ourco.com")
    inner.set_content(f"Hello,\n\n{_paragraphs(rng, n)}\n\nRegards,\n{name}\n")
    if rng.random() < 0.5:
        inner.add_alternative(f"<html><body><p>{inner.get_content()}</p></body></html>", subtype="html")
    msg = EmailMessage()
    _envelope(msg, n, f"Fwd: {inner['Subject']}")
    msg.set_content("Forwarding this one from the customer, see attached.\n")
    msg.add_attachment(inner)
    return msg


def thread_reply(rng: random.Random, n: int, parent_id: str) -> EmailMessage:
    name, address = _customer(rng, n)
    msg = EmailMessage()
    _envelope(msg, n, "Re: still broken", sender=f"{name} <{address}>")
    msg["In-Reply-To"] = parent_id
    msg["References"] = parent_id
    msg.set_content(f"Any news on this? It still happens.\n\n{_paragraphs(rng, n)}\n\nOn Mon, someone wrote:\n"
                    + "".join(f"> {line}\n" for line in _paragraphs(rng, n).splitlines()[:20]))
    return msg
