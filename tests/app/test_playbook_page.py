from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.store import playbook as store

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "playbook.py")


def run(at: AppTest | None = None) -> AppTest:
    at = (at or AppTest.from_file(PAGE, default_timeout=20)).run()
    assert not at.exception
    return at


COLUMN = {"rules": "fires_first", "caught": "would_fire", "handbacks": "routed", "recent": "handback_reason"}


def frame(at: AppTest, name: str):
    """The table ``name`` on the page, told apart by a column only it has."""
    return next(d.value for d in at.dataframe if COLUMN[name] in d.value.columns)


def test_the_default_rules_are_listed_and_exported(app_env):
    at = run()
    rules = frame(at, "rules")
    assert rules["rule"].tolist() == ["Enterprise data loss", "Outage or security", "How-to questions",
                                      "Billing and accounts"]
    assert rules["owner"].tolist() == ["engineer", "engineer", "support", "support"]
    assert any(i.value.startswith("Nothing handed back yet") for i in at.info)
    assert at.get("download_button")


def test_preview_a_new_rule_then_save_it(app_env):
    export = app_env.escalation(1, subject="CSV export times out", tier="business")
    app_env.escalation(2, subject="Login loop")
    other = app_env.escalation(3, body="The PDF export is blank", tier="enterprise")
    at = run()
    at.text_input(key="playbook.name").input("Exports")
    at.text_area(key="playbook.keywords").input("export\ncsv")
    at.radio(key="playbook.support_tier").set_value(2)
    at = run(at.button(key="playbook.preview").click())
    assert any("**2** of the last 3 escalations match this rule; it would fire first on **2**" in m.value
               for m in at.markdown)
    assert sorted(frame(at, "caught")["id"].tolist()) == [export, other]
    assert [r.name for r in store.rules(app_env.db)].count("Exports") == 0  # a preview saves nothing

    at.multiselect(key="playbook.customer_tiers").select("business")
    at = run(at.button(key="playbook.save").click())
    assert at.success[0].value.startswith("Rule “Exports” saved")
    saved = next(r for r in store.rules(app_env.db) if r.name == "Exports")
    assert (saved.keywords, saved.support_tier, saved.customer_tiers) == (("export", "csv"), 2, ("business",))
    rules = frame(at, "rules")
    assert rules.set_index("rule").loc["Exports", "catches"] == 1


def test_an_invalid_rule_is_refused_with_the_reason(app_env):
    at = run()
    at.text_input(key="playbook.name").input("Everything")
    at = run(at.button(key="playbook.save").click())
    assert at.error[0].value.startswith("A rule needs at least one condition")
    assert "Everything" not in [r.name for r in store.rules(app_env.db)]


def test_edit_and_delete_a_rule(app_env):
    target = next(r for r in store.rules(app_env.db) if r.name == "How-to questions")
    at = run()
    at = run(at.selectbox(key="playbook.rule").select(target.id))
    assert at.text_input(key="playbook.name").value == "How-to questions"
    assert "how do i" in at.text_area(key="playbook.keywords").value.splitlines()
    at.radio(key="playbook.support_tier").set_value(2)
    at = run(at.button(key="playbook.save").click())
    assert next(r for r in store.rules(app_env.db) if r.id == target.id).support_tier == 2
    at = run(at.selectbox(key="playbook.rule").select(target.id))
    at = run(at.button(key="playbook.delete").click())
    assert at.success[0].value == "Rule “How-to questions” deleted."
    assert target.id not in [r.id for r in store.rules(app_env.db)]
    assert at.selectbox(key="playbook.rule").value is None


def test_hand_back_and_the_rules_that_hand_back_most(app_env):
    first = app_env.escalation(1, support_tier=3, playbook_rule="Exports")
    app_env.escalation(2, support_tier=3, playbook_rule="Exports")
    app_env.escalation(3, support_tier=1, playbook_rule="How-to questions")
    app_env.escalation(4, support_tier=3, status="done")  # closed: nothing to hand back
    at = run()
    assert at.selectbox(key="playbook.handback.escalation").options == ["#2 Bug number 2", "#1 Bug number 1"]
    at.selectbox(key="playbook.handback.escalation").select(first)
    at = run(at.button(key="playbook.handback.submit").click())
    assert at.error[0].value.startswith("Say why it goes back to support")
    at.text_input(key="playbook.handback.reason").input("Known limitation, help-centre article 12")
    at.text_input(key="playbook.handback.by").input("Ada")
    at = run(at.button(key="playbook.handback.submit").click())
    assert at.success[0].value == f"Escalation #{first} handed back to support."
    ranking = frame(at, "handbacks")
    assert ranking[["rule", "handed_back", "routed"]].values.tolist() == [["Exports", 1, 2]]
    recent = frame(at, "recent").set_index("id")
    assert (recent.loc[first, "support_tier"], recent.loc[first, "handback_reason"]) == \
        (1, "Known limitation, help-centre article 12")
    assert at.selectbox(key="playbook.handback.escalation").options == ["#2 Bug number 2"]
