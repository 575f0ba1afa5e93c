"""Who the customer is in a forward chain: the first sender from outside our domains, or the one an intermediary
(a reseller or partner) forwarded to us; and the forwarders' words that become the note."""

from __future__ import annotations

from core.domains import registrable_domain
from ingest import forward
from ingest.forward import Level
from ingest.mailtext import Address, parse_address_list


def is_company(address: str | None, domains: tuple[str, ...]) -> bool:
    domain = (address or "").rpartition("@")[2].lower()
    return any(domain == d.lower() or domain.endswith("." + d.lower()) for d in domains if d)


def _organisation(address: str) -> str:
    return registrable_domain(address.rpartition("@")[2])


def customer_level(levels: list[Level], domains: tuple[str, ...], outer_subject: str = "") -> int | None:
    """The level whose sender is the customer: the first sender from outside our domains, or, when that one is
    an intermediary, the one they forwarded.

    An intermediary (a reseller or partner) is an outside sender who forwarded to us (a forward prefix on their
    subject, our address among their recipients; the outer sender writes to our inbox) a message from another
    organisation. A colleague of the same organisation further down, or the other side of a thread they were
    part of, does not take over.
    """
    outside = [k for k, lv in enumerate(levels)
               if lv.sender and lv.sender.address and not is_company(lv.sender.address, domains)]
    if not outside:
        return None
    c = outside[0]
    while c + 1 < len(levels) and _forwards_to_us(levels[c], c, domains, outer_subject):
        nxt = levels[c + 1].sender
        if not (nxt and nxt.address) or is_company(nxt.address, domains) or \
                _organisation(nxt.address) == _organisation(levels[c].sender.address):
            break
        c += 1
    return c


def _forwards_to_us(level: Level, k: int, domains: tuple[str, ...], outer_subject: str) -> bool:
    subject = outer_subject if k == 0 else level.headers.get("subject", "")
    prefixes = forward.subject_prefixes(subject)[0]
    if not prefixes or prefixes[0] not in forward.FORWARD_PREFIXES:
        return False
    if k == 0:
        return True
    recipients = parse_address_list(level.headers.get("to", "") + ", " + level.headers.get("cc", ""))
    return any(is_company(a.address, domains) for a in recipients if a.address)


def notes(levels: list[Level], focus: int) -> str | None:
    """The forwarders' own words above the customer's message: the outer one's, then each intermediary's,
    named."""
    notes = [x for x in (levels[0].own, levels[0].below) if x.strip()]
    for lv in levels[1:focus]:
        if lv.own.strip():
            who = display_name(lv.sender) if lv.sender else ""
            notes.append(f"{who}:\n{lv.own}" if who else lv.own)
    return "\n\n".join(notes) or None


def display_name(person: Address) -> str:
    """"Name <address>", or whichever of the two is known."""
    if person.name and person.address:
        return f"{person.name} <{person.address}>"
    return person.name or person.address
