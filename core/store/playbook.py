"""Store functions for the playbook: its rules, the decision recorded on each escalation, and hand-backs.

Imports nothing from ``core.store`` so the schema can register its migrations without a cycle.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from core import playbook as pb
from core.errors import ValidationError

migrations = Migrations("rotadesk.playbook")
_LISTS = ("customer_tiers", "keywords", "senders", "sources")


@migrations()
def m001_playbook(db: Database) -> None:
    db["playbook_rules"].create(
        {"id": int, "position": int, "name": str, "support_tier": int, "routing": str, "customer_tiers": str,
         "keywords": str, "senders": str, "sources": str, "enabled": int, "updated_at": str},
        pk="id", defaults={"enabled": 1, "routing": "normal"},
    )
    for column, kind in (("support_tier", int), ("routing", str), ("playbook_rule_id", int),
                         ("playbook_rule", str)):
        db["escalations"].add_column(column, kind)
    # One hand-back per escalation; handing it back again replaces the reason.
    db["handbacks"].create(
        {"escalation_id": int, "rule_id": int, "rule_name": str, "support_tier": int, "reason": str, "by": str,
         "at": str},
        pk="escalation_id", foreign_keys=[("escalation_id", "escalations", "id")],
    )
    db["playbook_rules"].insert_all([_rule_row(r, None) for r in pb.DEFAULT_RULES])


@migrations()
def m002_playbook_changes(db: Database) -> None:
    # Every edit, so the retro's pulse chart can mark the weeks the playbook changed.
    db["playbook_changes"].create({"id": int, "at": str, "rule_id": int, "summary": str}, pk="id")


def rules(db: Database) -> list[pb.Rule]:
    cursor = db.execute("select * from playbook_rules")
    names = tuple(c[0] for c in cursor.description)
    return pb.ordered(_rule_of(names, row) for row in cursor.fetchall())


def save_rule(db: Database, rule: pb.Rule, now: str) -> int:
    """Insert a new rule or replace the one with ``rule.id``; returns its id."""
    rule = pb.validate(rule)
    row = _rule_row(rule, now)
    with db.atomic():
        if rule.id is None:
            rule_id = int(db["playbook_rules"].insert(row).last_pk)
            _log(db, now, rule_id, f"added “{rule.name}”")
            return rule_id
        if not db["playbook_rules"].count_where("id = ?", [rule.id]):
            raise ValidationError(f"There is no rule {rule.id} any more; reload the page.")
        db["playbook_rules"].update(rule.id, row)
        _log(db, now, rule.id, f"changed “{rule.name}”")
    return rule.id


def delete_rule(db: Database, rule_id: int, now: str) -> None:
    names = [r["name"] for r in db.query("select name from playbook_rules where id = ?", [rule_id])]
    with db.atomic():
        db["playbook_rules"].delete_where("id = ?", [rule_id])
        if names:
            _log(db, now, rule_id, f"removed “{names[0]}”")


def changes(db: Database) -> list[dict]:
    return list(db.query("select * from playbook_changes order by at, id"))


def _log(db: Database, now: str, rule_id: int, summary: str) -> None:
    db["playbook_changes"].insert({"at": now, "rule_id": rule_id, "summary": summary})


def route(db: Database, row: dict[str, Any]) -> dict[str, Any]:
    """The playbook's decision for a new escalation row, as the columns that record it."""
    source = list(db.query("select source from inbound_messages where message_id = ?", [row.get("message_id")]))
    facts = pb.facts(row, source[0]["source"] if source else None)
    return pb.evaluate(rules(db), facts).columns()


def recent(db: Database, limit: int = 200) -> list[dict]:
    """Recent escalations with what the playbook decided and the source they came from, newest first."""
    return list(db.query(
        "select e.id, e.subject, e.body, e.tier, e.company, e.customer_address, e.forwarded_by_address, "
        "e.received_at, e.status, e.support_tier, e.routing, e.playbook_rule_id, e.playbook_rule, "
        "m.source, h.reason as handback_reason from escalations e "
        "left join inbound_messages m on m.message_id = e.message_id "
        "left join handbacks h on h.escalation_id = e.id order by e.received_at desc, e.id desc limit ?", [limit]))


def hand_back(db: Database, escalation_id: int, support_tier: int, reason: str, by: str, now: str) -> None:
    """Record that support takes this escalation after all (tier 1 or 2), with why and which rule sent it."""
    reason = pb.validate_handback(support_tier, reason)
    rows = list(db.query("select playbook_rule_id, playbook_rule from escalations where id = ?", [escalation_id]))
    if not rows:
        raise ValidationError(f"There is no escalation #{escalation_id}.")
    with db.atomic():
        db["handbacks"].upsert({"escalation_id": escalation_id, "rule_id": rows[0]["playbook_rule_id"],
                                "rule_name": rows[0]["playbook_rule"], "support_tier": support_tier,
                                "reason": reason, "by": by.strip() or None, "at": now}, pk="escalation_id")
        db["escalations"].update(escalation_id, {"support_tier": support_tier, "routing": "normal",
                                                 "updated_at": now})


def handbacks(db: Database) -> list[dict]:
    return list(db.query(
        "select h.*, e.subject from handbacks h join escalations e on e.id = h.escalation_id order by h.at desc"))


def _rule_row(rule: pb.Rule, now: str | None) -> dict[str, Any]:
    return {"position": rule.position, "name": rule.name, "support_tier": rule.support_tier,
            "routing": rule.routing, "enabled": int(rule.enabled), "updated_at": now,
            **{name: json.dumps(list(getattr(rule, name))) for name in _LISTS}}


@functools.lru_cache(maxsize=256)  # every new escalation reads the rules; a rule is rebuilt only when its row changes
def _rule_of(names: tuple[str, ...], row: tuple[Any, ...]) -> pb.Rule:
    return _rule(dict(zip(names, row)))


def _rule(row: dict[str, Any]) -> pb.Rule:
    return pb.Rule(name=row["name"], support_tier=int(row["support_tier"]), routing=row["routing"] or "normal",
                   position=row["position"] or 0, enabled=bool(row["enabled"]), id=row["id"],
                   **{name: tuple(json.loads(row[name] or "[]")) for name in _LISTS})
