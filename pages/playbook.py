"""Playbook: who handles what. Edit the rules with a preview on recent escalations, hand escalations back to
support with a reason, see which rules hand back most often, and export the playbook for the wiki."""

from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from core import playbook as pb
from core import timefmt
from core.errors import AppError, ValidationError
from core.store import audit, iso
from core.store import playbook as store
from ui.deps import get_db, get_person, settings_or_stop
from ui.flash import flash, show_flashes

RECENT = 200
FIELDS = ("name", "position", "support_tier", "routing", "customer_tiers", "keywords", "senders", "sources",
          "enabled")
TIER_LABELS = {1: "Tier 1 · support", 2: "Tier 2 · support", 3: "Tier 3 · the engineer on rotation"}
st.session_state.setdefault("playbook.loaded", "")


def load_into_form(rule: pb.Rule | None) -> None:
    """Put a rule (or a blank one) into the form's widgets, before they are drawn."""
    rule = rule or pb.Rule("", 3, position=(max((r.position for r in rules), default=0) + 10))
    for name in FIELDS:
        value = getattr(rule, name)
        st.session_state[f"playbook.{name}"] = "\n".join(value) if name in ("keywords", "senders") else \
            list(value) if isinstance(value, tuple) else value


def edited(rule_id: int | None) -> pb.Rule:
    values = {name: st.session_state[f"playbook.{name}"] for name in FIELDS}
    return pb.validate(pb.Rule(
        id=rule_id, name=values["name"], position=int(values["position"]), support_tier=values["support_tier"],
        routing=values["routing"], customer_tiers=tuple(values["customer_tiers"]),
        keywords=pb.terms(values["keywords"]), senders=pb.terms(values["senders"]),
        sources=tuple(values["sources"]), enabled=values["enabled"]))


settings = settings_or_stop()
now = datetime.now(timezone.utc)
st.title("Playbook")
st.caption("Support keeps tier 1 and tier 2; the engineer on rotation takes tier 3, fixes small bugs within the "
           "week and triages larger ones into the backlog. Rules are tried in order when an escalation arrives; "
           "the first that matches sets its support tier and routing. One no rule catches is tier 3.")
show_flashes("playbook")

try:
    db = get_db()
    rules, recent, backs = store.rules(db), store.recent(db, RECENT), store.handbacks(db)
except AppError as exc:
    st.error(str(exc))
    st.stop()
facts = [(r, pb.facts(r)) for r in recent]
ranking = pb.handback_ranking(backs, recent)

st.subheader("Rules")
st.dataframe(pb.summary(pb.preview(rules, facts), ranking), hide_index=True, width="stretch", key="playbook.rules",
             column_config={"support_tier": "Support tier", "fires_first": "Fires first",
                            "handed_back": "Handed back", "catches": f"Catches (last {RECENT})"})
st.download_button("Export as Markdown", pb.to_markdown(rules), file_name="support-playbook.md",
                   mime="text/markdown", key="playbook.export")

st.subheader("Edit a rule")
by_id = {r.id: r for r in rules}
if st.session_state.pop("playbook.reset", False):  # a deleted rule's entry is gone: back to "New rule"
    st.session_state["playbook.rule"] = None
choice = st.selectbox("Rule", [None, *by_id], key="playbook.rule",
                      format_func=lambda i: "New rule" if i is None else f"{by_id[i].position} · {by_id[i].name}")
if st.session_state["playbook.loaded"] != str(choice):
    load_into_form(by_id.get(choice))
    st.session_state["playbook.loaded"] = str(choice)
with st.form("playbook.form"):
    left, right = st.columns([3, 1])
    left.text_input("Name", key="playbook.name", placeholder="Enterprise data loss")
    right.number_input("Order", min_value=0, step=10, key="playbook.position")
    left, right = st.columns(2)
    left.radio("Support tier", pb.SUPPORT_TIERS, key="playbook.support_tier", format_func=TIER_LABELS.get)
    right.radio("Routing", pb.ROUTINGS, key="playbook.routing", horizontal=True)
    right.checkbox("Enabled", key="playbook.enabled")
    st.caption("Every condition left empty matches anything; all the conditions filled in must hold.")
    left, right = st.columns(2)
    left.multiselect("Customer tier", pb.CUSTOMER_TIERS, key="playbook.customer_tiers")
    right.multiselect("Source", pb.SOURCES, key="playbook.sources")
    left.text_area("Keywords in the subject or body (one per line; whole words, any one matches)",
                   key="playbook.keywords", height=110)
    right.text_area("Sender: customer's or forwarder's address, or a domain (one per line)",
                    key="playbook.senders", height=110)
    preview_clicked = st.form_submit_button("Preview", key="playbook.preview")
    save_clicked = st.form_submit_button("Save rule", type="primary", key="playbook.save",
                                         disabled=not get_person().can("playbook.edit"))

shown = by_id.get(choice)
if preview_clicked or save_clicked:
    try:
        shown = edited(choice)
        if save_clicked:
            with audit.performed(db, get_person(), "playbook.edit", f"rule {shown.name}", now=now,
                                 changes={"saved": shown.name}):
                store.save_rule(db, shown, iso(now))
            flash("playbook", f"Rule “{shown.name}” saved; it applies to escalations from now on.")
            st.session_state["playbook.loaded"] = ""  # reload the saved text
            st.rerun()
    except AppError as exc:
        st.error(str(exc))
        shown = None
if shown is not None:
    catch = next(c for c in pb.preview(pb.with_rule(rules, shown), facts) if c.rule == shown)
    caught = pb.catch_rows(catch, recent)
    st.markdown(f"**{len(catch.matched)}** of the last {len(recent)} escalations match this rule; "
                f"it would fire first on **{len(catch.fires)}**.")
    if caught:
        caught = [{**r, "received": timefmt.when(r.get("received"), settings.team_timezone, now)} for r in caught]
        st.dataframe(caught, hide_index=True, width="stretch", key="playbook.caught",
                     column_config={"would_fire": "Would fire", "decided_at_intake_by": "Decided at intake by"})
if choice is not None and get_person().can("playbook.edit") and st.button("Delete this rule", key="playbook.delete"):
    with audit.performed(db, get_person(), "playbook.edit", f"rule {by_id[choice].name}", now=now,
                         changes={"deleted": by_id[choice].name}):
        store.delete_rule(db, choice, iso(now))
    flash("playbook", f"Rule “{by_id[choice].name}” deleted.")
    st.session_state["playbook.reset"] = True
    st.rerun()

st.subheader("Hand back to support")
st.caption("An escalation support can handle after all goes back as tier 1 or 2, with the reason: the rule that "
           "sent it is the one to fix.")
engineer_owned = {r["id"]: r for r in recent
                  if r["status"] == "open" and (r["support_tier"] or 3) == 3 and not r["handback_reason"]}
with st.form("playbook.handback_form"):
    picked = st.selectbox("Escalation", list(engineer_owned), key="playbook.handback.escalation",
                          format_func=lambda i: f"#{i} {engineer_owned[i]['subject'] or '(no subject)'}")
    left, right = st.columns(2)
    left.radio("Support takes it as", (1, 2), key="playbook.handback.tier", format_func=TIER_LABELS.get,
               horizontal=True)
    right.text_input("Who hands it back", key="playbook.handback.by")
    st.text_input("Why", key="playbook.handback.reason", placeholder="Known limitation; help-centre article")
    if st.form_submit_button("Hand back", key="playbook.handback.submit",
                             disabled=not get_person().can("escalation.hand_back")):
        try:
            if picked is None:
                raise ValidationError("No escalation with the engineer is left to hand back.")
            with audit.performed(db, get_person(), "escalation.hand_back", f"escalation #{picked}", now=now,
                                 changes={"tier": [3, st.session_state["playbook.handback.tier"]],
                                          "by": st.session_state["playbook.handback.by"],
                                          "reason": st.session_state["playbook.handback.reason"]}):
                store.hand_back(db, picked, st.session_state["playbook.handback.tier"],
                                st.session_state["playbook.handback.reason"],
                                st.session_state["playbook.handback.by"], iso(now))
        except AppError as exc:
            st.error(str(exc))
        else:
            flash("playbook", f"Escalation #{picked} handed back to support.")
            st.rerun()

st.subheader("Rules that hand back most often")
if ranking:
    st.dataframe([{"rule": c.rule, "handed_back": c.handed_back, "routed": c.routed, "share": c.share}
                  for c in ranking], hide_index=True, key="playbook.handbacks",
                 column_config={"handed_back": "Handed back", "routed": "Routed (recent)",
                                "share": st.column_config.ProgressColumn("Share", format="percent")})
else:
    st.info("Nothing handed back yet: every escalation the playbook sent to the engineer stayed there.")

st.subheader("Recent escalations")
st.dataframe([{"id": r["id"], "received": timefmt.when(r["received_at"], settings.team_timezone, now),
               "subject": r["subject"], "customer_tier": r["tier"],
               "rule": r["playbook_rule"] or "no rule", "support_tier": r["support_tier"], "routing": r["routing"],
               "handback_reason": r["handback_reason"] or ""} for r in recent[:50]],
             hide_index=True, width="stretch", key="playbook.recent",
             column_config={"support_tier": "Support tier", "customer_tier": "Customer tier",
                            "handback_reason": "Handed back because"})
