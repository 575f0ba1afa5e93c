"""Intake: reports filed by hand, messages waiting for review, messages ignored, and the customer list."""

from datetime import datetime, timezone
from functools import partial

import streamlit as st

from core import escalations as esc
from core import timefmt
from core.errors import AppError
from core.report import SOURCES, Report
from core.store import audit
from core.store import inbound as failures
from core.store import intake as store
from ingest import pipeline, review
from ui.deps import get_db, get_person, settings_or_stop
from ui.flash import flash, show_flashes

settings = settings_or_stop()
db = get_db()
person = get_person()

st.title("Intake")
counts = store.inbound_counts(db)
cols = st.columns(5)
for col, (label, key) in zip(cols, [("Escalations", "escalation"), ("Follow-ups", "followup"),
                                    ("Needs review", "quarantined"), ("Ignored", "ignored"), ("Failed", "failed")]):
    col.metric(label, counts.get(key, 0))
show_flashes("intake")

REPORT_FIELDS = ("customer_email", "customer_name", "source", "subject", "body", "reported_by", "reporter_email",
                 "link")
if person.can("report.file"):  # a viewer reads; only members file
    st.subheader("File a report that did not come by email")
    st.caption("From a Slack thread, a call or a meeting: it becomes an escalation with the customer's context, like "
               "a forwarded email.")
    with st.container(border=True):
        with st.form("intake.report_form", border=False):
            left, right = st.columns(2)
            left.text_input("Customer's email", key="intake.report.customer_email", placeholder="jane@customer.com")
            right.text_input("Customer's name", key="intake.report.customer_name")
            left.selectbox("Where it came from", list(SOURCES), key="intake.report.source",
                           format_func=lambda s: SOURCES[s][:1].upper() + SOURCES[s][1:])
            right.text_input("Link (optional)", key="intake.report.link",
                             placeholder="https://… a Slack permalink or a recording")
            st.text_input("Subject", key="intake.report.subject", placeholder="One line: what is wrong")
            st.text_area("What the customer said", key="intake.report.body", height=160,
                         placeholder="Their words, the steps, the error, what they expected")
            left, right = st.columns(2)
            left.text_input("Your name", key="intake.report.reported_by")
            right.text_input("Your email (optional)", key="intake.report.reporter_email")
            if st.form_submit_button("File the report", type="primary"):
                values = {name: st.session_state[f"intake.report.{name}"] for name in REPORT_FIELDS}
                now = datetime.now(timezone.utc)
                try:
                    with audit.performed(db, person, "report.file", f"a report from {values['source']}",
                                         now=now) as changes:
                        outcome = pipeline.ingest_report(db, settings, Report(**values), now=now)
                        changes.update(outcome=outcome.status, escalation_id=outcome.escalation_id)
                except AppError as exc:
                    st.error(str(exc))
                else:
                    if outcome.status == "duplicate":
                        st.info(f"This report was filed before, as escalation #{outcome.escalation_id}.")
                    else:
                        flash("intake", f"Filed as escalation #{outcome.escalation_id}"
                              + ("." if settings.local_only else "; the worker links it to HubSpot and Linear."))
                        for name in REPORT_FIELDS:  # ready for the next one; who files it and from where stay
                            if name not in ("source", "reported_by", "reporter_email"):
                                st.session_state.pop(f"intake.report.{name}", None)
                        st.rerun()

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
                  f"{timefmt.when(item['received_at'], settings.team_timezone, datetime.now(timezone.utc))}")
        left.caption(item["reason"] or "")
        key = item["message_id"]
        # Read before deciding: the message as plain text, never rendered.
        if left.toggle("Show the message", key=f"intake.show.{key}"):
            try:
                left.text(review.message_text(db, settings, key))
            except (AppError, LookupError) as exc:
                left.error(f"Could not show {key}: {exc}")
        if not person.can("message.accept"):
            continue
        try:
            now = datetime.now(timezone.utc)
            if right.button("Accept", key=f"intake.accept.{key}", type="primary"):
                with audit.performed(db, person, "message.accept", key, now=now) as changes:
                    escalation_id = pipeline.accept_quarantined(db, settings, key, by=person.email, now=now)
                    changes["escalation_id"] = escalation_id
                flash("intake", f"Accepted as escalation #{escalation_id}.")
                st.rerun()
            if right.button("Discard", key=f"intake.discard.{key}"):
                with audit.performed(db, person, "message.discard", key, now=now):
                    pipeline.discard_quarantined(db, key, by=person.email, now=now)
                st.rerun()
        except (AppError, LookupError, OSError) as exc:
            st.error(f"Could not update {key}: {exc}")

st.subheader("Failed")
st.caption("Messages that could not be processed (over the time budget, for example). `python -m ingest replay` "
           f"tries each up to {settings.replay_max_attempts} times; after that they wait here. Retry runs one "
           "again now; download it to look at it or to report a parser bug.")
failed = failures.failed_messages(db)
if not failed:
    st.caption("No failed messages.")
for item in failed:
    key = item["message_id"]
    with st.container(border=True):
        left, right = st.columns([4, 1])
        left.text(f"{key}\n{item['source']}, "
                  f"{timefmt.when(item['received_at'], settings.team_timezone, datetime.now(timezone.utc))}, "
                  f"{item['attempts']} attempt(s)")
        left.caption(item["reason"] or "")
        try:
            if person.can("message.retry") and right.button("Retry", key=f"intake.retry.{key}"):
                now = datetime.now(timezone.utc)
                with audit.performed(db, person, "message.retry", key, now=now) as changes:
                    outcome = pipeline.retry(db, settings, key, now=now)
                    changes["outcome"] = outcome.status
                flash("intake", f"Retried {key}: {outcome.status}" + (f" ({outcome.reason})" if outcome.reason
                                                                       else "."))
                st.rerun()
            # Read only when clicked: raw messages can be tens of megabytes.
            right.download_button("Download raw", partial(pipeline.raw_message, db, key),
                                  file_name=f"{item['sha256']}.eml", mime="message/rfc822", on_click="ignore",
                                  key=f"intake.download.{key}")
        except (AppError, LookupError, OSError) as exc:
            st.error(f"Could not update {key}: {exc}")

st.subheader("Ignored")
ignored = store.ignored_messages(db)
if ignored:
    st.dataframe([{**r, "received_at": timefmt.when(r["received_at"], settings.team_timezone,
                                                     datetime.now(timezone.utc))} for r in ignored],
                 hide_index=True, width="stretch",
                 column_config={"message_id": "Message-ID", "source": "Source", "received_at": "Received",
                                "reason": "Why"})
    st.caption("Taken for an auto-reply or a bounce by mistake? Take it in: it becomes an escalation (or the "
               "follow-up of the one it answers).")
    left, right = st.columns([4, 1])
    choice = left.selectbox("Ignored message", [i["message_id"] for i in ignored], key="intake.take_in_choice",
                            format_func=lambda m: next(f"{m} ({i['reason']})" for i in ignored if i["message_id"] == m),
                            label_visibility="collapsed")
    if right.button("Take in", key="intake.take_in") and choice:
        try:
            outcome = review.take_in_ignored(db, settings, choice, by="dashboard", now=datetime.now(timezone.utc))
        except (AppError, LookupError) as exc:
            st.error(f"Could not take in {choice}: {exc}")
        else:
            flash("intake", f"Took in {choice} as {'a follow-up of ' if outcome.status == 'followup' else ''}"
                  f"escalation #{outcome.escalation_id}.")
            st.rerun()
else:
    st.caption("No auto-replies or bounces so far.")

st.subheader("Customers")
st.caption("Known customers name the company and tier on every escalation from their domain.")
upload = st.file_uploader("Import customers (CSV: domain, company, tier, revenue, size, owner)", type="csv",
                          key="intake.customers_csv") if person.can("customers.import") else None
if upload is not None and st.button("Import", key="intake.import_customers"):
    try:
        rows = store.parse_customers_csv(upload.getvalue().decode("utf-8-sig"))
        now = datetime.now(timezone.utc)
        with audit.performed(db, person, "customers.import", upload.name, now=now,
                             changes={"domains": sorted(r["domain"] for r in rows)}):
            store.upsert_customers(db, rows, now.isoformat(timespec="seconds"))
        st.success(f"Imported {len(rows)} customers.")
    except AppError as exc:
        st.error(str(exc))
customers = store.customers(db)
if customers:
    st.dataframe([{"Company": c["company"], "Domain": c["domain"], "Tier": c.get("tier") or "unknown",
                   "Revenue": esc.format_revenue(c.get("revenue")), "Size": c.get("size"), "Owner": c.get("owner"),
                   "Open escalations": c.get("open_escalations")} for c in customers],
                 hide_index=True, width="stretch", key="intake.customers")
else:
    st.info("No customers yet. Import a CSV above so escalations show each customer's company and tier.")
