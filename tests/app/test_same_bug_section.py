"""The "Same bug as..." section of the Escalations page (issue 14)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.store import links as links_store
from tests.support.clock import APP_NOW

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "escalations.py")


def _linked(app_env, escalation_id: int, identifier: str, title: str) -> None:
    issue_id = f"issue-{identifier}"
    links_store.save_link(app_env.db, escalation_id, {
        "linear_issue_id": issue_id, "linear_identifier": identifier, "linear_state_type": "triage",
        "linear_url": f"https://linear.app/acme/issue/{identifier}", "hubspot_ticket_id": f"t{escalation_id}",
        "hubspot_ticket_url": f"https://app.hubspot.com/contacts/1/record/0-5/t{escalation_id}"}, APP_NOW)
    links_store.finish_step(app_env.db, escalation_id, "linear_issue", {"id": issue_id, "title": title}, APP_NOW)


def test_the_section_shows_impact_and_similar_issues(app_env):
    first = app_env.escalation(1, subject="CSV export fails", body="The export to CSV fails.")
    app_env.escalation(2, subject="Login is slow", body="Signing in takes ages.", customer_domain="globex.example")
    _linked(app_env, first, "ENG-7", "Acme: CSV export fails")
    _linked(app_env, 2, "ENG-8", "Globex: Login is slow")
    third = app_env.escalation(3, subject="Exports to CSV broken <b>now</b>", body="CSV export fails again.")
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    at.selectbox(key="escalations.selected").select(first).run()
    assert not at.exception
    assert "ENG-7: 1 customer · 1 ticket · highest tier Enterprise" in [t.value for t in at.text]
    at.selectbox(key="escalations.selected").select(third).run()
    choice = at.selectbox(key=f"escalations.same_bug_choice.{third}")
    assert choice.options == ["ENG-7 · Acme: CSV export fails"]  # the login issue is not similar
    at.button(key=f"escalations.same_bug.{third}").click().run()
    assert not at.exception
    assert any("needs HubSpot and Linear connected" in e.value for e in at.error)  # local-only explains itself
    assert at.text_input(key=f"escalations.same_bug_query.{third}").disabled
