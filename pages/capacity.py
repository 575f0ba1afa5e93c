"""Capacity: what the rotation costs (1/N of feature capacity), what it handles, and whether to run it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import streamlit as st

from core import capacity as cap
from core.errors import AppError
from core.store import iso, ops
from core.store.rotation import open_bug_count
from ui.boundary import show_breaches
from ui.charts import capacity_cost_chart, close_time_chart, intake_chart
from ui.deps import get_db, settings_or_stop
from ui.export import show_chart
from ui.what_if import show_what_if

st.session_state.setdefault("capacity.deadline", False)

HISTORY_WEEKS = 13


settings = settings_or_stop()
now = datetime.now(timezone.utc)
week_index = settings.week_start_index
horizon = max(settings.rotation_weeks_ahead, 13)
st.title("Capacity")
st.caption("One engineer of N on the support queue each week is 1/N of feature capacity.")

try:
    since = iso(now - timedelta(weeks=HISTORY_WEEKS + 1))
    db = get_db()
    engineers, rotation = ops.engineers(db), ops.rotation_weeks(db)
    this_week = cap.week_start_of(now.date(), week_index)
    team = cap.team_size_on(engineers, this_week)
    counts = cap.weekly_counts_by_day(ops.received_per_day(db, since), now, weeks=HISTORY_WEEKS,
                                      week_start_index=week_index)
    volume = cap.average_per_week(counts, now, week_index)
    costs = cap.cost_series(engineers, rotation, now, weeks=horizon, week_start_index=week_index)
    close_series = ops.close_time_medians(db, since, week_index)
except AppError as exc:
    st.error(str(exc))
    st.stop()

m1, m2, m3 = st.columns(3)
m1.metric("Engineers", team)
m2.metric("Weekly cost", f"{cap.rotation_cost(team) * 100:.0f}%" if team else "–")
m3.metric("Escalations per week", f"{volume:.1f}")
if team:
    st.markdown(cap.cost_sentence(team) + ", every week the rotation runs.")
else:
    st.info("No active engineers yet. Add the team on the Calendar page; the rotation then costs 1/N of "
            "feature capacity for N engineers.")

deadline = st.checkbox("Everyone is on a deadline right now", key="capacity.deadline")
advice = cap.guidance(team, volume, everyone_on_deadline=deadline, open_bugs=open_bug_count(db))
st.subheader("Should you run this rotation?")
for item in advice:
    st.warning(f"{item.problem} {item.change}")
if not advice:
    st.success("Yes: the team is large enough and escalations keep coming. Review this when either changes.")

st.subheader("Charts")
if team:
    show_chart(capacity_cost_chart(costs), "capacity.cost_chart")
show_chart(intake_chart(counts), "capacity.intake_chart")
if sum(c.count for c in counts) == 0:
    st.caption(f"No escalations in the last {HISTORY_WEEKS} weeks; forward customers' bug emails to the intake "
               "inbox to fill this in.")
if close_series:
    show_chart(close_time_chart(close_series), "capacity.close_chart")
else:
    st.caption("Time to close appears once closing replies are staged and sent from the Replies page.")

show_what_if(db, team, this_week)  # issue 13: team size, cadence and leave change the cost live
show_breaches(db, now.date(), "capacity")  # issue 13: non-escalation work in rotation weeks
