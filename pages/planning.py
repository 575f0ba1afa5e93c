"""Planning: the rotation in one view for the planning meeting. The handoffs submitted since the last meeting,
the retro of each rotation week and its charts; marking the handoffs reviewed closes that set."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import partial
from zoneinfo import ZoneInfo

import streamlit as st

from core import boundary, export, retro, timefmt
from core import handoff as ho
from core.errors import AppError
from core.markup import escape_markdown
from core.store import audit, iso, ops
from core.store import boundary as boundary_store
from core.store import planning as store
from core.store import playbook as playbook_store
from ui.charts import pulse_chart, retro_outcome_chart, retro_tier_chart
from ui.cycles import show_cycles
from ui.deps import get_db, get_person, settings_or_stop
from ui.export import chart_title, show_chart
from ui.flash import flash, show_flashes

HISTORY_WEEKS = 13
COLUMNS = {"tier_1": "Tier 1", "tier_2": "Tier 2", "tier_3": "Tier 3", "triage_hours": "Hours to triage (median)",
           "fixed": "Fixed in the week", "triaged": "Triaged to backlog", "carried_over": "Carried over",
           "customers": "Customers", "handed_back": "Handed back", "pulse_engineer": "Pulse: engineer",
           "pulse_support": "Pulse: support", "boundary_breaches": "Boundary breaches"}

settings = settings_or_stop()
tz = ZoneInfo(settings.team_timezone)
now = datetime.now(timezone.utc)
st.title("Planning")
st.caption("What the support rotation brings to the planning meeting: the handoffs since the last meeting, "
           "and how each rotation week went.")
show_flashes("planning")

try:
    db = get_db()
    weeks = retro.past_weeks(ops.rotation_weeks(db), now.astimezone(tz).date(), tz, HISTORY_WEEKS)
    since = weeks[0].start if weeks else now - timedelta(weeks=HISTORY_WEEKS)
    retros = retro.retro(store.retro_rows(db, iso(since)), weeks, store.pulses(db),
                         boundary.counts(boundary_store.breach_rows(db)))
    marks = retro.change_marks(playbook_store.changes(db), weeks)
    last = store.last_review(db)
    pending = retro.unreviewed(ops.handoffs(db), last["reviewed_at"] if last else None)
except AppError as exc:
    st.error(str(exc))
    st.stop()

st.subheader("Handoffs since the last planning meeting")
reviewed = timefmt.when(last["reviewed_at"], settings.team_timezone, now) if last else ""
st.caption(f"The last meeting reviewed its handoffs on {reviewed}." if last
           else "No planning meeting has reviewed handoffs yet.")
if pending:
    names = ops.engineer_names(db)
    for row in pending:
        who = row.get("engineer_name") or row.get("engineer_email") or "nobody scheduled"
        # The label is plain text (escaped), like the handoff below it.
        with st.expander(escape_markdown(f"Week of {timefmt.day(row['week_start'], now.date())} · {who}"),
                         expanded=len(pending) == 1):
            st.markdown(ho.render_markdown(ho.from_saved(row), level=4, names=names))  # every item is escaped
    with st.form("planning.review_form"):
        st.text_input("Reviewed by", key="planning.by")
        if st.form_submit_button(f"Mark as reviewed in planning ({len(pending)})", type="primary",
                                 key="planning.review", disabled=not get_person().can("planning.review")):
            weeks = [str(r["week_start"]) for r in pending]
            with audit.performed(db, get_person(), "planning.review", "handoffs", now=now,
                                 changes={"weeks": weeks, "by": st.session_state["planning.by"]}):
                store.mark_reviewed(db, weeks, st.session_state["planning.by"], iso(now))
            flash("planning", f"{len(pending)} handoff{'s' if len(pending) != 1 else ''} marked as reviewed; the "
                  "next meeting sees the ones submitted after today.")
            st.rerun()
else:
    st.info("No handoffs submitted since the last planning meeting. The outgoing engineer submits one on the "
            "Handoff page at the end of each rotation week.")

st.subheader("Retro")
if not retros:
    st.info("No rotation week has started yet; plan the rotation on the Calendar page.")
    st.stop()
st.dataframe([r.row() for r in reversed(retros)], hide_index=True, width="stretch", key="planning.retro",
             column_config={**COLUMNS, "revenue": st.column_config.NumberColumn("Revenue touched", format="%d"),
                            "reopen_rate": st.column_config.NumberColumn("Reopened", format="percent")})
st.caption("Triage is the Linear issue being created or linked. Reopened: closed in the week, and the customer "
           "wrote again after the close.")
left, right = st.columns(2)
charts = [retro_tier_chart(retro.tier_series(retros)), retro_outcome_chart(retro.outcome_series(retros))]
show_chart(charts[0], "planning.tier_chart", left)
show_chart(charts[1], "planning.outcome_chart", right)
if any(r.pulse for r in retros):
    charts.append(pulse_chart(retro.pulse_series(retros), marks))
    show_chart(charts[-1], "planning.pulse_chart")
else:
    st.caption("The pulse chart appears once the engineer or support rate a week on the Handoff page.")

show_cycles(db, tz, now)  # issue 13: per Linear cycle as well as per week, when the team has cycles

st.subheader("Export")
st.download_button(
    "Download the planning view (Markdown with the charts)", key="planning.export", on_click="ignore",
    data=partial(export.planning_markdown, retros, pending, [(chart_title(c), c.to_dict()) for c in charts], now,
                 last["reviewed_at"] if last else None),
    file_name=f"rotation-planning-{now.astimezone(tz).date().isoformat()}.md", mime="text/markdown",
    icon=":material/download:")
