from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.store import intake, ops
from tests.support.clock import APP_NOW

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "office_hours.py")


def run(at: AppTest | None = None) -> AppTest:
    at = (at or AppTest.from_file(PAGE, default_timeout=20)).run()
    assert not at.exception
    return at


def test_empty_queue(app_env):
    at = run()
    assert at.metric[0].value == "0"
    infos = [i.value for i in at.info]
    assert any(i.startswith("Nothing queued") for i in infos)
    assert any(i.startswith("Nothing on the queue. Open escalations appear here") for i in infos)
    assert not at.dataframe
    assert at.text_input(key="office_hours.topic") is not None  # topics can still be added


def test_queue_lists_open_escalations_with_a_timebox(app_env):
    a = app_env.escalation(1, age=timedelta(days=2), tier="business")
    b = app_env.escalation(2, age=timedelta(hours=1))
    app_env.escalation(3, status="closed")
    at = run()
    queue = at.dataframe[0].value
    assert queue["Escalation"].tolist() == [f"/escalations?escalation={b}", f"/escalations?escalation={a}"]
    assert set(queue["Why"]) == {"not discussed yet"}  # enterprise first, above
    assert set(queue["Company"]) == {"Acme"} and queue["Customer"].tolist()[0].startswith("Customer ")
    assert at.metric[0].value == "2"
    assert any(i.value.startswith("15 minutes for 2 items: about 7 min 30 s each") for i in at.info)


def test_adding_a_topic_and_marking_it_discussed(app_env):
    a = app_env.escalation(1)
    at = run()
    at.text_input(key="office_hours.topic").input("Export times out for big accounts")
    at.text_input(key="office_hours.asked_by").input("Dana (support)")
    at.selectbox(key="office_hours.topic_escalation").select(str(a))
    at = run(at.button(key="office_hours.add").click())
    assert at.success[0].value == "Added to today's queue."
    queue = at.dataframe[0].value
    # the hand-added topic replaces the automatic item for the same escalation
    assert queue["Topic"].tolist() == ["Export times out for big accounts"]
    assert queue["Asked by"].tolist() == ["Dana (support)"]
    at.text_input(key="office_hours.outcome").input("Fix this week")
    at = run(at.button(key="office_hours.discuss").click())
    assert at.success[0].value == "Marked discussed."
    queue = at.dataframe[0].value
    assert queue["Status"].tolist() == ["discussed"] and queue["Outcome"].tolist() == ["Fix this week"]
    assert at.metric[0].value == "0"
    rows = ops.office_hours_for_day(app_env.db, rows_day(app_env))
    assert [r["outcome"] for r in rows] == ["Fix this week"]


def rows_day(app_env) -> str:
    (day,) = {r["day"] for r in app_env.db["office_hours"].rows}
    return day


def test_marking_an_escalation_discussed_takes_it_off_future_queues(app_env):
    a = app_env.escalation(1)
    at = run()
    at.text_input(key="office_hours.outcome").input("Triaged to backlog")
    at = run(at.button(key="office_hours.discuss").click())
    (row,) = app_env.db["office_hours"].rows
    assert (row["escalation_id"], row["status"], row["outcome"]) == (a, "discussed", "Triaged to backlog")
    assert at.dataframe[0].value["Status"].tolist() == ["discussed"]


def test_bad_input_shows_an_error_not_a_traceback(app_env):
    app_env.escalation(1)
    at = run()
    at.text_input(key="office_hours.asked_by").input("Dana")
    at = run(at.button(key="office_hours.add").click())
    assert at.error[0].value == "Write the topic to discuss."
    at = run(at.button(key="office_hours.discuss").click())
    assert at.error[0].value.startswith("Write the outcome")
    assert app_env.db["office_hours"].count == 0


def test_bad_configuration_is_reported(app_env, monkeypatch):
    monkeypatch.setenv("ROTADESK_TEAM_TIMEZONE", "Mars/Olympus")
    at = run()
    assert at.error[0].value.startswith("Configuration problem: ROTADESK_TEAM_TIMEZONE")


def test_a_closed_escalation_the_customer_wrote_to_again_is_queued(app_env):
    now = APP_NOW
    done = app_env.escalation(1, age=timedelta(days=3), status="done", closed_at=(now - timedelta(days=1)).isoformat())
    intake.add_followup(app_env.db, {"message_id": "<f1@acme.example>", "escalation_id": done,
                                     "sender": "user1@acme.example", "body": "Still broken for us.",
                                     "received_at": (now - timedelta(hours=2)).isoformat()})
    at = run()
    queue = at.dataframe[0].value
    assert queue["Escalation"].tolist() == [f"/escalations?escalation={done}"]
    assert queue["Why"].tolist() == ["wrote again after it was closed"]
    at.text_input(key="office_hours.outcome").input("Answered: a browser cache, not the bug")
    at = run(at.button(key="office_hours.discuss").click())
    queue = at.dataframe[0].value
    assert (queue["Status"].tolist(), queue["Outcome"].tolist()) == (
        ["discussed"], ["Answered: a browser cache, not the bug"])


def test_an_item_links_to_its_escalation_and_keeps_its_reason_once_discussed(app_env):
    # Issue 19: the link opens that escalation; "why" survives the sync.
    a = app_env.escalation(1)
    at = run()
    at.text_input(key="office_hours.outcome").input("Answered")
    queue = run(at.button(key="office_hours.discuss").click()).dataframe[0].value
    assert (queue["Status"].tolist(), queue["Why"].tolist()) == (["discussed"], ["not discussed yet"])
    escalations = AppTest.from_file(PAGE.replace("office_hours.py", "escalations.py"), default_timeout=20)
    escalations.query_params["escalation"] = str(a)
    app_env.db["escalations"].update(a, {"status": "done"})  # even once it is closed and off the open list
    escalations.run()
    assert not escalations.exception
    assert escalations.selectbox(key="escalations.selected").value == a
