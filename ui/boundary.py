"""The boundary guard's section on the Calendar and Capacity pages: breaches per rotation week, issues listed.

The worker finds the breaches in Linear (``core.boundary_sync``); this only reads the store.
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st
from sqlite_utils import Database

from core import boundary
from core.store import boundary as store
from core.store import ops

WEEKS_SHOWN = 13


def show_breaches(db: Database, today: date, page: str) -> None:
    """A small "Boundary guard" section for ``page`` (its widget keys start with the page's name)."""
    names = ops.engineer_names(db)
    st.subheader("Boundary guard")
    since = (today - timedelta(weeks=WEEKS_SHOWN)).isoformat()
    weeks = boundary.by_week(store.breach_rows(db, since))
    if not weeks:
        st.caption("During their rotation week the queue is the engineer's only deliverable. No non-escalation "
                   f"Linear work by the engineer on support in the last {WEEKS_SHOWN} weeks (the worker checks "
                   "Linear every 15 minutes when it is connected).")
        return
    st.caption("Linear issues that are not escalations, assigned to the engineer on support and in progress, moved "
               "or commented on by them during their rotation week.")
    st.dataframe([{"week": w.week_start, "engineer": names.get(w.engineer_email, w.engineer_email),
                   "breaches": w.count, "issues": ", ".join(str(i["identifier"]) for i in w.issues)} for w in weeks],
                 hide_index=True, width="stretch", key=f"{page}.boundary_weeks")
    for w in weeks:
        who = names.get(w.engineer_email, w.engineer_email)
        with st.expander(f"Week of {w.week_start} · {who} · {w.count} issue{'s' if w.count != 1 else ''}"):
            st.dataframe([{"issue": i["url"], "identifier": i["identifier"], "title": i["title"],
                           "state": i["state_name"], "why": i["reasons"]} for i in w.issues],
                         hide_index=True, width="stretch", key=f"{page}.boundary_{w.week_start}",
                         column_config={"issue": st.column_config.LinkColumn("Issue", display_text="open")})
