"""Settings: what Rotadesk is configured with, and whether HubSpot and Linear answer."""

import streamlit as st

from core.settings import describe
from ui.deps import settings_or_stop

settings = settings_or_stop()

st.title("Settings")
if settings.local_only:
    st.info("Local-only mode: escalations live in this database. Set `ROTADESK_HUBSPOT_TOKEN` and "
            "`ROTADESK_LINEAR_API_KEY` to link them to HubSpot tickets and Linear issues, then run "
            "`python -m ingest sync` to push the backlog.")
if not settings.imap_configured:
    st.info("No inbox configured: set `ROTADESK_IMAP_HOST`, `ROTADESK_IMAP_USER` and `ROTADESK_IMAP_PASSWORD`, "
            "or import messages with `python -m ingest import PATH`.")

st.subheader("Configuration")
st.caption("Settings come from `ROTADESK_*` environment variables or a `.env` file; restart to change them.")
st.dataframe(describe(settings), hide_index=True, width="stretch")
