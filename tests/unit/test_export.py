"""Charts drawn to PNG and SVG by vl-convert, and the planning view as one Markdown file with its charts."""

from __future__ import annotations

import base64
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from core import export, retro
from core.errors import AppError
from ui import charts

START = datetime(2026, 3, 2, tzinfo=timezone.utc)
WEEK = retro.Week(date(2026, 3, 2), START, START + timedelta(days=7), "Ada")
ROWS = [{"id": 1, "received_at": "2026-03-03T09:00:00+00:00", "support_tier": 1, "status": "done",
         "closed_at": "2026-03-04T09:00:00+00:00", "customer_domain": "acme.example", "revenue": 1234567},
        {"id": 2, "received_at": "2026-03-03T10:00:00+00:00"}]


@pytest.fixture(scope="module")
def tier_spec() -> dict:
    return charts.retro_tier_chart(retro.tier_series(retro.retro(ROWS, [WEEK]))).to_dict()


def test_a_chart_is_a_png_and_an_svg_with_its_title(tier_spec) -> None:
    png = export.chart_png(tier_spec)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    def width(image: bytes) -> int:
        return int.from_bytes(image[16:20], "big")  # from the IHDR chunk

    assert abs(width(png) - 2 * width(export.chart_png(tier_spec, scale=1))) <= 2  # twice as sharp
    svg = export.chart_svg(tier_spec)
    assert svg.lstrip().startswith("<svg") and "Escalations by support tier" in svg and "tier 1" in svg


def test_a_spec_vl_convert_cannot_draw_is_an_app_error() -> None:
    with pytest.raises(AppError, match="Could not draw the chart as SVG"):
        export.chart_svg({"mark": "no-such-mark", "data": {"values": []}})


@pytest.mark.parametrize(("title", "stem"), [("Escalations by support tier", "escalations-by-support-tier"),
                                             ("Time to close (median hours)", "time-to-close-median-hours"),
                                             ("!!!", "chart")])
def test_file_stems(title: str, stem: str) -> None:
    assert export.file_stem(title) == stem


def test_the_planning_view_is_one_markdown_file_with_the_charts_inside(tier_spec) -> None:
    handoff = {"week_start": "2026-03-02", "engineer_email": "ada@ourco.com", "fixed": "#1 <b>Export</b>",
               "triaged": "", "still_open": "", "priorities": "Call Acme", "notes": "",
               "submitted_at": "2026-03-06T16:00:00+00:00"}
    text = export.planning_markdown(retro.retro(ROWS, [WEEK]), [handoff], [("Escalations by support tier",
                                                                            tier_spec)],
                                    datetime(2026, 3, 9, 9, tzinfo=timezone.utc), "2026-02-23T10:00:00+00:00")
    assert text.startswith("# Support rotation for planning, 2026-03-09\n")
    assert "## Support rotation handoff: week of 2026-03-02" in text and "\\<b\\>Export\\</b\\>" in text
    table = [line for line in text.splitlines() if line.startswith("| 2026-03-02")]
    assert table == ["| 2026-03-02 | Ada | 2 | 1 | 0 | 1 | – | 1 | 0 | 1 | 1 | 1,234,567 | 0 | 0% | 0 | – | – |"]
    (encoded,) = re.findall(r"!\[Escalations by support tier\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", text)
    assert base64.b64decode(encoded)[:4] == b"\x89PNG"


def test_without_handoffs_the_file_says_so(tier_spec) -> None:
    text = export.planning_markdown([], [], [], datetime(2026, 3, 9, tzinfo=timezone.utc))
    assert "No handoffs since the last planning meeting." in text and "no planning meeting has reviewed" in text
