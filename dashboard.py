"""Rotadesk's dashboard: the router. Each page lives in pages/ and runs on its own too."""

import streamlit as st

from core.errors import ConfigError
from ui.deps import get_settings
from ui.signin import may_enter

st.set_page_config(page_title="Rotadesk", page_icon=":material/support_agent:", layout="wide")

PAGES = [
    st.Page("pages/calendar.py", title="Calendar", icon=":material/calendar_month:", default=True),
    st.Page("pages/escalations.py", title="Escalations", icon=":material/priority_high:"),
    st.Page("pages/office_hours.py", title="Office hours", icon=":material/groups:"),
    st.Page("pages/capacity.py", title="Capacity", icon=":material/monitoring:"),
    st.Page("pages/handoff.py", title="Handoff", icon=":material/assignment:"),
    st.Page("pages/planning.py", title="Planning", icon=":material/event_note:"),
    st.Page("pages/playbook.py", title="Playbook", icon=":material/rule:"),
    st.Page("pages/replies.py", title="Replies", icon=":material/outgoing_mail:"),
    st.Page("pages/intake.py", title="Intake", icon=":material/inbox:"),
    st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
]

try:  # signed out or refused, no page list either; a bad setting is reported by the page itself
    shown = may_enter(get_settings())
except ConfigError:
    shown = True
st.navigation(PAGES, position="sidebar" if shown else "hidden").run()
