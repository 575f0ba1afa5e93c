"""The quarter at a glance: a week-by-engineer grid of who is on support, who is away and which weeks clash."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import altair as alt
import pandas as pd

from core.roster import KINDS, Engineer, Unavailability
from core.rotation import Conflict, RotationWeek, week_start_for

STATUSES = ["On support", "On support (draft)", "Conflict", "PTO", "Critical path"]
COLORS = ["#1f77b4", "#9ecae9", "#d62728", "#bdbdbd", "#ff9896"]


def calendar_cells(weeks: Sequence[RotationWeek], engineers: Sequence[Engineer],
                   unavailability: Sequence[Unavailability], conflicts: Sequence[Conflict], *, first: date,
                   count: int, week_start_index: int = 0) -> pd.DataFrame:
    """One row per (week, engineer) that has something to show in the ``count`` weeks from ``first``."""
    start = week_start_for(first, week_start_index)
    last = start + timedelta(weeks=count)
    names = {e.email: e.name for e in engineers}
    clashes = {(c.week_start, c.email) for c in conflicts}
    rows: list[dict] = []
    for week in weeks:
        if not start <= week.week_start < last or week.engineer_email is None:
            continue
        key = (week.week_start, week.engineer_email)
        status = "Conflict" if key in clashes else "On support" if week.published else "On support (draft)"
        rows.append(_row(week.week_start, week.engineer_email, names, status, week.note))
    taken = {(r["week"], r["email"]) for r in rows}
    day = start
    while day < last:
        for item in unavailability:
            if item.overlaps(day, day + timedelta(days=4)) and (day, item.email) not in taken:
                taken.add((day, item.email))
                rows.append(_row(day, item.email, names, "Critical path" if item.kind == "critical" else "PTO",
                                 item.reason or KINDS.get(item.kind, item.kind)))
        day += timedelta(weeks=1)
    columns = ["week", "email", "engineer", "status", "note"]
    return pd.DataFrame(rows, columns=columns).sort_values(["week", "engineer"], ignore_index=True)


def rotation_chart(cells: pd.DataFrame, engineers: Sequence[Engineer], *,
                   current_week: date | None = None) -> alt.Chart:
    """A heat-grid: weeks across, engineers down, coloured by status; ``current_week`` gets a black outline."""
    data = cells.assign(week=cells["week"].astype(str), current=cells["week"].astype(str) == str(current_week))
    order = [e.name for e in engineers if e.active] or sorted(data["engineer"].unique().tolist())
    # No fixed height: Vega-Lite's band step gives each engineer a readable row.
    return alt.Chart(data).mark_rect(strokeWidth=2).encode(
        x=alt.X("week:O", title="Week starting", axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("engineer:N", title=None, sort=order),
        color=alt.Color("status:N", scale=alt.Scale(domain=STATUSES, range=COLORS), title=None),
        stroke=alt.condition("datum.current", alt.value("black"), alt.value("white")),
        tooltip=[alt.Tooltip("week:O", title="Week"), alt.Tooltip("engineer:N"), alt.Tooltip("status:N"),
                 alt.Tooltip("note:N")],
    )


def _row(week: date, email: str, names: dict[str, str], status: str, note: str) -> dict:
    return {"week": week, "email": email, "engineer": names.get(email, email), "status": status, "note": note}
