from __future__ import annotations

import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from core import handoff as ho
from core.errors import ValidationError

UTC = ZoneInfo("UTC")
WEEK = date(2026, 3, 2)
NOW = datetime(2026, 3, 6, 15, 0, tzinfo=timezone.utc)


def row(n: int, received: str, **extra) -> dict:
    return {"id": n, "subject": f"Bug {n}", "status": "open", "received_at": received, "customer_name": f"Cust {n}",
            "company": "Acme", "tier": "business", "followups": 0, **extra}


ROWS = [
    row(1, "2026-03-02T09:00:00+00:00", status="closed", closed_at="2026-03-04T10:00:00+00:00"),
    row(2, "2026-03-03T09:00:00+00:00", linear_identifier="ENG-2"),
    row(3, "2026-03-03T10:00:00+00:00", tier="enterprise"),
    row(4, "2026-02-20T09:00:00+00:00", status="closed", closed_at="2026-02-21T09:00:00+00:00"),  # fixed earlier
    row(5, "2026-03-09T09:00:00+00:00"),  # next week
    row(6, "2026-02-25T09:00:00+00:00", linear_identifier="ENG-6", linear_state_type="completed", followups=2),
    row(7, "2026-02-26T09:00:00+00:00", tier="free", followups=3),
    row(8, "2026-03-02T11:00:00+00:00", status="wont_fix", closed_at="2026-03-03T10:00:00+00:00"),  # canceled
]


def test_week_window_uses_the_team_zone():
    start, end = ho.week_window(WEEK, ZoneInfo("America/New_York"))
    assert start == datetime(2026, 3, 2, 5, 0, tzinfo=timezone.utc)
    assert end == datetime(2026, 3, 9, 4, 0, tzinfo=timezone.utc)  # clocks move forward on 8 March


@pytest.mark.parametrize("today,expect", [
    (date(2026, 3, 4), date(2026, 3, 2)), (date(2026, 3, 30), date(2026, 3, 9)), (date(2026, 2, 1), date(2026, 2, 23)),
])
def test_current_week(today, expect):
    assert ho.current_week(["2026-03-09", "2026-02-23", date(2026, 3, 2)], today) == expect


def test_current_week_without_a_schedule():
    assert ho.current_week([], date(2026, 3, 4)) is None


def ids(text: str) -> list[int]:
    """Escalation ids of a section's lines (each starts with ``#id``)."""
    return [int(line.split()[0][1:]) for line in ho.items(text)]


def test_draft_sorts_the_week():
    h = ho.draft(ROWS, WEEK, UTC, NOW, engineer_email="ada@ourco.com")
    assert h.engineer_email == "ada@ourco.com" and h.week_start == WEEK
    assert ids(h.fixed) == [1]  # 6 is done in Linear but no close time: counted by when it arrived, last week
    assert ids(h.triaged) == [2]
    assert ids(h.still_open) == [3, 7]
    # priorities: tier first, then most follow-ups, then oldest
    assert ids(h.priorities) == [3, 2, 7]
    assert "ENG-2" in h.triaged and "Cust 2 (Acme), business" in h.triaged


def test_priority_lines_say_why():
    h = ho.draft(ROWS, WEEK, UTC, NOW)
    first, *_ = ho.items(h.priorities)
    assert first.endswith("enterprise (waiting 3d 5h)")
    assert "3 follow-ups" in ho.items(h.priorities)[2]


def test_draft_caps_priorities():
    h = ho.draft([row(n, "2026-03-03T09:00:00+00:00") for n in range(1, 9)], WEEK, UTC, NOW, top=3)
    assert len(ho.items(h.priorities)) == 3 and len(ho.items(h.still_open)) == 8


def test_empty_week():
    h = ho.draft([], WEEK, UTC, NOW)
    assert (h.fixed, h.triaged, h.still_open, h.priorities) == ("", "", "", "")


def test_items_strip_bullets_and_blanks():
    assert ho.items("- one\n\n* two\n  • three \nfour") == ["one", "two", "three", "four"]


def test_submit_needs_priorities_and_stamps_time():
    with pytest.raises(ValidationError, match="prioritise"):
        ho.submit(ho.Handoff(WEEK, priorities="  \n"), NOW)
    done = ho.submit(ho.Handoff(WEEK, priorities="ENG-2"), NOW)
    assert done.submitted_at == "2026-03-06T15:00:00+00:00"


def test_row_round_trip():
    h = ho.Handoff(WEEK, "ada@ourco.com", "a", "b", "c", "d", "e", "2026-03-06T15:00:00+00:00")
    assert ho.from_saved(ho.to_row(h)) == h


def test_render_markdown_sections():
    md = ho.render_markdown(ho.Handoff(WEEK, "ada@ourco.com", fixed="#1 Login fails", priorities="ENG-2 first",
                                       notes="Quiet week"))
    lines = md.splitlines()
    assert lines[0] == "# Support rotation handoff: week of 2026-03-02 — ada@\u200bourco\\.com"
    assert lines[lines.index("## Fixed") + 1] == "- \\#1 Login fails"
    assert lines[lines.index("## Triaged into the backlog") + 1] == "- Nothing\\."
    assert lines[lines.index("## What to prioritise") + 1] == "- ENG\\-2 first"
    assert "## Notes" in lines and md.endswith("## Notes\n- Quiet week\n")


def test_render_markdown_makes_customer_text_inert():
    md = ho.render_markdown(ho.Handoff(WEEK, still_open="#9 <script>alert(1)</script> [x](javascript:alert(1))"))
    assert "<script>" not in md
    assert "\\<script\\>" in md and "\\[x\\]\\(javascript\\:\u200balert\\(1\\)\\)" in md
    assert re.search(r"(?<!\\)[<\[\]]", md.replace("\\\\", "")) is None  # no unescaped < [ ]


def test_markdown_headings_can_sit_inside_a_larger_page():  # issue 13: the Planning page shows handoffs
    text = ho.render_markdown(ho.Handoff(date(2026, 3, 2), priorities="a", notes="n"), level=3)
    assert [line for line in text.splitlines() if line.startswith("#")] == [
        "### Support rotation handoff: week of 2026-03-02", "#### Fixed", "#### Triaged into the backlog",
        "#### Still open", "#### What to prioritise", "#### Notes"]
