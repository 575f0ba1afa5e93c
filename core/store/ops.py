"""Store functions for the rotation's day-to-day: office hours, handoffs, and the reads capacity needs.

The rotation tables (``engineers``, ``rotation_weeks``) are only read here, with plain selects.
This module imports nothing from ``core.store`` so the schema can register its migrations without a cycle.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from core.errors import ValidationError

migrations = Migrations("rotadesk.ops")


@migrations()
def m001_handoff_still_open(db: Database) -> None:
    # The handoff lists what is still open (not yet in Linear) beside fixed and triaged.
    db["handoffs"].add_column("still_open", str)


@migrations()
def m002_office_hours_reason(db: Database) -> None:
    # Why an item was on the queue ("new follow-up", "not discussed yet") stays beside it once it is discussed.
    db["office_hours"].add_column("reason", str)


# Rotation tables (read only)
def rotation_weeks(db: Database) -> list[dict]:
    """Weeks as they are covered: the latest whole-week swap wins, and ``covered_by`` lists who covers some days."""
    return list(db.query(
        "select w.week_start, coalesce(o.to_email, w.engineer_email) as engineer_email, w.published, "
        "e.name as engineer_name, w.backup_email, "
        "(select group_concat(distinct d.to_email) from rotation_overrides d "
        " where d.week_start = w.week_start and d.first_day is not null) as covered_by "
        "from rotation_weeks w "
        "left join rotation_overrides o on o.id = (select x.id from rotation_overrides x "
        " where x.week_start = w.week_start and x.first_day is null order by x.at desc, x.id desc limit 1) "
        "left join engineers e on e.email = coalesce(o.to_email, w.engineer_email) order by w.week_start"))


def engineers(db: Database, *, active_only: bool = True) -> list[dict]:
    where = "where active = 1" if active_only else ""
    return list(db.query(f"select email, name, start_date, active from engineers {where} order by name"))


def engineer_names(db: Database) -> dict[str, str]:
    """Email -> name of every engineer who has one, former ones included (history names them too)."""
    return {r["email"]: r["name"] for r in engineers(db, active_only=False) if r.get("name")}


# Escalation reads for charts and handoffs
def received_times(db: Database, since: str) -> list[str]:
    return [r["received_at"] for r in db.query(
        "select received_at from escalations where received_at >= ? order by received_at", [since])]


def received_per_day(db: Database, since: str) -> list[tuple[str, int]]:
    """(UTC day, escalations received that day) since ``since``, counted from the received_at index."""
    return [(r["day"], r["n"]) for r in db.query(
        "select date(received_at) as day, count(*) as n from escalations where received_at >= ? "
        "group by date(received_at) order by day", [since])]


def week_escalations(db: Database, start: str, end: str) -> list[dict]:
    """Escalations that matter for the week [start, end): received or closed in it, or open when it ended."""
    return list(db.query(
        "select e.id, e.subject, e.customer_name, e.customer_address, e.customer_domain, e.company, e.tier, "
        "e.status, e.received_at, e.closed_at, e.forwarded_by_name, e.forwarded_by_address, "
        "l.linear_identifier, l.linear_url, l.linear_state, l.linear_state_type, l.hubspot_ticket_url, "
        "(select count(*) from followups f where f.escalation_id = e.id) as followups "
        "from escalations e left join links l on l.escalation_id = e.id "
        # Each of the three ways in is its own index search; an OR across them would read the whole table.
        "where e.id in (select id from escalations where received_at >= ? and received_at < ? "
        "union select id from escalations where status = 'open' and received_at < ? "
        "union select id from escalations where coalesce(closed_at, updated_at) >= ? and received_at < ?) "
        "order by e.id",
        [start, end, end, start, end]))


def staged_reply_times(db: Database) -> list[dict]:
    return list(db.query(
        "select key, escalation_id, status, done_at, staged_at, sent_at, withdrawn_at from staged_replies "
        "order by done_at"))


def close_time_medians(db: Database, since: str, week_start_index: int = 0) -> list[dict]:
    """Median hours per stage per week for replies Linear said done since ``since``, long form for the chart:
    ``{"week_start", "stage", "median_hours", "replies"}``. The same figures as
    ``capacity.close_time_series(capacity.close_times(rows))``, counted by the database over the charted period."""
    sql = f"""
    with r as (
      -- the week's first day: back (weekday - week start) days; || binds tighter than %, hence the brackets
      select date(done_at, '-' || (((cast(strftime('%w', done_at) as integer) + 6 - {int(week_start_index)}) % 7
                 + 7) % 7) || ' days') as week_start,
             round((unixepoch(staged_at) - unixepoch(done_at)) / 3600.0, 2) as to_staged,
             round((unixepoch(sent_at) - unixepoch(staged_at)) / 3600.0, 2) as to_sent
      from staged_replies
      where done_at >= ? and coalesce(withdrawn_at, '') = '' and coalesce(status, '') != 'withdrawn'
    ), hours as (
      select week_start, 'done → staged' as stage, to_staged as h from r where to_staged >= 0
      union all
      select week_start, 'staged → sent', to_sent from r where to_sent >= 0
    ), ranked as (
      select week_start, stage, h, row_number() over (partition by week_start, stage order by h) as rn,
             count(*) over (partition by week_start, stage) as n
      from hours
    )
    select week_start, stage, round(avg(h), 2) as median_hours, max(n) as replies from ranked
    where rn in ((n + 1) / 2, (n + 2) / 2) group by week_start, stage order by week_start, stage"""
    return list(db.query(sql, [since]))


def latest_followups(db: Database) -> dict[int, str]:
    """Newest follow-up time per escalation, open or closed."""
    return {r["escalation_id"]: r["at"] for r in db.query(
        "select escalation_id, max(received_at) as at from followups group by escalation_id")}


# Office hours
def office_hours_for_day(db: Database, day: str) -> list[dict]:
    return list(db.query("select * from office_hours where day = ? order by created_at, id", [day]))


def last_discussed(db: Database, before_day: str) -> dict[int, str]:
    """When each escalation was last marked discussed on a day before ``before_day``."""
    return {r["escalation_id"]: r["at"] for r in db.query(
        "select escalation_id, max(updated_at) as at from office_hours where status = 'discussed' "
        "and escalation_id is not null and day < ? group by escalation_id", [before_day])}


def add_topic(db: Database, row: dict[str, Any]) -> int:
    return int(db["office_hours"].insert(row).last_pk)


def mark_discussed(db: Database, *, day: str, outcome: str, now: str, entry_id: int | None = None,
                   escalation_id: int | None = None, topic: str | None = None, reason: str | None = None) -> int:
    """Record that an item was discussed: update its row, or add one for a queued escalation."""
    if entry_id is not None:
        if not list(db.query("select id from office_hours where id = ?", [entry_id])):
            raise ValidationError(f"office-hours item {entry_id} no longer exists")
        db["office_hours"].update(entry_id, {"status": "discussed", "outcome": outcome, "updated_at": now})
        return entry_id
    if escalation_id is None:
        raise ValidationError("nothing to mark: give an office-hours item or an escalation")
    row = {"day": day, "escalation_id": escalation_id, "topic": topic, "asked_by": None, "status": "discussed",
           "outcome": outcome, "reason": reason, "created_at": now, "updated_at": now}
    return int(db["office_hours"].insert(row).last_pk)


# Handoffs
def save_handoff(db: Database, row: dict[str, Any]) -> None:
    db["handoffs"].upsert(row, pk="week_start")


def handoff(db: Database, week_start: str) -> dict | None:
    rows = list(db.query("select * from handoffs where week_start = ?", [week_start]))
    return rows[0] if rows else None


def handoffs(db: Database, limit: int = 52) -> list[dict]:
    """The latest handoffs, each with its engineer's name when the roster knows them."""
    return list(db.query("select h.*, e.name as engineer_name from handoffs h left join engineers e "
                         "on e.email = h.engineer_email order by h.week_start desc limit ?", [limit]))
