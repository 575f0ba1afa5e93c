"""The Capacity page's what-if: team size, cadence and leave change the cost chart as they are edited."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from sqlite_utils import Database

from core import capacity as cap
from core.store import rotation as rotation_store
from ui.charts import capacity_cost_chart
from ui.export import show_chart

CADENCE_LABELS = {1: "Every week", 2: "Every other week"}
WHAT_IF_TITLE = "What if: rotation cost per week"


def show_what_if(db: Database, team: int, first_week: date, page: str = "capacity") -> None:
    """Inputs start from the roster and its time off; nothing here is saved."""
    st.subheader("What if")
    st.caption("Try another team size, cadence or leave; the chart and the quarter's lost feature capacity follow. "
               "Leave starts from the time off on the Calendar page (engineer-weeks away per week).")
    size_col, cadence_col = st.columns(2)
    size = size_col.number_input("Engineers on the rotation", min_value=1, max_value=200, value=max(team, 1), step=1,
                                 key=f"{page}.what_if_team")
    cadence = cadence_col.radio("The rotation runs", cap.CADENCES, format_func=CADENCE_LABELS.get, horizontal=True,
                                key=f"{page}.what_if_cadence")
    pto = [(u.start, u.end) for u in rotation_store.list_unavailability(db) if u.kind == "pto"]
    planned = cap.leave_per_week(pto, first_week)
    weeks = [first_week + pd.Timedelta(weeks=i).to_pytimedelta() for i in range(cap.QUARTER_WEEKS)]
    edited = st.data_editor(pd.DataFrame({"week": [w.isoformat() for w in weeks],
                                          "engineers_away": [planned.get(w, 0.0) for w in weeks]}),
                            hide_index=True, disabled=["week"], key=f"{page}.what_if_leave",
                            column_config={"engineers_away": st.column_config.NumberColumn(
                                "Engineer-weeks away", min_value=0.0, step=0.2)})
    leave = {date.fromisoformat(str(row["week"])): float(row["engineers_away"] or 0)
             for row in edited.to_dict("records")}
    plan = cap.what_if(int(size), int(cadence), leave, first_week)
    lost_col, share_col = st.columns(2)
    lost_col.metric("Feature capacity lost this quarter", f"{plan.lost_engineer_weeks:g} engineer-weeks")
    share_col.metric("Share of the engineer-weeks available", f"{plan.share * 100:.1f}%")
    show_chart(capacity_cost_chart(plan.weeks).properties(title=WHAT_IF_TITLE), f"{page}.what_if_chart")
