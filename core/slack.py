"""Slack's side of Rotadesk, pure: the bug modal, reading its submission, suggesting the customer, message texts.

Nothing here talks to Slack or the database; ``ingest/slack_app.py`` gathers (users.info, conversations.info, the
customers table), calls these, and applies (views.open, the pipeline, chat.postMessage).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from core.errors import ValidationError
from core.report import EMAIL, SUBJECT_LIMIT, Report, validate
from core.roster import Engineer, RosterLookup
from core.rotation import RotationWeek, week_start_for

CALLBACK_ID = "file_customer_bug"  # the message shortcut's and the modal's callback id
CUSTOMER_ACTION = "customer_pick"  # the external select Rotadesk serves options for
TEXT_LIMIT = 3000  # a plain_text_input holds at most 3000 characters
OPTION_LIMIT = 100  # Slack shows at most 100 options
_SEPARATORS = str.maketrans({c: " " for c in "-_.#"})


@dataclass(frozen=True)
class CustomerChoice:
    """A customer as the modal offers it: the domain is the option's value."""

    domain: str
    company: str
    tier: str | None = None


@dataclass(frozen=True)
class Draft:
    """What the modal was opened from; kept in the store, its id travels in the view's private_metadata."""

    id: str
    text: str
    channel: str = ""
    channel_name: str = ""
    message_ts: str = ""
    thread_ts: str = ""
    author_name: str = ""
    author_email: str = ""
    permalink: str = ""
    files: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def reply_ts(self) -> str:
        """Where Rotadesk answers: the message's thread (or the message itself, which starts one)."""
        return self.thread_ts or self.message_ts


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().lower() if "@" in address else ""


def suggest_customer(author_email: str, channel_name: str, customers: Sequence[CustomerChoice],
                     company_domains: Iterable[str] = ()) -> CustomerChoice | None:
    """The customer behind a message: the author's mail domain (Slack Connect), else a word of the channel name."""
    ours = {d.lower() for d in company_domains}
    domain = domain_of(author_email)
    if domain and not any(domain == d or domain.endswith("." + d) for d in ours):
        for customer in customers:
            if domain == customer.domain or domain.endswith("." + customer.domain):
                return customer
    words = set(channel_name.lower().translate(_SEPARATORS).split())
    if not words:
        return None
    for customer in customers:
        label = customer.domain.split(".")[0]
        company_words = customer.company.lower().translate(_SEPARATORS).split()
        if label in words or (company_words and company_words[0] in words):
            return customer
    return None


def customer_options(query: str, customers: Sequence[CustomerChoice]) -> list[dict[str, Any]]:
    """The external select's options: customers whose company or domain contains what was typed."""
    needle = query.strip().lower()
    found = [c for c in customers if needle in c.company.lower() or needle in c.domain]
    return [_option(c) for c in found[:OPTION_LIMIT]]


def _option(customer: CustomerChoice) -> dict[str, Any]:
    label = f"{customer.company} ({customer.domain})"
    return {"text": {"type": "plain_text", "text": label[:75]}, "value": customer.domain}


def _text(value: str) -> dict[str, str]:
    return {"type": "plain_text", "text": value}


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
           hint: str = "") -> dict[str, Any]:
    block = {"type": "input", "block_id": block_id, "label": _text(label), "element": element, "optional": optional}
    if hint:
        block["hint"] = _text(hint)
    return block


def mrkdwn_escape(text: str) -> str:
    """Slack's three control characters escaped, so text from a message can never mention @channel or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def loading_modal() -> dict[str, Any]:
    """What views.open shows at once, while the message is looked up (a trigger lasts three seconds)."""
    return {"type": "modal", "callback_id": CALLBACK_ID, "title": _text("File a customer bug"),
            "close": _text("Cancel"),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Reading the message…"}}]}


def bug_modal(draft: Draft, suggested: CustomerChoice | None, *, customer_email: str = "",
              customer_name: str = "") -> dict[str, Any]:
    """The "File as customer bug" modal, pre-filled from the message."""
    first_line = next((line.strip() for line in draft.text.splitlines() if line.strip()), "")
    picker: dict[str, Any] = {"type": "external_select", "action_id": CUSTOMER_ACTION, "min_query_length": 0,
                              "placeholder": _text("Search customers")}
    if suggested:
        picker["initial_option"] = _option(suggested)
    where = f" in #{draft.channel_name}" if draft.channel_name else ""
    context = [mrkdwn_escape(f"From {draft.author_name or 'someone'}{where}")]
    if draft.permalink:
        context.append(f"<{draft.permalink}|the message>")
    blocks: list[dict[str, Any]] = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]},
        _input("customer", "Customer", picker, optional=True,
               hint="Suggested from the author's e-mail domain or the channel name."),
        _input("email", "Customer's e-mail", {"type": "plain_text_input", "action_id": "value",
                                              "initial_value": customer_email[:254], "max_length": 254},
               hint="The person at the customer who reported it."),
        _input("name", "Customer's name", {"type": "plain_text_input", "action_id": "value",
                                           "initial_value": customer_name[:200], "max_length": 200}, optional=True),
        _input("subject", "Subject", {"type": "plain_text_input", "action_id": "value",
                                      "initial_value": first_line[:SUBJECT_LIMIT], "max_length": SUBJECT_LIMIT}),
        _input("body", "What the customer said", {"type": "plain_text_input", "action_id": "value",
                                                  "multiline": True, "initial_value": draft.text[:TEXT_LIMIT],
                                                  "max_length": TEXT_LIMIT},
               hint="The whole message is kept even when it is longer than this box." if
               len(draft.text) > TEXT_LIMIT else ""),
    ]
    if draft.files:
        names = mrkdwn_escape(", ".join(f.get("name") or "file" for f in draft.files))
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Files: {names}"[:3000]}]})
    return {"type": "modal", "callback_id": CALLBACK_ID, "title": _text("File a customer bug"),
            "submit": _text("File"), "close": _text("Cancel"), "blocks": blocks,
            "private_metadata": json.dumps({"draft": draft.id})}


def draft_id_of(view: dict[str, Any]) -> str:
    try:
        return str(json.loads(view.get("private_metadata") or "{}").get("draft", ""))
    except ValueError:
        return ""


def submitted_values(view: dict[str, Any]) -> dict[str, str]:
    """The modal's fields from a view_submission's ``view.state.values``."""
    values = (view.get("state") or {}).get("values") or {}
    out = {}
    for block_id in ("email", "name", "subject", "body"):
        out[block_id] = ((values.get(block_id) or {}).get("value") or {}).get("value") or ""
    picked = ((values.get("customer") or {}).get(CUSTOMER_ACTION) or {}).get("selected_option") or {}
    out["customer"] = picked.get("value") or ""
    return out


def report_from_submission(values: dict[str, str], draft: Draft, *, reporter_name: str,
                           reporter_email: str = "") -> tuple[Report | None, dict[str, str]]:
    """The report to file, or the errors to show beside the modal's fields (``response_action: errors``)."""
    errors: dict[str, str] = {}
    email = values.get("email", "").strip().lower()
    if not EMAIL.match(email):
        errors["email"] = "Enter the customer's e-mail address (name@company.com)."
    elif values.get("customer") and not (domain_of(email) == values["customer"]
                                         or domain_of(email).endswith("." + values["customer"])):
        errors["email"] = f"This address is not at {values['customer']}, the customer picked above."
    if not values.get("subject", "").strip():
        errors["subject"] = "One line saying what is wrong."
    if not values.get("body", "").strip():
        errors["body"] = "What the customer said: the steps, the error, what they expected."
    if errors:
        return None, errors
    body = values["body"]
    if len(draft.text) > TEXT_LIMIT and body == draft.text[:TEXT_LIMIT]:
        body = draft.text  # the box held only the start; an untouched box means the whole message
    body += files_text(draft.files)
    report = Report(email, values["subject"], body, "slack", reporter_name, customer_name=values.get("name", ""),
                    reporter_email=reporter_email if EMAIL.match(reporter_email or "") else "",
                    link=draft.permalink)
    try:
        return validate(report), {}
    except ValidationError as exc:
        return None, {"body": str(exc)[:150]}


def files_text(files: Iterable[dict[str, Any]]) -> str:
    lines = [f"- {f.get('name') or 'file'} ({f.get('mimetype') or 'unknown type'}, {int(f.get('size') or 0)} bytes)"
             + (f" {f['permalink']}" if f.get("permalink") else "") for f in files]
    return "\n\nFiles in the Slack message:\n" + "\n".join(lines) if lines else ""


# -- texts ----------------------------------------------------------------------------------------------------
def filed_text(escalation_id: int, *, duplicate: bool = False, local_only: bool = False) -> str:
    if duplicate:
        return f"Already filed as escalation #{escalation_id}."
    follow = "" if local_only else " The Linear issue follows here once it is linked."
    return f"Filed as escalation #{escalation_id}.{follow}"


def linked_text(escalation_id: int, identifier: str, url: str) -> str:
    return f"Escalation #{escalation_id} is Linear issue <{url}|{identifier}>."


HELP_TEXT = ("`/rotadesk who` (or `oncall`): who is on support this week and next\n"
             "`/rotadesk file <text>`: file a customer bug from what you type\n"
             "`/rotadesk swap <week> <email or name> [reason]`: ask someone to take a week (`this`, `next` or "
             "a date in it); they accept or decline here\n"
             "`/rotadesk help`: this list\n"
             "On any message: More actions → *File as customer bug*.")


def who_text(weeks: Sequence[RotationWeek], names: dict[str, str], today: date, week_start_index: int) -> str:
    """Who is on support this week and next, by name."""
    start = week_start_for(today, week_start_index)
    by_start = {w.week_start: w.engineer_email for w in weeks}

    def person(day: date) -> str:
        email = by_start.get(day)
        return names.get(email, email) if email else "nobody (no rotation planned)"

    return (f"On support this week (from {start:%a %d %b}): *{person(start)}*\n"
            f"Next week (from {start + timedelta(weeks=1):%a %d %b}): {person(start + timedelta(weeks=1))}")


# -- swap requests ----------------------------------------------------------------------------------------------
SWAP_ACCEPT, SWAP_DECLINE = "swap_accept", "swap_decline"  # the buttons' action ids
SWAP_USAGE = "Say which week and whom to ask: `/rotadesk swap <this|next|YYYY-MM-DD> <email or name> [reason]`."
NAME_WORDS = 4  # the longest name tried when the person is named rather than given by email


@dataclass(frozen=True)
class SwapAsk:
    week_start: date
    to_email: str
    reason: str


def parse_swap(text: str, engineers: Sequence[Engineer], today: date, week_start_index: int) -> SwapAsk:
    """``<week> <email or name> [reason]``: the week is ``this``, ``next`` or any date in it (YYYY-MM-DD)."""
    words = text.split()
    if len(words) < 2:
        raise ValidationError(SWAP_USAGE)
    when = words[0].lower()
    current = week_start_for(today, week_start_index)
    if when in ("this", "next"):
        week = current + timedelta(weeks=when == "next")
    else:
        try:
            week = week_start_for(date.fromisoformat(when), week_start_index)
        except ValueError:
            raise ValidationError(f"'{words[0]}' is not a week. {SWAP_USAGE}") from None
    if week < current:
        raise ValidationError(f"The week of {week} is over; only this week and later ones can change hands.")
    lookup, problem = RosterLookup(engineers), ""
    for size in range(min(NAME_WORDS, len(words) - 1), 0, -1):  # the longest name first: "Bo Chen" before "Bo"
        try:
            email = lookup.find(" ".join(words[1:1 + size]))
        except ValueError as exc:
            problem = str(exc)  # the last one tried, the first word alone, is the one to explain
            continue
        return SwapAsk(week, email, " ".join(words[1 + size:]))
    raise ValidationError(f"{problem[0].upper()}{problem[1:]}.")


def swap_value(request_id: int, asker: str) -> str:
    """What the buttons carry: the request and who asked on Slack (told the answer)."""
    return json.dumps({"request": request_id, "asker": asker})


def read_swap_value(value: str) -> tuple[int, str]:
    try:
        data = json.loads(value)
        return int(data["request"]), str(data.get("asker") or "")
    except (ValueError, KeyError, TypeError):
        return 0, ""


def swap_ask_message(request_id: int, week_start: date, asker: str, holder: str, reason: str,
                     asker_slack_id: str) -> tuple[str, list[dict[str, Any]]]:
    """The message the asked engineer gets: who asks, which week, why, with Accept and Decline."""
    text = mrkdwn_escape(f"{asker} asks you to take the support week of {week_start:%a %d %b %Y} from {holder}."
                         + (f" Why: {reason}" if reason else ""))
    value = swap_value(request_id, asker_slack_id)
    buttons = [{"type": "button", "action_id": SWAP_ACCEPT, "text": _text("Accept"), "style": "primary",
                "value": value},
               {"type": "button", "action_id": SWAP_DECLINE, "text": _text("Decline"), "value": value}]
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
                  {"type": "actions", "block_id": f"swap:{request_id}", "elements": buttons}]


def swap_answer_text(week_start: date, person: str, accepted: bool, *, to_them: bool = False) -> str:
    """The answer, told to whoever asked (``person`` answered), or to the one who answered (``to_them``)."""
    week = f"the support week of {week_start:%a %d %b %Y}"
    if to_them:
        return f"Accepted: {week} is yours." if accepted else f"Declined: {week} stays as planned."
    return f"{person} accepted: {week} is theirs." if accepted else f"{person} declined {week}; it stays as planned."
