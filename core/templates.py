"""Closing-reply templates: plain text with named placeholders such as ``{first_name}``.

Templates are parsed with :class:`string.Formatter` but never formatted with it: rendering only substitutes
known names, so a template can not reach attributes, indexes, conversions or format specs (no code runs).
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter

from core.errors import ValidationError

OUTCOMES = ("fixed", "answered", "wont_fix", "duplicate")
OUTCOME_LABELS = {"fixed": "Fixed", "answered": "Answered", "wont_fix": "Won't fix", "duplicate": "Duplicate"}

PLACEHOLDERS: dict[str, str] = {
    "first_name": "The customer's first name.",
    "company": "The customer's company.",
    "issue_title": "The Linear issue's title.",
    "issue_identifier": "The Linear issue's identifier, for example ENG-42.",
    "fix_summary": "The issue's latest comment starting with the customer-note marker, else a sentence naming what "
                   "the customer reported.",
    "ticket_number": "The HubSpot ticket number.",
    "engineer_name": "The issue's assignee, else the engineer on support.",
}

SAMPLE_VALUES: dict[str, str] = {
    "first_name": "Dana",
    "company": "Acme",
    "issue_title": "Export to CSV drops the last row",
    "issue_identifier": "ENG-42",
    "fix_summary": "CSV exports now include every row, including the last one.",
    "ticket_number": "1234",
    "engineer_name": "Ada Lovelace",
}

DEFAULTS: dict[str, str] = {
    "fixed": (
        "Hi {first_name},\n\n"
        "Good news about your ticket #{ticket_number}.\n\n"
        "{fix_summary}\n\n"
        "If you still see it, reply to this email and we will pick it up straight away.\n\n"
        "Thanks for telling us, and for your patience.\n"
        "{engineer_name}, on behalf of the team\n"
    ),
    "answered": (
        "Hi {first_name},\n\n"
        "Thank you for your report (ticket #{ticket_number}). We looked into it, and it needed no change on our "
        "side.\n\n"
        "{fix_summary}\n\n"
        "If anything is still unclear, reply to this email and we will pick it up straight away.\n\n"
        "{engineer_name}, on behalf of the team\n"
    ),
    "wont_fix": (
        "Hi {first_name},\n\n"
        "Thank you for your report (ticket #{ticket_number}). We looked into it carefully and have decided not to "
        "change this behaviour for now.\n\n"
        "{fix_summary}\n\n"
        "We know this is not the answer you hoped for. If it blocks your work at {company}, reply to this email "
        "and we will look for a workaround with you.\n\n"
        "{engineer_name}, on behalf of the team\n"
    ),
    "duplicate": (
        "Hi {first_name},\n\n"
        "Thank you for your report (ticket #{ticket_number}). It turned out to be the same problem as one we were "
        "already working on, and that work is now closed.\n\n"
        "{fix_summary}\n\n"
        "If you still see the problem, reply to this email and we will reopen it.\n\n"
        "{engineer_name}, on behalf of the team\n"
    ),
}


def parse(text: str) -> list[tuple[str, str | None]]:
    """The template as (literal, placeholder or None) pieces; raises ValidationError naming a bad placeholder."""
    try:
        pieces = list(Formatter().parse(text))
    except ValueError as exc:
        raise ValidationError(f"template has a stray brace ({exc}); write {{{{ or }}}} for a literal brace") from None
    out: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in pieces:
        if name is None:
            out.append((literal, None))
            continue
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if name == "" or name.isdigit():
            raise ValidationError(f"placeholder {shown} needs a name, one of: {', '.join(PLACEHOLDERS)}")
        if any(ch in name for ch in ".[]"):
            raise ValidationError(
                f"placeholder {shown} uses attribute or index access; write a plain name like {{first_name}}"
            )
        if name not in PLACEHOLDERS:
            raise ValidationError(f"unknown placeholder {{{name}}}; known placeholders: {', '.join(PLACEHOLDERS)}")
        if conversion or spec:
            raise ValidationError(f"placeholder {shown} has a conversion or format; write just {{{name}}}")
        out.append((literal, name))
    return out


def validate(text: str) -> str:
    """``text`` when it is a usable template; raises ValidationError otherwise."""
    if not text.strip():
        raise ValidationError("template is empty")
    parse(text)
    return text


def placeholders_in(text: str) -> list[str]:
    return list(dict.fromkeys(name for _, name in parse(text) if name))


def render(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each placeholder replaced by its value (missing values render as empty text)."""
    return "".join(literal + (str(values.get(name) or "") if name else "") for literal, name in parse(text))


def reply_subject(customer_subject: str | None) -> str:
    """The closing reply's subject line: a reply to what the customer wrote, "Re:" once."""
    subject = (customer_subject or "").strip() or "your report"
    return subject if subject.casefold().startswith("re:") else f"Re: {subject}"


def default_for(outcome: str) -> str:
    if outcome not in DEFAULTS:
        raise ValidationError(f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
    return DEFAULTS[outcome]
