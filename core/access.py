"""Who may use the dashboard and what each person may do: the allow-list, roles and the actions they permit.

Pure rules, no Streamlit: pages hide what a role may not do, and the store functions behind each action call
:func:`require` so the action itself refuses too.

Roles, from least to most: ``viewer`` reads everything; ``member`` also takes every action on escalations,
messages, replies, the rotation and handoffs; ``admin`` also edits the roster, the reply templates and reads the
audit trail.

The allow-list (``ROTADESK_SIGNIN_ALLOW``) is comma-separated entries ``WHO`` or ``WHO=ROLE``, where ``WHO`` is an
e-mail address or ``@domain`` and ``ROLE`` defaults to ``viewer``. An address entry wins over its domain's entry;
a domain matches exactly (``@example.com`` does not admit ``a@eng.example.com``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.errors import AccessDenied

ROLES = ("viewer", "member", "admin")
DEFAULT_ROLE = "viewer"

# Every action a person can take, and the least role that may take it.
ACTIONS: dict[str, str] = {
    "message.accept": "member",
    "message.discard": "member",
    "message.retry": "member",
    "report.file": "member",
    "customers.import": "member",
    "escalation.done": "member",
    "escalation.wont_fix": "member",
    "escalation.reopen": "member",
    "reply.edit": "member",
    "reply.send": "member",
    "rotation.swap": "member",
    "rotation.regenerate": "member",
    "rotation.out_today": "member",
    "rotation.ask_swap": "member",
    "rotation.answer_swap": "member",
    "rotation.cover": "member",
    "feed.rotate": "member",
    "time_off.edit": "member",
    "handoff.submit": "member",
    "office_hours.discuss": "member",
    "office_hours.topic": "member",
    "accounts.match": "member",
    "escalation.hand_back": "member",
    "planning.review": "member",
    "roster.edit": "admin",
    "playbook.edit": "admin",
    "template.edit": "admin",
    "audit.read": "admin",
    # Only the worker takes these (it acts as an admin): a reply staged or withdrawn when Linear says so.
    "reply.stage": "admin",
    "reply.withdraw": "admin",
}


@dataclass(frozen=True)
class Person:
    """Whoever acts: a signed-in person, anyone on this machine (no sign-in configured), or the worker."""

    email: str
    name: str
    role: str

    def can(self, action: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(ACTIONS[action])

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>" if self.name and self.name != self.email else self.email


# Without sign-in the dashboard listens on localhost only, so whoever reaches it is trusted with everything.
LOCAL = Person("dashboard", "anyone on this machine", "admin")
WORKER = Person("worker", "Rotadesk worker", "admin")


@dataclass(frozen=True)
class AllowList:
    """Parsed ``ROTADESK_SIGNIN_ALLOW``: roles by exact address and by domain."""

    addresses: Mapping[str, str]
    domains: Mapping[str, str]

    def __bool__(self) -> bool:
        return bool(self.addresses or self.domains)

    def role_for(self, email: str | None) -> str | None:
        """The role of ``email``, or None when it is not on the list."""
        address = (email or "").strip().lower()
        local, at, domain = address.rpartition("@")
        if not local or not at or not domain:
            return None
        return self.addresses.get(address) or self.domains.get(domain)


def parse_allow_list(raw: str) -> AllowList:
    """Read the allow-list setting; ``ValueError`` names the first bad entry."""
    addresses: dict[str, str] = {}
    domains: dict[str, str] = {}
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        who, _, role = entry.partition("=")
        who, role = who.strip().lower(), (role.strip().lower() or DEFAULT_ROLE)
        if role not in ROLES:
            raise ValueError(f"{entry!r}: the role must be one of {', '.join(ROLES)}")
        if who.startswith("@"):
            domain = who[1:]
            if "." not in domain or "@" in domain or " " in domain:
                raise ValueError(f"{entry!r}: {who!r} is not a mail domain")
            domains[domain] = role
            continue
        local, at, domain = who.rpartition("@")
        if not local or not at or "." not in domain or " " in who:
            raise ValueError(f"{entry!r}: write an e-mail address or @domain")
        addresses[who] = role
    return AllowList(addresses, domains)


def person_for(user: Mapping[str, object], allow: AllowList) -> Person | None:
    """The person a provider's identity claims describe, or None when they may not use Rotadesk.

    A provider that says the address is not verified is refused: anyone can claim an unverified address.
    """
    email = user.get("email")
    if not isinstance(email, str) or user.get("email_verified") is False:
        return None
    role = allow.role_for(email)
    if role is None:
        return None
    name = user.get("name")
    return Person(email.strip().lower(), name if isinstance(name, str) and name.strip() else email, role)


def require(person: Person, action: str) -> None:
    """Refuse ``action`` unless ``person``'s role allows it."""
    if not person.can(action):
        needed = ACTIONS[action]
        raise AccessDenied(f"{person.label} is a {person.role}; {describe(action)} needs the {needed} role.")


def describe(action: str) -> str:
    """An action's name as a sentence fragment: ``escalation.wont_fix`` -> ``escalation wont fix``."""
    return action.replace(".", " ").replace("_", " ")
