"""Pure Slack helpers: suggesting the customer, the modal, reading a submission, notifications."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from core import slack as cs
from core import slack_notify as sn
from core.errors import ValidationError
from core.roster import Engineer
from core.rotation import Override, RotationWeek
from core.settings import Settings

CUSTOMERS = [cs.CustomerChoice("acme.com", "Acme Corp", "enterprise"),
             cs.CustomerChoice("globex.io", "Globex", "business"),
             cs.CustomerChoice("initech.com", "Initech Software", "starter")]


@pytest.mark.parametrize(("email", "channel", "expected"), [
    ("jane@acme.com", "random", "acme.com"),
    ("jane@eu.acme.com", "", "acme.com"),  # a subsidiary's subdomain
    ("sam@ourco.com", "ext-globex-support", "globex.io"),  # our own people: the channel decides
    ("", "initech_shared", "initech.com"),  # the company's first word
    ("someone@gmail.com", "general", None),
    ("jane@notacme.com", "general", None),  # a suffix is not a subdomain
])
def test_suggest_customer(email, channel, expected) -> None:
    found = cs.suggest_customer(email, channel, CUSTOMERS, company_domains=("ourco.com",))
    assert (found.domain if found else None) == expected


def test_customer_options_search_company_and_domain() -> None:
    assert [o["value"] for o in cs.customer_options("GLOB", CUSTOMERS)] == ["globex.io"]
    assert [o["value"] for o in cs.customer_options(".com", CUSTOMERS)] == ["acme.com", "initech.com"]
    assert len(cs.customer_options("", [cs.CustomerChoice(f"c{i}.com", f"C{i}") for i in range(150)])) == 100


DRAFT = cs.Draft("d1", "Export fails\nsteps", "C1", "acme", "1.000001", "", "Jane Doe", "jane@acme.com",
                 "https://ourco.slack.com/archives/C1/p1000001",
                 ({"name": "trace.har", "mimetype": "application/json", "size": 10, "permalink": "https://f/1"},))


def test_the_modal_is_valid_block_kit_for_the_double() -> None:
    from tests.doubles.slack import _view_problems

    view = cs.bug_modal(DRAFT, CUSTOMERS[0], customer_email="jane@acme.com", customer_name="Jane Doe")
    assert _view_problems(view) == []
    assert cs.draft_id_of(view) == "d1"
    long = cs.bug_modal(cs.Draft("d2", "x" * 10_000), None)
    assert _view_problems(long) == []


def values(**overrides) -> dict[str, str]:
    return {"email": "jane@acme.com", "name": "Jane Doe", "subject": "Export fails", "body": "It fails.",
            "customer": "acme.com"} | overrides


def test_a_submission_becomes_a_slack_report_with_link_and_files() -> None:
    report, errors = cs.report_from_submission(values(), DRAFT, reporter_name="Sam Agent",
                                               reporter_email="sam@ourco.com")
    assert errors == {}
    assert (report.source, report.reported_by, report.link) == ("slack", "Sam Agent", DRAFT.permalink)
    assert "trace.har (application/json, 10 bytes) https://f/1" in report.body


@pytest.mark.parametrize(("overrides", "field"), [
    ({"email": "nope"}, "email"), ({"email": "jane@globex.io"}, "email"), ({"subject": "  "}, "subject"),
    ({"body": ""}, "body"),
])
def test_a_bad_submission_names_its_field(overrides, field) -> None:
    report, errors = cs.report_from_submission(values(**overrides), DRAFT, reporter_name="Sam")
    assert report is None and field in errors


def test_the_same_submission_is_the_same_report() -> None:
    one, _ = cs.report_from_submission(values(), DRAFT, reporter_name="Sam")
    two, _ = cs.report_from_submission(values(), DRAFT, reporter_name="Sam")
    assert one.message_id == two.message_id


def test_who_text() -> None:
    weeks = [RotationWeek(date(2026, 3, 2), "ada@ourco.com")]
    text = cs.who_text(weeks, {"ada@ourco.com": "Ada"}, date(2026, 3, 4), 0)
    assert "*Ada*" in text and "nobody" in text


SETTINGS = Settings(slack_channel="C0ROTA", team_timezone="Europe/Berlin", slack_office_hours_time="10:00",
                    slack_reply_wait_hours=24)
WEEKS = [RotationWeek(date(2026, 2, 23), "linus@ourco.com"), RotationWeek(date(2026, 3, 2), "ada@ourco.com"),
         RotationWeek(date(2026, 3, 9), "linus@ourco.com")]
NAMES = {"ada@ourco.com": "Ada", "linus@ourco.com": "Linus"}


def keys(facts, now, settings=SETTINGS):
    return [e.key for e in sn.due(facts, settings, now)]


def test_the_week_start_carries_last_weeks_handoff() -> None:
    facts = sn.Facts(WEEKS, NAMES, handoffs={date(2026, 2, 23): {"engineer_email": "linus@ourco.com",
                                                                 "priorities": "Fix the export", "notes": ""}})
    (event,) = sn.due(facts, SETTINGS, datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    assert event.key == "week:2026-03-02" and "*Ada*" in event.text and "next week: Linus" in event.text
    assert "Handoff from Linus" in event.text and "Fix the export" in event.text


def test_office_hours_are_announced_in_the_quarter_hour_before_on_weekdays() -> None:
    facts = sn.Facts([], NAMES, queue_size=3)
    berlin_0950 = datetime(2026, 3, 3, 8, 50, tzinfo=timezone.utc)  # 09:50 in Berlin
    (event,) = sn.due(facts, SETTINGS, berlin_0950)
    assert event.key == "office_hours:2026-03-03" and "3 items" in event.text
    assert keys(facts, berlin_0950 - timedelta(minutes=20)) == []
    assert keys(facts, berlin_0950 + timedelta(minutes=10)) == []  # 10:00: started
    assert keys(facts, datetime(2026, 3, 7, 8, 50, tzinfo=timezone.utc)) == []  # Saturday


def test_waiting_replies_and_recent_swaps() -> None:
    now = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
    facts = sn.Facts([], NAMES, staged_replies=[
        {"key": "r1", "escalation_id": 4, "staged_at": (now - timedelta(hours=25)).isoformat()},
        {"key": "r2", "escalation_id": 5, "staged_at": (now - timedelta(hours=2)).isoformat()}],
        overrides=[Override(date(2026, 3, 9), "ada@ourco.com", "linus@ourco.com", decided_by="Em", reason="PTO",
                            at=now - timedelta(hours=1)),
                   Override(date(2026, 1, 5), "ada@ourco.com", "linus@ourco.com", at=now - timedelta(days=60))])
    events = {e.key: e.text for e in sn.due(facts, SETTINGS, now)}
    assert set(events) == {"reply_waiting:r1", f"swap:2026-03-09:{(now - timedelta(hours=1)).isoformat()}"}
    assert "#4 has waited 25 hours" in events["reply_waiting:r1"]
    swap = next(t for k, t in events.items() if k.startswith("swap"))
    assert "Linus → *Ada* (PTO), decided by Em" in swap


def test_each_notification_can_be_switched_off() -> None:
    from dataclasses import replace

    now = datetime(2026, 3, 2, 8, 50, tzinfo=timezone.utc)  # Monday 09:50 Berlin
    facts = sn.Facts(WEEKS, NAMES, queue_size=1, staged_replies=[
        {"key": "r1", "escalation_id": 4, "staged_at": (now - timedelta(hours=30)).isoformat()}],
        overrides=[Override(date(2026, 3, 9), "ada@ourco.com", "linus@ourco.com", at=now - timedelta(hours=1))])
    assert len(keys(facts, now)) == 4
    off = replace(SETTINGS, slack_notify_week_start=False, slack_notify_office_hours=False,
                  slack_notify_waiting_replies=False, slack_notify_swaps=False)
    assert keys(facts, now, off) == []
    assert [k.split(":")[0] for k in keys(facts, now, replace(SETTINGS, slack_notify_swaps=False))] == \
        ["week", "office_hours", "reply_waiting"]


def test_text_from_people_cannot_ping_the_channel() -> None:
    facts = sn.Facts(WEEKS, {"ada@ourco.com": "<!channel> Ada"}, handoffs={
        date(2026, 2, 23): {"engineer_email": "linus@ourco.com", "priorities": "<!here> read <https://x|this>"}})
    (event,) = sn.due(facts, SETTINGS, datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    assert "<!" not in event.text and "&lt;!channel&gt; Ada" in event.text and "&lt;!here&gt;" in event.text
    view = cs.bug_modal(cs.Draft("d", "text", author_name="<!channel>", channel_name="x"), None)
    assert "<!channel>" not in str(view["blocks"][0])


@pytest.mark.parametrize("value", ["25:00", "10", "9:5", "ten"])
def test_a_bad_office_hours_time_stops_start_up_naming_the_setting(value) -> None:
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="ROTADESK_SLACK_OFFICE_HOURS_TIME"):
        Settings.from_env({"ROTADESK_SLACK_OFFICE_HOURS_TIME": value}, env_file=None)
    assert Settings.from_env({"ROTADESK_SLACK_OFFICE_HOURS_TIME": "09:45"}, env_file=None).slack_office_hours_time \
        == "09:45"


SWAP_TEAM = [Engineer("ada@ourco.com", "Ada Lovelace"), Engineer("bo@ourco.com", "Bo"),
             Engineer("bo.chen@ourco.com", "Bo Chen")]


@pytest.mark.parametrize(("text", "expected"), [
    ("next Bo Chen my wedding", (date(2026, 3, 9), "bo.chen@ourco.com", "my wedding")),  # the longest name first
    ("this Bo", (date(2026, 3, 2), "bo@ourco.com", "")),
    ("2026-03-19 ADA@ourco.com out", (date(2026, 3, 16), "ada@ourco.com", "out")),  # any day of the week
    ("next ada lovelace", (date(2026, 3, 9), "ada@ourco.com", "")),
])
def test_swap_commands_name_a_week_a_person_and_a_reason(text, expected) -> None:
    ask = cs.parse_swap(text, SWAP_TEAM, date(2026, 3, 4), 0)
    assert (ask.week_start, ask.to_email, ask.reason) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("next", "Say which week and whom to ask"),
    ("soon Bo", "'soon' is not a week"),
    ("2026-02-27 Bo", "The week of 2026-02-23 is over"),
    ("next Zed Bo", "'Zed' is not on the roster"),
])
def test_bad_swap_commands_say_what_is_wrong(text, message) -> None:
    with pytest.raises(ValidationError, match=message):
        cs.parse_swap(text, SWAP_TEAM, date(2026, 3, 4), 0)


def test_the_swap_message_escapes_what_people_typed_and_carries_the_request() -> None:
    text, blocks = cs.swap_ask_message(7, date(2026, 3, 9), "Bo", "Ada", "<!channel> & co", "U0BO")
    assert "&lt;!channel&gt; &amp; co" in text and "<!channel>" not in text
    values = {e["value"] for e in blocks[1]["elements"]}
    assert [cs.read_swap_value(v) for v in values] == [(7, "U0BO")]
    assert cs.read_swap_value("not json") == (0, "")
