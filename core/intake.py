"""Intake rules, pure: which parsed message becomes an escalation, a follow-up, or waits for review."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class ParsedLike(Protocol):
    kind: str
    kind_reason: str | None
    forwarded: bool
    sender: Any
    customer: Any
    auth: dict[str, str]


@dataclass(frozen=True)
class Decision:
    """What to do with one message: ``escalate``, ``followup``, ``ignore`` or ``quarantine``, and why."""

    action: str
    reason: str | None = None


def domain_of(address: str | None) -> str:
    return (address or "").rpartition("@")[2].lower()


def in_domains(address: str | None, domains: tuple[str, ...]) -> bool:
    domain = domain_of(address)
    return bool(domain) and any(domain == d or domain.endswith("." + d) for d in domains)


def auth_passes(auth: dict[str, str], domain: str) -> bool:
    """True when the server added no Authentication-Results, or DKIM or SPF passed for ``domain``."""
    if not auth:
        return True
    return _passed(auth, "dkim", domain) or _passed(auth, "spf", domain)


def _passed(auth: dict[str, str], method: str, domain: str) -> bool:
    """Did ``method`` pass for ``domain``? A message may carry several signatures; any aligned pass counts."""
    if auth.get(f"{method}_pass_domains"):
        return any(_aligned(d, domain) for d in auth[f"{method}_pass_domains"].split(","))
    return auth.get(method) == "pass" and _aligned(auth.get(f"{method}_domain"), domain)


def _aligned(signed: str | None, domain: str) -> bool:
    # A result without a domain was still produced for this message's sender.
    return not signed or signed.lower() == domain or domain.endswith("." + signed.lower())


def decide(parsed: ParsedLike, company_domains: tuple[str, ...], *, known_customer: bool,
           trust_customer_dkim: bool) -> Decision:
    """Classify a parsed message. Anyone can email an inbox, so only trusted senders reach Linear."""
    if parsed.kind != "report":
        return Decision("ignore", parsed.kind_reason or parsed.kind.replace("_", " "))
    sender = parsed.sender.address if parsed.sender else None
    if not sender:
        return Decision("quarantine", "needs review: the message has no sender")
    sender_domain = domain_of(sender)
    if in_domains(sender, company_domains):
        if not auth_passes(parsed.auth, sender_domain):
            return Decision("quarantine", f"needs review: neither DKIM nor SPF passed for {sender_domain}")
        if parsed.customer is None:
            return Decision("quarantine", "needs review: no customer found in the forwarded message")
        return Decision("escalate")
    if trust_customer_dkim and known_customer and _passed(parsed.auth, "dkim", sender_domain):
        return Decision("escalate")
    return Decision("quarantine", f"needs review: direct mail from {sender_domain}, outside our company domains")


def decide_followup(parsed: ParsedLike, company_domains: tuple[str, ...], *, known_customer: bool,
                    trust_customer_dkim: bool) -> Decision:
    """A reply to an escalation's thread passes the same trust rules as new mail: ``followup`` or ``quarantine``.

    Anyone can put an escalation's Message-ID in In-Reply-To; only a verified sender's text reaches Linear.
    """
    sender = parsed.sender.address if parsed.sender else None
    if not sender:
        return Decision("quarantine", "needs review: a follow-up with no sender")
    sender_domain = domain_of(sender)
    if in_domains(sender, company_domains):
        if auth_passes(parsed.auth, sender_domain):
            return Decision("followup")
        return Decision("quarantine", f"needs review: a follow-up, and neither DKIM nor SPF passed for {sender_domain}")
    if trust_customer_dkim and known_customer and _passed(parsed.auth, "dkim", sender_domain):
        return Decision("followup")
    return Decision("quarantine", f"needs review: a follow-up from {sender_domain}, outside our company domains")


def thread_ids(message_id: str, in_reply_to: str | None, references: tuple[str, ...]) -> list[str]:
    """Every Message-ID that ties a message to a thread, own id first."""
    ids = [message_id, *(references or ()), in_reply_to or ""]
    return list(dict.fromkeys(i for i in ids if i))
