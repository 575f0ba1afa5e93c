"""The support playbook as data, pure: which rule decides an escalation's support tier and routing.

The written rule: support keeps tier 1 and tier 2; the engineer on rotation takes tier 3 escalations, fixes small
bugs within the week and triages larger ones into the backlog. Rules are tried in order and the first that
matches fires; an escalation no rule catches is tier 3 (support already forwarded it). Every condition left empty
matches anything. Keywords are plain words matched on whole casefolded words in the subject and body, never
patterns, so matching stays linear in the text however hostile the mail.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from core.errors import ValidationError
from core.escalations import TIER_ORDER
from core.markup import escape_markdown

SUPPORT_TIERS = (1, 2, 3)
ROUTINGS = ("normal", "urgent")
SOURCES = ("email", "report")  # mail (IMAP, import, demo) or a report a person entered
CUSTOMER_TIERS = (*TIER_ORDER, "unknown")
OWNERS = {1: "support", 2: "support", 3: "engineer"}
MAX_TERMS, MAX_TERM_CHARS, MAX_NAME_CHARS = 50, 100, 80
_NON_WORD = re.compile(r"\W+")  # one character class, no nesting: linear on any input
_SPLIT = re.compile(r"[,\n;]")


@dataclass(frozen=True)
class Rule:
    """One playbook rule: conditions (each empty one matches anything) and what it decides."""

    name: str
    support_tier: int
    routing: str = "normal"
    customer_tiers: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()  # addresses or domains; a domain covers its subdomains
    sources: tuple[str, ...] = ()
    position: int = 0
    enabled: bool = True
    id: int | None = None

    @property
    def owner(self) -> str:
        return OWNERS[self.support_tier]


@dataclass(frozen=True)
class Facts:
    """What rules look at in one escalation, normalised once."""

    customer_tier: str
    words: str  # " word word ... " of subject and body, casefolded
    senders: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Decision:
    """The support tier and routing an escalation gets, and the rule that decided (None: no rule caught it)."""

    support_tier: int
    routing: str
    rule_id: int | None = None
    rule_name: str | None = None

    @property
    def owner(self) -> str:
        return OWNERS[self.support_tier]

    def columns(self) -> dict[str, Any]:
        """The escalation's columns that record this decision."""
        return {"support_tier": self.support_tier, "routing": self.routing, "playbook_rule_id": self.rule_id,
                "playbook_rule": self.rule_name}


NO_RULE = Decision(3, "normal")

DEFAULT_RULES = (
    Rule("Enterprise data loss", 3, "urgent", customer_tiers=("enterprise",),
         keywords=("data loss", "lost data", "deleted", "missing", "corrupted"), position=10),
    Rule("Outage or security", 3, "urgent",
         keywords=("outage", "down for everyone", "security", "breach", "vulnerability"), position=20),
    Rule("How-to questions", 1, keywords=("how do i", "how can i", "where can i", "is it possible"), position=30),
    Rule("Billing and accounts", 2,
         keywords=("invoice", "billing", "refund", "password reset", "change my plan"), position=40),
)


def words_of(text: str) -> str:
    """Text as casefolded whole words, space-separated and padded, so a word search is a substring search."""
    return " " + _NON_WORD.sub(" ", text.casefold()).strip(" ") + " "


def facts(row: dict[str, Any], source: str | None = None) -> Facts:
    """Facts from an escalation row; ``source`` is the inbound message's source (``imap``, ``report``, ...)."""
    senders = tuple(s.casefold() for s in (row.get("customer_address"), row.get("forwarded_by_address")) if s)
    return Facts(
        customer_tier=(row.get("tier") or "unknown").lower(),
        words=words_of(f"{row.get('subject') or ''}\n{row.get('body') or ''}"),
        senders=senders,
        source=source_kind(source if source is not None else row.get("source")),
    )


def source_kind(source: str | None) -> str:
    return "report" if (source or "").split(":", 1)[0] == "report" else "email"


def _sender_matches(pattern: str, address: str) -> bool:
    if "@" in pattern.lstrip("@"):
        return address == pattern
    domain = pattern.lstrip("@")
    host = address.rpartition("@")[2]
    return host == domain or host.endswith("." + domain)


def matches(rule: Rule, f: Facts) -> bool:
    """Does every condition of ``rule`` hold for ``f``?"""
    if not rule.enabled:
        return False
    if rule.customer_tiers and f.customer_tier not in rule.customer_tiers:
        return False
    if rule.sources and f.source not in rule.sources:
        return False
    if rule.senders and not any(_sender_matches(p, a) for p in rule.senders for a in f.senders):
        return False
    return not rule.keywords or any(words_of(k) in f.words for k in rule.keywords)


def ordered(rules: Iterable[Rule]) -> list[Rule]:
    return sorted(rules, key=lambda r: (r.position, r.id or 0, r.name))


def evaluate(rules: Iterable[Rule], f: Facts) -> Decision:
    """The first matching rule's decision, or :data:`NO_RULE`."""
    for rule in ordered(rules):
        if matches(rule, f):
            return Decision(rule.support_tier, rule.routing, rule.id, rule.name)
    return NO_RULE


def terms(text: str | Sequence[str]) -> tuple[str, ...]:
    """A list typed as text (comma, semicolon or one per line) as clean, casefolded, distinct terms."""
    parts = _SPLIT.split(text) if isinstance(text, str) else list(text)
    out = tuple(dict.fromkeys(" ".join(p.split()).casefold() for p in parts if p and p.strip()))
    if len(out) > MAX_TERMS:
        raise ValidationError(f"A rule takes at most {MAX_TERMS} terms per condition.")
    long = next((t for t in out if len(t) > MAX_TERM_CHARS), None)
    if long:
        raise ValidationError(f"“{long[:30]}…” is longer than {MAX_TERM_CHARS} characters.")
    return out


def validate(rule: Rule) -> Rule:
    """``rule`` tidied, or ValidationError saying what is wrong."""
    name = " ".join(rule.name.split())
    if not name or len(name) > MAX_NAME_CHARS:
        raise ValidationError(f"Give the rule a name of 1 to {MAX_NAME_CHARS} characters.")
    if rule.support_tier not in SUPPORT_TIERS:
        raise ValidationError("The support tier is 1, 2 or 3.")
    if rule.routing not in ROUTINGS:
        raise ValidationError(f"Routing is one of {', '.join(ROUTINGS)}.")
    for values, allowed, what in ((rule.customer_tiers, CUSTOMER_TIERS, "customer tier"),
                                  (rule.sources, SOURCES, "source")):
        bad = [v for v in values if v not in allowed]
        if bad:
            raise ValidationError(f"Unknown {what} {bad[0]!r}; choose from {', '.join(allowed)}.")
    keywords = tuple(k for k in terms(rule.keywords) if words_of(k).strip())
    if len(keywords) != len(terms(rule.keywords)):
        raise ValidationError("Every keyword needs at least one letter or digit.")
    senders = terms(rule.senders)
    bad_sender = next((s for s in senders if " " in s or "." not in s), None)
    if bad_sender:
        raise ValidationError(f"{bad_sender!r} is not an address or a domain.")
    if not (rule.customer_tiers or keywords or senders or rule.sources):
        raise ValidationError("A rule needs at least one condition; an escalation no rule catches is tier 3 anyway.")
    return replace(rule, name=name, keywords=keywords, senders=senders,
                   customer_tiers=tuple(dict.fromkeys(rule.customer_tiers)), sources=tuple(dict.fromkeys(rule.sources)))


@dataclass(frozen=True)
class Catch:
    """What one rule does to a set of escalations: those it matches, and those where it would fire first."""

    rule: Rule
    matched: list[int]
    fires: list[int]


def preview(rules: Iterable[Rule], rows: Iterable[tuple[dict[str, Any], Facts]]) -> list[Catch]:
    """For each rule in order, which of ``rows`` (escalation row with its facts) it catches."""
    rules = ordered(rules)
    matched: dict[int, list[int]] = {i: [] for i in range(len(rules))}
    fires: dict[int, list[int]] = {i: [] for i in range(len(rules))}
    for row, f in rows:
        hits = [i for i, r in enumerate(rules) if matches(r, f)]
        for i in hits:
            matched[i].append(int(row["id"]))
        if hits:
            fires[hits[0]].append(int(row["id"]))
    return [Catch(r, matched[i], fires[i]) for i, r in enumerate(rules)]


@dataclass(frozen=True)
class HandBackCount:
    """How often escalations a rule routed came back to support: the rules to fix first."""

    rule: str
    handed_back: int
    routed: int

    @property
    def share(self) -> float:
        return self.handed_back / self.routed if self.routed else 0.0


def handback_ranking(handbacks: Iterable[dict[str, Any]], routed: Iterable[dict[str, Any]]) -> list[HandBackCount]:
    """Rules by hand-backs, most first; ``routed`` are escalation rows with the rule that fired on them."""
    label = "(no rule: tier 3 by default)"
    backs = Counter(h.get("rule_name") or label for h in handbacks)
    counts = Counter(r.get("playbook_rule") or label for r in routed)
    ranked = [HandBackCount(name, n, max(counts.get(name, 0), n)) for name, n in backs.items()]
    return sorted(ranked, key=lambda c: (-c.handed_back, -c.share, c.rule))


def validate_handback(support_tier: int, reason: str) -> str:
    """The reason, tidied, for handing an escalation back to support at ``support_tier``."""
    if support_tier not in (1, 2):
        raise ValidationError("Hand back to support as tier 1 or tier 2.")
    tidy = " ".join((reason or "").split())
    if not tidy:
        raise ValidationError("Say why it goes back to support; the reason is how the playbook gets fixed.")
    return tidy[:500]


def to_markdown(rules: Iterable[Rule]) -> str:
    """The playbook as one Markdown page for the team's wiki; every term is escaped."""
    out = ["# Support playbook", "",
           "Support keeps tier 1 and tier 2. The engineer on rotation takes tier 3: fixes small bugs within the "
           "week and triages larger ones into the backlog.", "",
           "Rules are tried in order; the first that matches decides. An escalation no rule catches is tier 3.", "",
           "| # | Rule | Customer tier | Keywords | Sender | Source | Support tier | Routing | Owner |",
           "|---|---|---|---|---|---|---|---|---|"]
    for n, r in enumerate((r for r in ordered(rules) if r.enabled), start=1):
        cells = [str(n), escape_markdown(r.name)] + [
            ", ".join(escape_markdown(v) for v in values) or "any"
            for values in (r.customer_tiers, r.keywords, r.senders, r.sources)
        ] + [f"tier {r.support_tier}", r.routing, r.owner]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def with_rule(rules: Iterable[Rule], rule: Rule) -> list[Rule]:
    """``rules`` with ``rule`` in place of the saved rule of the same id (or added), to preview an edit."""
    others = [r for r in rules if rule.id is None or r.id != rule.id]
    return ordered([*others, rule])


def describe(rule: Rule) -> str:
    """A rule's conditions in one line, for tables."""
    parts = [f"customer tier {' or '.join(rule.customer_tiers)}" if rule.customer_tiers else "",
             f"words: {', '.join(rule.keywords)}" if rule.keywords else "",
             f"from: {', '.join(rule.senders)}" if rule.senders else "",
             f"source {' or '.join(rule.sources)}" if rule.sources else ""]
    return " · ".join(p for p in parts if p) or "anything"


def summary(catches: Iterable[Catch], ranking: Iterable[HandBackCount]) -> list[dict[str, Any]]:
    """One table row per rule: what it decides, and what it caught among the recent escalations."""
    backs = {c.rule: c.handed_back for c in ranking}
    return [{"order": c.rule.position, "rule": c.rule.name, "when": describe(c.rule),
             "support_tier": c.rule.support_tier, "routing": c.rule.routing, "owner": c.rule.owner,
             "catches": len(c.matched), "fires_first": len(c.fires), "handed_back": backs.get(c.rule.name, 0),
             "enabled": c.rule.enabled} for c in catches]


def catch_rows(catch: Catch, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The escalations ``catch`` matched, each saying whether the rule would fire or an earlier rule wins."""
    fires = set(catch.fires)
    return [{"id": r["id"], "received": r.get("received_at"), "subject": r.get("subject"),
             "customer_tier": r.get("tier") or "unknown", "would_fire": r["id"] in fires,
             "decided_at_intake_by": r.get("playbook_rule") or "no rule"}
            for r in rows if r["id"] in set(catch.matched)]
