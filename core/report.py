"""A customer report that did not arrive as email (a Slack thread, a sales call), entered by a person.

Pure: validation and the message it is kept as. The entry is written down as an RFC 5322 message so it takes the
same road as mail (raw bytes on disk first, then one escalation, linked to HubSpot and Linear by the worker), and its
Message-ID is derived from its content, so entering the same report twice files it once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from core.errors import ValidationError

SOURCES = {"slack": "Slack", "call": "a call", "meeting": "a meeting", "email": "an email", "other": "elsewhere",
           "hubspot": "HubSpot"}
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
SUBJECT_LIMIT = 200
BODY_LIMIT = 50_000


@dataclass(frozen=True)
class Report:
    """What the customer reported, who they are, and who is passing it on."""

    customer_email: str
    subject: str
    body: str
    source: str
    reported_by: str
    customer_name: str = ""
    reporter_email: str = ""
    link: str = ""

    @property
    def message_id(self) -> str:
        """Stable for the same report, so a second submit is recognised as a repeat."""
        parts = (self.customer_email.lower(), self.subject, self.body, self.source)
        # A HubSpot ticket is one report however alike two are: its link (the ticket's URL) is part of the key.
        key = "\x1f".join((*parts, self.link) if self.source == "hubspot" else parts)
        return f"report-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@rotadesk.invalid"

    @property
    def note(self) -> str:
        return note_for(self.source, self.reported_by, self.link)


def note_for(source: str, reported_by: str, link: str = "") -> str:
    """The line the engineer sees where a forward would show the forwarder's note."""
    note = f"Reported from {SOURCES.get(source, source)} by {reported_by or 'someone on the team'}."
    return f"{note}\n{link}" if link else note


def validate(report: Report) -> Report:
    """The report with whitespace tidied, or a ValidationError naming the first field to fix."""
    tidy = replace(report, customer_email=report.customer_email.strip().lower(),
                   customer_name=" ".join(report.customer_name.split()), subject=" ".join(report.subject.split()),
                   body=report.body.strip(), source=report.source.strip().lower(),
                   reported_by=" ".join(report.reported_by.split()), reporter_email=report.reporter_email.strip(),
                   link=report.link.strip())
    if not EMAIL.match(tidy.customer_email):
        raise ValidationError(f"The customer's email {report.customer_email.strip()!r} is not an email address.")
    if tidy.reporter_email and not EMAIL.match(tidy.reporter_email):
        raise ValidationError(f"Your email {tidy.reporter_email!r} is not an email address.")
    if not tidy.subject:
        raise ValidationError("Give the report a subject: one line saying what is wrong.")
    if len(tidy.subject) > SUBJECT_LIMIT:
        raise ValidationError(f"The subject is {len(tidy.subject)} characters; keep it under {SUBJECT_LIMIT}.")
    if not tidy.body:
        raise ValidationError("Write down what the customer said: the steps, the error, what they expected.")
    if len(tidy.body) > BODY_LIMIT:
        raise ValidationError(f"What the customer said is {len(tidy.body)} characters; keep it under {BODY_LIMIT}.")
    if tidy.source not in SOURCES:
        raise ValidationError(f"Unknown source {report.source!r}; choose one of {', '.join(SOURCES)}.")
    if not tidy.reported_by:
        raise ValidationError("Say who is reporting it, so the engineer knows whom to ask.")
    if tidy.link and (not tidy.link.startswith(("https://", "http://")) or re.search(r"\s", tidy.link)):
        raise ValidationError("The link must be one URL starting with https:// (a Slack permalink or a recording).")
    return tidy


def to_message(report: Report, now: datetime) -> bytes:
    """The report written down as a message from the customer, with the reporter and source in headers."""
    message = EmailMessage(policy=policy.SMTPUTF8)  # addresses and names stay as typed, in UTF-8
    message["From"] = _mailbox(report.customer_name, report.customer_email)
    message["Subject"] = report.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{report.message_id}>"
    message["X-Rotadesk-Source"] = report.source
    message["X-Rotadesk-Reported-By"] = _mailbox(report.reported_by, report.reporter_email) \
        if report.reporter_email else report.reported_by
    if report.link:
        message["X-Rotadesk-Link"] = report.link
    message.set_content(report.body)
    return message.as_bytes()


def _mailbox(name: str, address: str) -> str:
    """``"Name" <address>``, quoting the name whenever it holds a character addresses give meaning to."""
    if not name:
        return f"<{address}>"
    if re.search(r'[()<>@,;:\\".\[\]]', name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"
