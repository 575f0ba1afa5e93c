"""The Planning page's per-cycle view: when the team works in Linear cycles, cost and outcomes per cycle too."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import streamlit as st
from sqlite_utils import Database

from core import cycles
from core.store import cycles as store
from core.store import iso, ops
from core.store import planning as planning_store

HISTORY = timedelta(weeks=13)


def show_cycles(db: Database, tz: ZoneInfo, now: datetime, page: str = "planning") -> None:
    """Nothing at all for a team without cycles (the worker stores them hourly when the team has them)."""
    found = store.cycles(db, iso(now - HISTORY))
    if not found:
        return
    since = min(str(c["starts_at"]) for c in found)
    retros = cycles.per_cycle(found, planning_store.retro_rows(db, since), ops.rotation_weeks(db),
                              ops.engineers(db, active_only=False), tz, now)
    if not retros:
        return
    st.subheader("Per Linear cycle")
    st.caption("The same numbers per cycle of the team's Linear cycles: engineer-weeks on support in the cycle, "
               "their share of the team's capacity, and what came of the escalations received in it.")
    st.dataframe([r.row() for r in reversed(retros)], hide_index=True, width="stretch", key=f"{page}.cycles",
                 column_config={"support_weeks": "Engineer-weeks on support",
                                "cost": st.column_config.NumberColumn("Capacity cost", format="percent"),
                                "fixed": "Fixed in the cycle", "triaged": "Triaged to backlog",
                                "carried_over": "Carried over",
                                "revenue": st.column_config.NumberColumn("Revenue touched", format="%d"),
                                "reopen_rate": st.column_config.NumberColumn("Reopened", format="percent")})
