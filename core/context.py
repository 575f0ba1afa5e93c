"""What an escalation looks like in Linear and HubSpot: titles, descriptions, notes and metadata, all pure.

Customer text is never trusted. In Linear Markdown, short fields are escaped (Markdown specials, ``@`` and
link-like text neutralised) and the customer's message goes in a fenced block whose fence is longer than any
backtick run inside it, so no mention, link, image or HTML the customer wrote becomes live. In HubSpot HTML
every value passes through ``html.escape``.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from core.longtext import fit_html
from core.markup import escape_markdown

TITLE_LIMIT = 200
MESSAGE_LIMIT = 20_000  # characters of the customer's message quoted in a description or comment
METADATA_MESSAGE_LIMIT = 8_000  # Linear's attachment metadata stays under ~10k characters
CUSTOMER_LABEL = "customer-reported"
FOLLOWUP_PREFIX = "Customer follow-up"
ALSO_REPORTED_PREFIX = "Also reported"
# tier -> (HubSpot hs_ticket_priority, Linear priority: 1 urgent, 2 high, 3 medium, 4 low)
PRIORITIES = {"enterprise": ("HIGH", 2), "business": ("MEDIUM", 3), "starter": ("LOW", 4), "free": ("LOW", 4)}
DEFAULT_PRIORITY = ("MEDIUM", 3)

_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|tr)\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class OpenTicket:
    """Another open HubSpot ticket of the same contact."""

    id: str
    subject: str
    url: str


@dataclass(frozen=True)
class CustomerContext:
    """What HubSpot (or the local customer list) knows about the customer behind an escalation."""

    portal_id: int | None = None
    contact_id: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    company_id: str | None = None
    company: str | None = None
    domain: str | None = None
    tier: str | None = None
    revenue: float | None = None
    size: int | None = None
    owner: str | None = None
    other_tickets: tuple[OpenTicket, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CustomerContext:
        tickets = tuple(OpenTicket(**t) for t in data.get("other_tickets") or ())
        return cls(**{**data, "other_tickets": tickets})

    @property
    def company_url(self) -> str | None:
        if self.portal_id is None or not self.company_id:
            return None
        return f"https://app.hubspot.com/contacts/{self.portal_id}/record/0-2/{self.company_id}"


# -- escaping ----------------------------------------------------------------------------------------------
def fenced(text: str | None, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` in a fenced code block that nothing inside it can close."""
    body = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if len(body) > limit:
        body = body[:limit] + f"\n[... {len(text or '') - limit} more characters not shown]"
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def quoted(text: str | None) -> str:
    """A Markdown blockquote of escaped lines (for short staff-written notes)."""
    lines = (text or "").replace("\r", "").strip().splitlines() or [""]
    return "\n".join("> " + escape_markdown(line) if line.strip() else ">" for line in lines)


def ref_for(value: str) -> str:
    """A short stable reference for a Message-ID, safe in Markdown, HTML and search prefixes."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


# -- priorities and labels ---------------------------------------------------------------------------------
def ticket_priority(tier: str | None) -> str:
    return PRIORITIES.get((tier or "").strip().lower(), DEFAULT_PRIORITY)[0]


def issue_priority(tier: str | None) -> int:
    return PRIORITIES.get((tier or "").strip().lower(), DEFAULT_PRIORITY)[1]


def tier_label(tier: str | None) -> str | None:
    cleaned = " ".join((tier or "").split())
    return cleaned[:1].upper() + cleaned[1:] if cleaned else None


# -- Linear --------------------------------------------------------------------------------------------------
def issue_title(escalation: Mapping[str, Any], ctx: CustomerContext) -> str:
    """A one-line title: the subject without Re:/Fwd:, prefixed by the company."""
    subject = " ".join(_REPLY_PREFIX.sub("", escalation.get("subject") or "").split())
    who = ctx.company or escalation.get("company") or ctx.domain or escalation.get("customer_domain")
    if not subject:
        subject = f"Bug report from {who or escalation.get('customer_address') or 'a customer'}"
    elif who:
        subject = f"{who}: {subject}"
    return subject if len(subject) <= TITLE_LIMIT else subject[: TITLE_LIMIT - 1] + "…"


def issue_description(escalation: Mapping[str, Any], ctx: CustomerContext) -> str:
    """The issue's Markdown: a customer-context block, then the customer's message quoted inertly."""
    parts = ["### Customer context", "", *context_lines(escalation, ctx)]
    note = escalation.get("note")
    if note:
        parts += ["", "**Note from the forwarder:**", quoted(note)]
    parts += ["", "### Customer's message", "", fenced(escalation.get("body"))]
    return "\n".join(parts) + "\n"


CONTEXT_HEADING = "### Customer context"
IMPACT_PREFIX = "- **Customers on this issue:**"


def with_impact(description: str, impact_line: str) -> str:
    """``description`` with the impact line set inside Rotadesk's context block; the rest is left as written.

    The block runs from the ``### Customer context`` heading to the next ``### `` heading. Without the heading
    (a person rewrote the description) nothing changes.
    """
    lines = description.split("\n")
    try:
        start = lines.index(CONTEXT_HEADING)
    except ValueError:
        return description
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("### ")), len(lines))
    new = f"{IMPACT_PREFIX} {impact_line}"  # our own formatting of counts and money, nothing to escape
    for i in range(start + 1, end):
        if lines[i].startswith(IMPACT_PREFIX):
            lines[i] = new
            return "\n".join(lines)
    at = start + 1 + (1 if start + 1 < len(lines) and not lines[start + 1].strip() else 0)
    lines.insert(at, new)
    return "\n".join(lines)


def with_context(description: str, lines: Sequence[str]) -> str:
    """``description`` with the list of Rotadesk's context block replaced by ``lines`` (its impact line kept).

    Only the bullet list right under the ``### Customer context`` heading changes; the forwarder's note, the
    customer's message and anything a person added stay as they are. Without the heading nothing changes.
    """
    rows = description.split("\n")
    try:
        start = rows.index(CONTEXT_HEADING)
    except ValueError:
        return description
    first = start + 1
    while first < len(rows) and not rows[first].strip():
        first += 1
    end = first
    while end < len(rows) and rows[end].startswith("- "):
        end += 1
    kept = [r for r in rows[first:end] if r.startswith(IMPACT_PREFIX)]
    return "\n".join([*rows[:start + 1], "", *kept, *lines, *rows[end:]])


def context_lines(escalation: Mapping[str, Any], ctx: CustomerContext) -> list[str]:
    company = ctx.company or escalation.get("company")
    domain = ctx.domain or escalation.get("customer_domain")
    lines = []
    if company or domain:
        shown = escape_markdown(company or domain)
        if domain and company:
            shown += f" ({escape_markdown(domain)})"
        if ctx.company_url:
            shown += f" · [HubSpot company]({ctx.company_url})"
        lines.append(f"- **Company:** {shown}")
    tier = ctx.tier or escalation.get("tier")
    lines.append(f"- **Tier:** {escape_markdown(tier_label(tier)) if tier else 'unknown'}")
    size = [
        p for p in (money(ctx.revenue) and f"revenue {money(ctx.revenue)}", ctx.size and f"{ctx.size:,} employees") if p
    ]
    if size:
        lines.append(f"- **Size:** {', '.join(size)}")  # our own formatting, nothing to escape
    if ctx.owner:
        lines.append(f"- **HubSpot owner:** {escape_markdown(ctx.owner)}")
    lines.append(f"- **Reported by:** {person(escalation.get('customer_name'), escalation.get('customer_address'))}")
    if ctx.other_tickets:
        links = ", ".join(
            f"[#{t.id} {escape_markdown(t.subject) or 'untitled'}]({t.url})" for t in ctx.other_tickets[:10]
        )
        more = f" and {len(ctx.other_tickets) - 10} more" if len(ctx.other_tickets) > 10 else ""
        lines.append(f"- **Other open tickets:** {links}{more}")
    lines.append(f"- **Forwarded:** {forwarded_line(escalation)}")
    attachments = escalation.get("attachments") or []
    if attachments:
        lines.append("- **Attachments:** " + ", ".join(attachment_line(a) for a in attachments))
    return lines


def person(name: str | None, address: str | None) -> str:
    if name and address:
        return f"{escape_markdown(name)} ({escape_markdown(address)})"
    return escape_markdown(name or address or "unknown")


def forwarded_line(escalation: Mapping[str, Any]) -> str:
    when = stamp(escalation.get("received_at"))
    if escalation.get("forwarded"):
        by = person(escalation.get("forwarded_by_name"), escalation.get("forwarded_by_address"))
        return f"by {by}, received {when}"
    return f"sent directly by the customer, received {when}"


def attachment_line(attachment: Mapping[str, Any]) -> str:
    name = escape_markdown(attachment.get("filename") or "unnamed")
    size = human_size(attachment.get("size"))
    kept = "" if attachment.get("stored", True) else ", not stored (too large)"
    return f"{name} ({size}{kept})"


def attachment_metadata(escalation: Mapping[str, Any], ctx: CustomerContext, *, stage: str | None,
                        priority: str | None = None, ticket_owner: str | None = None) -> dict[str, Any]:
    """Metadata for Linear's attachment detail panel: attributes plus the customer's message."""
    attributes = [
        ("Company", ctx.company or escalation.get("company") or ctx.domain or escalation.get("customer_domain")),
        ("Tier", tier_label(ctx.tier or escalation.get("tier"))),
        ("Revenue", money(ctx.revenue)),
        ("Contact", plain_person(escalation.get("customer_name"), escalation.get("customer_address"))),
        ("Ticket stage", stage),
        ("Ticket priority", tier_label((priority or "").lower())),
        ("Ticket owner", ticket_owner),
    ]
    body = (escalation.get("body") or "").strip()
    if len(body) > METADATA_MESSAGE_LIMIT:
        body = body[:METADATA_MESSAGE_LIMIT] + " [...]"
    message = {"subject": escalation.get("subject") or "(no subject)", "body": body,
               "timestamp": escalation.get("original_date") or escalation.get("received_at")}
    return {"attributes": [{"name": n, "value": str(v)} for n, v in attributes if v], "messages": [message]}


def need_body(escalation: Mapping[str, Any]) -> str:
    """The customer need's Markdown: who asked, and their message quoted inertly."""
    who = person(escalation.get("customer_name"), escalation.get("customer_address"))
    return f"{who} wrote:\n\n{fenced(escalation.get('body'), 5_000)}\n"


def followup_comment(ref: str, followup: Mapping[str, Any]) -> str:
    """A comment for a customer's follow-up; it starts with a fixed prefix and ``ref`` so a retry can find it."""
    sender = escape_markdown(followup.get("sender") or "the customer")
    return (f"{FOLLOWUP_PREFIX} (ref {ref}) from {sender}, received {stamp(followup.get('received_at'))}:\n\n"
            f"{fenced(followup.get('body'))}\n")


def also_reported_comment(ref: str, escalation: Mapping[str, Any], ctx: CustomerContext, ticket_url: str) -> str:
    who = person(escalation.get("customer_name"), escalation.get("customer_address"))
    company = escape_markdown(ctx.company or escalation.get("company") or ctx.domain or "")
    tier = tier_label(ctx.tier or escalation.get("tier"))
    about = ", ".join(p for p in (company, escape_markdown(tier) if tier else "") if p)
    return (f"{ALSO_REPORTED_PREFIX} (ref {ref}) by {who}" + (f" ({about})" if about else "") +
            f" · [HubSpot ticket]({ticket_url})\n\n{fenced(escalation.get('body'))}\n")


# -- HubSpot -------------------------------------------------------------------------------------------------
def ticket_subject(escalation: Mapping[str, Any]) -> str:
    subject = " ".join((escalation.get("subject") or "").split()) or "Bug report"
    return subject[:TITLE_LIMIT]


def ticket_content(escalation: Mapping[str, Any], ctx: CustomerContext) -> str:
    """The ticket description: who reported it and their message, HTML-escaped, within HubSpot's limit."""
    who = plain_person(escalation.get("customer_name"), escalation.get("customer_address"))
    head = html.escape(f"Reported by {who} on {stamp(escalation.get('received_at'))}.\n\n")
    body = (escalation.get("body") or "").strip()
    where = "The full message is attached to the email logged on this ticket."
    return fit_html(head, body, "", where=where, newline="\n").text


def email_log_parts(escalation: Mapping[str, Any]) -> tuple[str, str, str]:
    """The logged email's head (From, Date, Subject), the customer's text, and the tail with the retry reference."""
    who = plain_person(escalation.get("customer_name"), escalation.get("customer_address"))
    head = (f"From: {who}\nDate: {escalation.get('original_date') or escalation.get('received_at') or ''}\n"
            f"Subject: {escalation.get('subject') or ''}\n\n")
    tail = f"\n\nRotadesk ref: {ref_for(escalation.get('message_id') or '')}"
    return head, (escalation.get("body") or "").strip(), tail


def email_log_text(escalation: Mapping[str, Any]) -> str:
    """The forwarded email as logged on the ticket (plain text), ending with a reference a retry can find."""
    return "".join(email_log_parts(escalation))


def link_note_html(identifier: str, url: str, title: str, ref: str) -> str:
    return (f'<p>Linked to Linear issue <a href="{html.escape(url, quote=True)}">{html.escape(identifier)}</a>: '
            f"{html.escape(title)}</p><p>Rotadesk ref: {html.escape(ref)}</p>")


def moved_note_html(identifier: str, url: str, moved_from: str, marker: str) -> str:
    return (f'<p>Now linked to Linear issue <a href="{html.escape(url, quote=True)}">{html.escape(identifier)}</a>, '
            f"the same bug{' as ' + html.escape(moved_from) + ' (marked its duplicate)' if moved_from else ''}.</p>"
            f"<p>{html.escape(marker)}</p>")


def followup_note_parts(ref: str, followup: Mapping[str, Any], identifier: str, url: str) -> tuple[str, str, str]:
    """A follow-up note's HTML head, the customer's plain text (escaped when fitted) and the HTML tail with ``ref``."""
    sender = html.escape(followup.get("sender") or "the customer")
    head = (f"<p>Follow-up from {sender}, added to Linear issue "
            f'<a href="{html.escape(url, quote=True)}">{html.escape(identifier)}</a>:</p><blockquote>')
    return head, (followup.get("body") or "").strip(), f"</blockquote><p>Rotadesk ref: {html.escape(ref)}</p>"


def followup_note_html(ref: str, followup: Mapping[str, Any], identifier: str, url: str) -> str:
    head, body, tail = followup_note_parts(ref, followup, identifier, url)
    return fit_html(head, body, tail, where="The full message is attached to this note.").text


# -- small formatting helpers ----------------------------------------------------------------------------------
def plain_person(name: str | None, address: str | None) -> str:
    return f"{name} <{address}>" if name and address else (name or address or "unknown")


def stamp(value: str | datetime | None) -> str:
    if not value:
        return "at an unknown time"
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return escape_markdown(str(value))
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()


def money(value: float | None) -> str | None:
    if value is None:
        return None
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"${value / size:.1f}{suffix}".replace(".0" + suffix, suffix)
    return f"${value:,.0f}"


def human_size(size: int | None) -> str:
    if not size:
        return "size unknown"
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def other_tickets(tickets: Sequence[Any], portal_id: int | None, exclude: str | None = None) -> tuple[OpenTicket, ...]:
    """OpenTicket rows from client tickets (anything with ``id`` and ``subject``)."""
    base = f"https://app.hubspot.com/contacts/{portal_id}/record/0-5/"
    return tuple(OpenTicket(t.id, t.subject, base + t.id) for t in tickets if t.id != exclude)
