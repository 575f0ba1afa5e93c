"""Settings: what Rotadesk is configured with, and whether HubSpot and Linear answer."""

from datetime import datetime, timezone

import streamlit as st

from core.domains import guessed_inbox_domain
from core.health import connector_health
from core.settings import describe
from ui.deps import get_db, get_hubspot, get_linear, settings_or_stop

settings = settings_or_stop()

st.title("Settings")
if settings.local_only:
    st.info("Local-only mode: escalations live in this database. Set `ROTADESK_HUBSPOT_TOKEN` and "
            "`ROTADESK_LINEAR_API_KEY` to link them to HubSpot tickets and Linear issues, then run "
            "`python -m ingest sync` to push the backlog.")
if not settings.imap_configured:
    st.info("No inbox configured: set `ROTADESK_IMAP_HOST`, `ROTADESK_IMAP_USER` and `ROTADESK_IMAP_PASSWORD`, "
            "or import messages with `python -m ingest import PATH`.")

if guessed := guessed_inbox_domain(settings):
    st.warning(guessed, icon=":material/domain:")

st.subheader("Connectors")
st.caption("Checks call HubSpot and Linear: token, portal and team, pipeline and stage, Rotadesk's ticket properties, "
           "rate-limit headroom and the last sync.")
if st.button("Check HubSpot and Linear now", key="settings.check", disabled=settings.local_only):
    st.session_state["settings.health"] = connector_health(settings, get_hubspot(), get_linear(), db=get_db(),
                                                           now=datetime.now(timezone.utc))
checks = st.session_state.get("settings.health")
if checks:
    failing = [c.name for c in checks if not c.ok]
    if failing:
        st.error(f"{len(failing)} check{'s' if len(failing) != 1 else ''} failed: {', '.join(failing)}. "
                 "The detail column says what to fix.")
    else:
        st.success("HubSpot and Linear answer, and everything Rotadesk needs is in place.")
    st.dataframe([{"check": c.name, "result": "ok" if c.ok else "failed", "detail": c.detail} for c in checks],
                 hide_index=True, width="stretch", key="settings.health_table")
elif not settings.local_only:
    st.caption("Not checked yet in this session.")

st.subheader("Configuration")
st.caption("Settings come from `ROTADESK_*` environment variables or a `.env` file; restart to change them.")
st.dataframe(describe(settings), hide_index=True, width="stretch")
