"""Intake: messages waiting for review, messages ignored, and the customer list."""

from datetime import datetime, timezone

import streamlit as st

from core.errors import AppError
from core.store import intake as store
from ingest import pipeline
from ui.deps import get_db, settings_or_stop

settings = settings_or_stop()
db = get_db()

st.title("Intake")
counts = store.inbound_counts(db)
cols = st.columns(5)
for col, (label, key) in zip(cols, [("Escalations", "escalation"), ("Follow-ups", "followup"),
                                    ("Needs review", "quarantined"), ("Ignored", "ignored"), ("Failed", "failed")]):
    col.metric(label, counts.get(key, 0))

st.subheader("Needs review")
st.caption("Mail from outside our company domains, mail whose sender could not be verified, and messages that "
           "could not be read wait here. Accept turns one into an escalation; Discard keeps it out for good.")
pending = store.quarantined(db)
if not pending:
    st.info("Nothing waits for review.")
for item in pending:
    with st.container(border=True):
        left, right = st.columns([4, 1])
        left.text(f"{item['subject'] or '(no subject)'}\nfrom {item['sender'] or 'unknown sender'}, "
                  f"{item['received_at']}")
        left.caption(item["reason"] or "")
        key = item["message_id"]
        try:
            if right.button("Accept", key=f"intake.accept.{key}", type="primary"):
                escalation_id = pipeline.accept_quarantined(db, settings, key, by="dashboard",
                                                            now=datetime.now(timezone.utc))
                st.success(f"Accepted as escalation #{escalation_id}.")
                st.rerun()
            if right.button("Discard", key=f"intake.discard.{key}"):
                pipeline.discard_quarantined(db, key, by="dashboard", now=datetime.now(timezone.utc))
                st.rerun()
        except (AppError, LookupError, OSError) as exc:
            st.error(f"Could not update {key}: {exc}")

st.subheader("Ignored")
ignored = store.ignored_messages(db)
if ignored:
    st.dataframe(ignored, hide_index=True, width="stretch",
                 column_config={"message_id": "Message-ID", "source": "Source", "received_at": "Received",
                                "reason": "Why"})
else:
    st.caption("No auto-replies or bounces so far.")

st.subheader("Customers")
st.caption("Known customers name the company and tier on every escalation from their domain.")
upload = st.file_uploader("Import customers (CSV: domain, company, tier, revenue, size, owner)", type="csv",
                          key="intake.customers_csv")
if upload is not None and st.button("Import", key="intake.import_customers"):
    try:
        rows = store.parse_customers_csv(upload.getvalue().decode("utf-8-sig"))
        store.upsert_customers(db, rows, datetime.now(timezone.utc).isoformat(timespec="seconds"))
        st.success(f"Imported {len(rows)} customers.")
    except AppError as exc:
        st.error(str(exc))
customers = store.customers(db)
if customers:
    st.dataframe(customers, hide_index=True, width="stretch",
                 column_order=["company", "domain", "tier", "revenue", "size", "owner", "open_escalations"],
                 column_config={"open_escalations": "Open escalations"})
else:
    st.info("No customers yet. Import a CSV above so escalations show each customer's company and tier.")
