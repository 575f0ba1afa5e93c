from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core import escalations as esc

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)


def row(n: int, *, hours: float = 1, **extra) -> dict:
    return {
        "id": n,
        "subject": f"Bug {n}",
        "status": "open",
        "received_at": (NOW - timedelta(hours=hours)).isoformat(),
        "customer_name": f"Cust {n}",
        "customer_address": f"c{n}@acme.example",
        "customer_domain": "acme.example",
        "company": "Acme",
        "tier": "business",
        "followups": 0,
        **extra,
    }


def test_from_row_reads_the_joined_columns():
    e = esc.from_row(
        row(
            3,
            forwarded_by_name=None,
            forwarded_by_address="sam@ourco.com",
            linear_identifier="ENG-1",
            linear_url="https://linear.app/x/ENG-1",
            hubspot_ticket_url="https://app.hubspot.com/t/3",
            tier="Enterprise",
            followups=2,
        )
    )
    assert (e.id, e.tier, e.forwarded_by) == (3, "enterprise", "sam@ourco.com")
    assert (e.linear_identifier, e.followups) == ("ENG-1", 2)
    assert e.received_at == NOW - timedelta(hours=1)
    assert e.customer_label == "Cust 3 (Acme)"


def test_from_row_fills_gaps():
    e = esc.from_row({"id": 1, "received_at": "2026-03-04T10:00:00", "subject": None, "status": None})
    assert e.subject == "(no subject)" and e.status == "open" and e.is_open
    assert e.received_at.tzinfo is not None  # naive store values are UTC
    assert e.customer_label == "unknown customer"


@pytest.mark.parametrize(
    "status,is_open",
    [("open", True), ("triaged", True), ("closed", False), ("done", False), ("wont_fix", False), ("sent", False)],
)
def test_open_and_closed_statuses(status, is_open):
    assert esc.from_row(row(1, status=status)).is_open is is_open


def test_open_escalations_orders_by_tier_then_age():
    rows = [
        row(1, hours=5, tier="free"),
        row(2, hours=1, tier="enterprise"),
        row(3, hours=9, tier="enterprise"),
        row(4, status="closed", tier="enterprise"),
        row(5, hours=50, tier=None),
    ]
    assert [e.id for e in esc.open_escalations(rows)] == [3, 2, 1, 5]


def test_age_never_negative():
    e = esc.from_row(row(1, hours=-2))
    assert e.age(NOW) == timedelta(0)


@pytest.mark.parametrize("hours,shown", [(0.25, "15m"), (5, "5h"), (48, "2d"), (76, "3d 4h")])
def test_format_age(hours, shown):
    assert esc.format_age(timedelta(hours=hours)) == shown


def test_format_age_of_nothing():
    assert esc.format_age(None) == "–"


def test_filters_combine():
    items = [
        esc.from_row(r)
        for r in (
            row(1, tier="enterprise"),
            row(2, tier="free", customer_domain="globex.example", company="Globex"),
            row(3, tier=None, status="triaged"),
            row(4, status="closed"),
        )
    ]
    assert [e.id for e in esc.filter_escalations(items)] == [1, 2, 3, 4]
    assert [e.id for e in esc.filter_escalations(items, statuses=["open"])] == [1, 2]
    assert [e.id for e in esc.filter_escalations(items, tiers=["unknown"])] == [3]
    assert [e.id for e in esc.filter_escalations(items, customer="GLOBEX")] == [2]
    assert [e.id for e in esc.filter_escalations(items, statuses=["open"], customer="c1@")] == [1]


def test_by_customer_groups_and_orders():
    items = [
        esc.from_row(r)
        for r in (
            row(1, hours=1),
            row(2, hours=3),
            row(3, customer_domain="globex.example", company="Globex", tier="enterprise"),
            row(4, customer_domain=None, customer_address="x@gmail.com", tier=None),
        )
    ]
    groups = esc.by_customer(items)
    assert [g.key for g in groups] == ["globex.example", "acme.example", "x@gmail.com"]
    assert [e.id for e in groups[1].escalations] == [2, 1]  # oldest first
    assert groups[0].company == "Globex"


def test_due_uses_tier_limits_and_skips_closed():
    items = [
        esc.from_row(r)
        for r in (
            row(1, hours=25, tier="enterprise"),
            row(2, hours=23, tier="enterprise"),
            row(3, hours=80, tier="business"),
            row(4, hours=200, tier=None),
            row(5, hours=500, status="closed"),
        )
    ]
    assert [e.id for e in esc.due(items, NOW)] == [4, 3, 1]  # most overdue first
    # a tier missing from custom limits gets the slowest limit, so business (80h) is not due
    assert [e.id for e in esc.due(items, NOW, hours={"enterprise": 1})] == [4, 1, 2]


def test_summarize():
    items = [
        esc.from_row(r)
        for r in (
            row(1, hours=3, tier="enterprise"),
            row(2, hours=30),
            row(3, hours=90, status="done", tier="enterprise"),
        )
    ]
    s = esc.summarize(items, NOW)
    assert (s.open, s.top_tier_open, s.oldest_age) == (2, 1, timedelta(hours=30))
    assert esc.summarize([], NOW).oldest_age is None


def test_table_rows_keep_links_and_ages():
    e = esc.from_row(row(1, hours=26, linear_identifier="ENG-9", linear_url="https://linear.app/a/ENG-9",
                         revenue=4200000))
    (r,) = esc.table_rows([e], NOW)
    assert r["Linear issue"] == "https://linear.app/a/ENG-9" and r["HubSpot"] is None
    assert (r["Age"], r["Revenue"]) == ("1d 2h", "4,200,000")


def test_a_closed_escalations_age_stops_at_its_close():
    # Issue 19: it does not keep ageing after it was answered.
    e = esc.from_row(row(1, hours=26, status="done", closed_at=(NOW - timedelta(hours=20)).isoformat()))
    assert e.age(NOW) == timedelta(hours=6) and esc.table_rows([e], NOW)[0]["Age"] == "6h"
