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
    """A heat-grid: weeks across, engineers down, coloured by status; ``current_week`` is marked."""
    data = cells.assign(week=cells["week"].astype(str))
    order = [e.name for e in engineers if e.active] or sorted(data["engineer"].unique().tolist())
    base = alt.Chart(data).encode(
        x=alt.X("week:O", title="Week starting", axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("engineer:N", title=None, sort=order),
    )
    grid = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("status:N", scale=alt.Scale(domain=STATUSES, range=COLORS), title=None,
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("week:O", title="Week"), alt.Tooltip("engineer:N"), alt.Tooltip("status:N"),
                 alt.Tooltip("note:N")],
    )
    chart = grid
    if current_week is not None and not data.empty:
        current = pd.DataFrame({"week": [str(current_week)]})
        rule = alt.Chart(current).mark_rule(color="black", strokeDash=[4, 2]).encode(x="week:O")
        chart = alt.layer(grid, rule)
    return chart.properties(height=max(120, 28 * max(1, len(order))), title="Who is on support, week by week")



def _row(week: date, email: str, names: dict[str, str], status: str, note: str) -> dict:
    return {"week": week, "email": email, "engineer": names.get(email, email), "status": status, "note": note}
