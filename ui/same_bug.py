"""The "Same bug as..." section of an escalation's detail on the Escalations page.

Shows the customers behind the escalation's Linear issue, suggests similar open issues, searches Linear by
identifier or title, and attaches the escalation to the one picked. Everything it knows comes from
:mod:`core.same_bug`; titles and subjects come from customers' mail, so they are shown only as plain text.
"""

from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from core import same_bug
from core.errors import AppError
from ui.deps import get_hubspot, get_linear, get_settings
from ui.flash import flash


def show_same_bug(db, escalation_id: int) -> None:
    """The section for escalation ``escalation_id``; widget keys carry its id so each escalation keeps its own."""
    settings, now = get_settings(), datetime.now(timezone.utc)
    st.markdown("**Same bug as...**")
    current = same_bug.current_issue(db, escalation_id)
    if current is not None:
        identifier, impact = current
        st.text(f"{identifier}: {impact.line()}")
    try:
        candidates = same_bug.similar_issues(db, escalation_id, now=now)
        query = st.text_input("Search Linear by identifier or title", key=f"escalations.same_bug_query.{escalation_id}",
                              placeholder="ENG-42 or words of the title", disabled=settings.local_only)
        if query.strip() and not settings.local_only:
            found = same_bug.search_issues(settings, get_linear(), query)
            candidates = found + [c for c in candidates if c.issue_id not in {f.issue_id for f in found}]
    except AppError as exc:
        st.error(str(exc))
        return
    if not candidates:
        st.text("No similar open issue found." if not query.strip() else "No open issue matches that search.")
        return
    by_id = {c.issue_id: c for c in candidates}
    choice = st.selectbox("Similar open issues", list(by_id), format_func=lambda i: by_id[i].label,
                          key=f"escalations.same_bug_choice.{escalation_id}")
    if st.button(f"Same bug as {by_id[choice].identifier}", key=f"escalations.same_bug.{escalation_id}"):
        try:
            result = same_bug.same_bug(db, settings, get_hubspot(), get_linear(), escalation_id, choice, now=now)
        except AppError as exc:
            st.error(str(exc))
            return
        if result.status == "linked":
            flash("escalations", f"Escalation #{escalation_id} is now on {by_id[choice].identifier}.")
            st.rerun()
        st.warning(f"Escalation #{escalation_id} is moving to {by_id[choice].identifier}; it finishes at the next "
                   f"sync ({result.error or result.status}).")
