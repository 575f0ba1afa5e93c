"""Replies: closing replies staged when a Linear issue is done, to edit, copy and mark sent; and their templates."""

from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from core import closing, templates, timefmt
from core.errors import AppError
from core.store import audit, iso
from core.store import replies as store
from ui.deps import get_db, get_hubspot, get_person, settings_or_stop
from ui.flash import flash, show_flashes

TIMING_SAMPLE = 500  # the medians cover the latest replies, so they follow how the team works now


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    hours = minutes / 60
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def show_timings(times: closing.Timings) -> None:
    waiting, staged, sent = st.columns(3)
    waiting.metric("Waiting to be sent", times.waiting)
    staged.metric("Done → staged (median)", duration(times.done_to_staged),
                  help=f"Over the latest {TIMING_SAMPLE} replies")
    sent.metric("Staged → sent (median)", duration(times.staged_to_sent),
                help=f"Over the latest {TIMING_SAMPLE} replies; {times.sent} sent so far")


def show_reply(db, settings, hubspot, row: dict) -> None:
    key = row["key"]
    with st.container(border=True):
        # Customer-supplied text goes through st.text only: shown as typed, never rendered.
        who = (f"{row.get('customer_name') or 'Unknown customer'} · {row.get('company') or '—'}"
               f" · tier {row.get('tier') or '—'}")
        outcome = templates.OUTCOME_LABELS.get(row["outcome"], row["outcome"])
        st.text(who)
        st.text(f"To: {row.get('customer_address') or 'unknown address'}\n"
                f"Subject: {templates.reply_subject(row.get('escalation_subject'))}")
        issue = row.get("issue_identifier") or row["linear_issue_id"]
        st.text(f"{issue} → {row.get('state_name') or ''} ({outcome}) · done "
                f"{timefmt.when(row.get('done_at'), settings.team_timezone, datetime.now(timezone.utc)) or '?'}")
        links = st.columns(2)
        if (row.get("linear_url") or "").startswith("https://"):
            links[0].link_button(f"Open {issue} in Linear", row["linear_url"])
        if (row.get("hubspot_ticket_url") or "").startswith("https://"):
            links[1].link_button(f"Open ticket {row['hubspot_ticket_id']} in HubSpot", row["hubspot_ticket_url"])
        text = st.text_area("Reply", value=row["body"], key=f"replies.body.{key}", height=220)
        with st.popover("Copy the reply"):
            st.code(text, language=None)  # the code block's own copy button; the text stays plain
        if row["status"] == "staging":
            st.warning(
                f"Still being staged in HubSpot{': ' + row['error'] if row.get('error') else ''}. "
                "The next sync pass finishes it."
            )
        if not get_person().can("reply.edit"):
            return
        save, sent = st.columns(2)
        # The audit trail keeps the size of an edit, not the words: they quote the customer.
        edit = {"characters": [len(row["body"] or ""), len(text)], "edited": text != row["body"]}
        if save.button("Save edits", key=f"replies.save.{key}"):
            act(lambda: closing.edit_reply(db, key, text, hubspot), "Saved.", "reply.edit", f"reply {key}", edit)
        if sent.button("Mark sent", key=f"replies.sent.{key}", type="primary", disabled=row["status"] != "staged"):
            act(
                lambda: closing.mark_sent(db, settings, hubspot, key, now=datetime.now(timezone.utc), body=text),
                "Marked sent." + ("" if hubspot else " (local-only: recorded here only)"),
                "reply.send", f"reply {key}", {**edit, "status": [row["status"], "sent"]},
            )


def act(action, message: str, what: str, target: str, changes: dict | None = None) -> None:
    """Run ``action`` as the signed-in person taking ``what`` on ``target``: refused or recorded by the store."""
    try:
        with audit.performed(get_db(), get_person(), what, target, now=datetime.now(timezone.utc),
                             changes=changes):
            action()
    except AppError as exc:
        st.error(str(exc))
        return
    flash("replies", message)
    st.rerun()


def template_editor(db, saved: dict[str, str]) -> None:
    st.subheader("Templates")
    st.caption(
        "Plain text with named placeholders: "
        + ", ".join(f"{{{n}}}" for n in templates.PLACEHOLDERS)
        + ". Write {{ or }} for a literal brace."
    )
    outcome = st.selectbox(
        "Outcome", templates.OUTCOMES, format_func=templates.OUTCOME_LABELS.get, key="replies.template_outcome"
    )
    text = st.text_area(
        "Template", value=closing.template_for(saved, outcome), height=260, key=f"replies.template.{outcome}"
    )
    st.markdown("**Preview** (with sample values)")
    try:
        st.code(templates.render(templates.validate(text), templates.SAMPLE_VALUES), language=None)
        valid = True
    except AppError as exc:
        st.error(str(exc))
        valid = False
    if not get_person().can("template.edit"):
        return
    save, reset = st.columns(2)
    if save.button("Save template", key="replies.template_save", disabled=not valid):
        act(
            lambda: store.save_template(db, outcome, templates.validate(text), iso(datetime.now(timezone.utc))),
            f"Saved the {templates.OUTCOME_LABELS[outcome]} template.",
            "template.edit", f"template {outcome}", {"characters": [len(saved.get(outcome, "")), len(text)]},
        )
    if reset.button("Reset to default", key="replies.template_reset", disabled=outcome not in saved):
        st.session_state.pop(f"replies.template.{outcome}", None)
        act(
            lambda: store.reset_template(db, outcome),
            f"Restored the default {templates.OUTCOME_LABELS[outcome]} template.",
            "template.edit", f"template {outcome}", {"reset": True},
        )


settings = settings_or_stop()
st.title("Replies")
st.caption(
    "When a linked Linear issue is done, a closing reply is staged for every customer who reported it. "
    "Review it, copy it into your reply, send it, then mark it sent."
)
show_flashes("replies")

try:
    db = get_db()
    hubspot = get_hubspot()
    queue = store.queue(db)
    times = closing.timings(store.reply_times(db, latest=TIMING_SAMPLE), store.reply_counts(db))
    saved = store.template_bodies(db)
except AppError as exc:
    st.error(str(exc))
    st.stop()

show_timings(times)
if not queue:
    st.info("No replies waiting. They appear here when a linked Linear issue moves to Done or is canceled.")
for row in queue:
    show_reply(db, settings, hubspot, row)
template_editor(db, saved)
