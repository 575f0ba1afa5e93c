"""Settings: what Rotadesk is configured with, whether HubSpot and Linear answer, and the audit trail."""

from datetime import date, datetime, timezone

import streamlit as st

from core import timefmt
from core.access import ACTIONS
from core.domains import guessed_inbox_domain
from core.health import connector_health
from core.settings import describe
from core.store import audit
from ui.deps import get_db, get_hubspot, get_linear, get_person, settings_or_stop

settings = settings_or_stop()
SHOWN = 500  # audit entries in the table

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
configuration = describe(settings)
for area in dict.fromkeys(row["area"] for row in configuration):
    with st.expander(area, expanded=area == "Storage"):
        # A static table wraps each meaning in full; values are the operator's own settings, secrets masked.
        st.table([{k: row[k] for k in ("setting", "value", "meaning")} for row in configuration
                  if row["area"] == area])

st.subheader("Audit trail")
if not get_person().can("audit.read"):
    st.caption("Admins see here who did what and when.")
    st.stop()
st.caption("Every action taken on the dashboard, and by the worker, with who, when and what changed. "
           "Entries are never changed or deleted.")
db = get_db()
a1, a2, a3, a4 = st.columns(4)
who = a1.text_input("Who", key="settings.audit_actor", placeholder="an e-mail address, or worker").strip().lower()
what = a2.selectbox("Action", ["", *sorted(ACTIONS)], format_func=lambda v: v or "every action",
                    key="settings.audit_action")
since = a3.date_input("From", value=None, key="settings.audit_since")
until = a4.date_input("To", value=None, key="settings.audit_until")
filters = {"actor": who or None, "action": what or None,
           "since": since.isoformat() if isinstance(since, date) else None,
           "until": until.isoformat() if isinstance(until, date) else None}
entries = audit.entries(db, **filters, limit=SHOWN)
if entries:
    shown_entries = [{**e, "at": timefmt.when(e["at"], settings.team_timezone, datetime.now(timezone.utc))}
                     for e in entries]
    st.dataframe(shown_entries, hide_index=True, width="stretch", key="settings.audit_table",
                 column_order=["at", "actor", "role", "action", "target", "changes"])
    if len(entries) == SHOWN:
        st.caption(f"The newest {SHOWN} entries; the CSV export has every entry that matches.")
else:
    st.info("No entries match." if any(filters.values()) else "Nothing recorded yet.")
st.download_button("Export as CSV", audit.to_csv(audit.entries(db, **filters, limit=None)) if entries else "",
                   file_name="rotadesk-audit.csv", mime="text/csv", key="settings.audit_csv", disabled=not entries)
