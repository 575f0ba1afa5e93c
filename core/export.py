"""Charts as PNG and SVG files, and the planning view as one Markdown file with its charts inside.

Charts arrive as Vega-Lite specs (``alt.Chart.to_dict()``) and are drawn by vl-convert, which needs no browser.
The Markdown embeds each chart as a PNG data URI, so the meeting's notes are one file that opens anywhere.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import vl_convert

from core import handoff as ho
from core.errors import AppError
from core.retro import Retro

PNG_SCALE = 2  # sharp on high-density screens and slides
RETRO_COLUMNS = (("week", "Week"), ("engineer", "On support"), ("received", "Received"), ("tier_1", "Tier 1"),
                 ("tier_2", "Tier 2"), ("tier_3", "Tier 3"), ("triage_hours", "Hours to triage"),
                 ("fixed", "Fixed in the week"), ("triaged", "Triaged to backlog"), ("carried_over", "Carried over"),
                 ("customers", "Customers"), ("revenue", "Revenue touched"), ("handed_back", "Handed back"),
                 ("reopen_rate", "Reopened"), ("boundary_breaches", "Boundary breaches"),
                 ("pulse_engineer", "Pulse: engineer"),
                 ("pulse_support", "Pulse: support"))


def chart_png(spec: dict[str, Any], scale: float = PNG_SCALE) -> bytes:
    try:
        return bytes(vl_convert.vegalite_to_png(spec, scale=scale))
    except Exception as exc:  # vl-convert raises plain ValueErrors for specs it cannot draw
        raise AppError(f"Could not draw the chart as PNG: {exc}") from exc


def chart_svg(spec: dict[str, Any]) -> str:
    try:
        return vl_convert.vegalite_to_svg(spec)
    except Exception as exc:
        raise AppError(f"Could not draw the chart as SVG: {exc}") from exc


def file_stem(title: str) -> str:
    """A chart title as a file name: ``"Escalations by support tier"`` -> ``escalations-by-support-tier``."""
    words = "".join(c if c.isalnum() else " " for c in title.casefold()).split()
    return "-".join(words) or "chart"


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if key == "reopen_rate":
        return f"{value:.0%}"
    if key == "revenue":
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def retro_table(retros: Iterable[Retro]) -> str:
    """The retro as a Markdown table, newest week first."""
    rows = [r.row() for r in retros]
    out = ["| " + " | ".join(title for _, title in RETRO_COLUMNS) + " |",
           "|" + "---|" * len(RETRO_COLUMNS)]
    out += ["| " + " | ".join(_cell(k, row[k]) for k, _ in RETRO_COLUMNS) + " |"
            for row in sorted(rows, key=lambda r: r["week"], reverse=True)]
    return "\n".join(out)


def planning_markdown(retros: Sequence[Retro], handoffs: Iterable[dict[str, Any]],
                      charts: Iterable[tuple[str, dict[str, Any]]], now: datetime,
                      last_review_at: str | None = None) -> str:
    """The planning view as one Markdown file: the handoffs since the last meeting, the retro and its charts."""
    out = [f"# Support rotation for planning, {now.date().isoformat()}", ""]
    out += [f"Handoffs submitted since the last planning meeting ({last_review_at})." if last_review_at
            else "Handoffs submitted so far (no planning meeting has reviewed any yet).", ""]
    pending = list(handoffs)
    for row in pending:
        out += [ho.render_markdown(ho.from_saved(row), level=2), ""]
    if not pending:
        out += ["No handoffs since the last planning meeting.", ""]
    out += ["## Retro", "", retro_table(retros), "",
            "Triage is the Linear issue being created or linked. Reopened: closed in the week, and the customer "
            "wrote again after the close.", ""]
    for title, spec in charts:
        encoded = base64.b64encode(chart_png(spec)).decode("ascii")
        out += [f"### {title}", "", f"![{title}](data:image/png;base64,{encoded})", ""]
    return "\n".join(out).rstrip() + "\n"
