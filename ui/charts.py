"""Altair chart builders for the capacity page. Pure: values in, ``alt.Chart`` out (tested via ``to_dict()``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import altair as alt
import pandas as pd

from core.capacity import WeekCost, WeekCount

HEIGHT = 340  # the whole chart (Streamlit fits title and axes inside it), leaving ~200 px of plot
# Weeks as bands, so each week's bar is as wide as the week.
WEEK_AXIS = alt.X("week_start:O", title="Week starting", axis=alt.Axis(labelAngle=-45))


def capacity_cost_chart(weeks: Iterable[WeekCost]) -> alt.Chart:
    """Share of feature capacity the rotation takes each week, with who is on rotation."""
    frame = pd.DataFrame([
        {"week_start": w.week_start.isoformat(), "cost": w.cost, "team_size": w.team_size,
         "engineer": w.engineer or "not scheduled"}
        for w in weeks
    ], columns=["week_start", "cost", "team_size", "engineer"])
    return alt.Chart(frame, title="Rotation cost per week").mark_bar().encode(
        x=WEEK_AXIS,
        y=alt.Y("cost:Q", title="Feature capacity", axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("week_start:N", title="Week"), alt.Tooltip("cost:Q", format=".0%", title="Cost"),
                 alt.Tooltip("team_size:Q", title="Engineers"), alt.Tooltip("engineer:N", title="On rotation")],
    ).properties(height=HEIGHT)


def intake_chart(counts: Iterable[WeekCount]) -> alt.Chart:
    """Escalations received per week."""
    frame = pd.DataFrame([{"week_start": c.week_start.isoformat(), "escalations": c.count} for c in counts],
                         columns=["week_start", "escalations"])
    return alt.Chart(frame, title="Escalations per week").mark_bar().encode(
        x=WEEK_AXIS,
        y=alt.Y("escalations:Q", title="Escalations", axis=alt.Axis(tickMinStep=1)),
        tooltip=[alt.Tooltip("week_start:N", title="Week"), alt.Tooltip("escalations:Q", title="Escalations")],
    ).properties(height=HEIGHT)


def close_time_chart(series: Iterable[dict[str, Any]]) -> alt.Chart:
    """Median hours per closing stage per week (long-form rows from ``core.capacity.close_time_series``)."""
    frame = pd.DataFrame(list(series), columns=["week_start", "stage", "median_hours", "replies"])
    return alt.Chart(frame, title="Time to close (median hours)").mark_line(point=True).encode(
        x=alt.X("week_start:T", title="Week Linear said done", timeUnit="yearmonthdate"),
        y=alt.Y("median_hours:Q", title="Hours"),
        color=alt.Color("stage:N", title="Stage"),
        tooltip=[alt.Tooltip("week_start:T", title="Week"), "stage:N",
                 alt.Tooltip("median_hours:Q", title="Median hours"), alt.Tooltip("replies:Q", title="Replies")],
    ).properties(height=HEIGHT)


def retro_tier_chart(series: Iterable[dict[str, Any]]) -> alt.Chart:
    """Escalations per rotation week by support tier (rows from ``core.retro.tier_series``)."""
    frame = pd.DataFrame(list(series), columns=["week_start", "support_tier", "escalations"])
    return alt.Chart(frame, title="Escalations by support tier").mark_bar().encode(
        x=WEEK_AXIS,
        y=alt.Y("escalations:Q", title="Escalations", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("support_tier:N", title="Support tier"),
        tooltip=[alt.Tooltip("week_start:N", title="Week"), alt.Tooltip("support_tier:N", title="Tier"),
                 alt.Tooltip("escalations:Q", title="Escalations")],
    ).properties(height=HEIGHT)


def retro_outcome_chart(series: Iterable[dict[str, Any]]) -> alt.Chart:
    """What became of each week's escalations (rows from ``core.retro.outcome_series``)."""
    frame = pd.DataFrame(list(series), columns=["week_start", "outcome", "escalations"])
    return alt.Chart(frame, title="Fixed, triaged or carried over").mark_bar().encode(
        x=WEEK_AXIS,
        y=alt.Y("escalations:Q", title="Escalations received", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("outcome:N", title="By the end of the week",
                        sort=["fixed within the week", "triaged to the backlog", "carried over"]),
        tooltip=[alt.Tooltip("week_start:N", title="Week"), "outcome:N",
                 alt.Tooltip("escalations:Q", title="Escalations")],
    ).properties(height=HEIGHT)


def pulse_chart(series: Iterable[dict[str, Any]], marks: Iterable[dict[str, Any]]) -> alt.LayerChart:
    """The pulse (1-5) per rotation week by role, with the weeks the playbook changed marked."""
    frame = pd.DataFrame(list(series), columns=["week_start", "role", "rating"])
    changes = pd.DataFrame(list(marks), columns=["week_start", "change"])
    x = alt.X("week_start:O", title="Week starting", axis=alt.Axis(labelAngle=-45))
    lines = alt.Chart(frame).mark_line(point=True).encode(
        x=x, y=alt.Y("rating:Q", title="Rating", scale=alt.Scale(domain=[1, 5]), axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("role:N", title="Rated by"),
        tooltip=[alt.Tooltip("week_start:N", title="Week"), "role:N", "rating:Q"])
    rules = alt.Chart(changes).mark_rule(strokeDash=[4, 4], color="gray").encode(
        x=x, tooltip=[alt.Tooltip("week_start:N", title="Week"), alt.Tooltip("change:N", title="Playbook")])
    return alt.layer(rules, lines, title="Pulse, with playbook changes dashed").properties(height=HEIGHT)
