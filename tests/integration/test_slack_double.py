"""The Slack double through Slack's own SDK: argument rules, ok:false bodies, 429 with Retry-After."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.doubles.slack import BOT_TOKEN, SlackDouble

MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "File a bug"},
         "submit": {"type": "plain_text", "text": "File"},
         "blocks": [{"type": "input", "block_id": "subject", "label": {"type": "plain_text", "text": "Subject"},
                     "element": {"type": "plain_text_input", "action_id": "value"}}]}


class Clock:
    def __init__(self) -> None:
        self.now = 1_772_400_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def slack():
    clock = Clock()
    double = SlackDouble(clock=clock)
    double.clock_ref = clock
    double.add_channel("C0ACME", "acme-shared", shared=True)
    double.add_user("U0JANE", "Jane Doe", "jane@acme.com", external=True)
    url, stop = double.serve()
    double.client = WebClient(token=BOT_TOKEN, base_url=url)
    yield double
    stop()


def error_of(call) -> str:
    with pytest.raises(SlackApiError) as info:
        call()
    assert info.value.response["ok"] is False
    return info.value.response["error"]


def test_a_trigger_opens_one_modal_once_within_three_seconds(slack) -> None:
    trigger = slack.issue_trigger()
    view = slack.client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert view["id"] in slack.views and view["hash"]
    assert error_of(lambda: slack.client.views_open(trigger_id=trigger, view=MODAL)) == "exchanged_trigger_id"
    late = slack.issue_trigger()
    slack.clock_ref.now += 3.5
    assert error_of(lambda: slack.client.views_open(trigger_id=late, view=MODAL)) == "expired_trigger_id"
    assert error_of(lambda: slack.client.views_open(trigger_id="1.2.nope", view=MODAL)) == "invalid_trigger_id"


def test_views_are_checked_like_block_kit(slack) -> None:
    long_title = {**MODAL, "title": {"type": "plain_text", "text": "A title much longer than Slack allows"}}
    with pytest.raises(SlackApiError) as info:
        slack.client.views_open(trigger_id=slack.issue_trigger(), view=long_title)
    assert info.value.response["error"] == "invalid_arguments"
    assert any("/view/title" in m for m in info.value.response["response_metadata"]["messages"])
    no_submit = {k: v for k, v in MODAL.items() if k != "submit"}
    assert error_of(lambda: slack.client.views_open(trigger_id=slack.issue_trigger(), view=no_submit)) == \
        "invalid_arguments"
    huge = {**MODAL, "private_metadata": "x" * 3001}
    assert error_of(lambda: slack.client.views_open(trigger_id=slack.issue_trigger(), view=huge)) == \
        "invalid_arguments"


def test_views_update_needs_an_existing_view_and_its_current_hash(slack) -> None:
    view = slack.client.views_open(trigger_id=slack.issue_trigger(), view=MODAL)["view"]
    updated = slack.client.views_update(view_id=view["id"], hash=view["hash"], view=MODAL)["view"]
    assert updated["hash"] != view["hash"]
    assert error_of(lambda: slack.client.views_update(view_id=view["id"], hash=view["hash"], view=MODAL)) == \
        "hash_conflict"
    assert error_of(lambda: slack.client.views_update(view_id="V404", view=MODAL)) == "not_found"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")  # the blank text is the point
def test_messages_threads_and_permalinks(slack) -> None:
    parent = slack.add_message("C0ACME", "U0JANE", "Export fails")
    posted = slack.client.chat_postMessage(channel="C0ACME", thread_ts=parent["ts"], text="Filed as #1")
    assert slack.replies("C0ACME", parent["ts"])[0]["text"] == "Filed as #1"
    link = slack.client.chat_getPermalink(channel="C0ACME", message_ts=posted["ts"])["permalink"]
    assert link.startswith("https://ourco.slack.com/archives/C0ACME/p") and f"thread_ts={parent['ts']}" in link
    assert error_of(lambda: slack.client.chat_postMessage(channel="C0NOPE", text="x")) == "channel_not_found"
    assert error_of(lambda: slack.client.chat_postMessage(channel="C0ACME", text=" ")) == "no_text"
    assert error_of(lambda: slack.client.chat_postMessage(channel="C0ACME", text="x" * 40_001)) == "msg_too_long"
    assert error_of(lambda: slack.client.chat_postMessage(channel="C0ACME", thread_ts="1.2", text="x")) == \
        "thread_not_found"
    assert error_of(lambda: slack.client.chat_getPermalink(channel="C0ACME", message_ts="9.9")) == \
        "message_not_found"
    slack.add_channel("C0OUT", "elsewhere", member=False)
    assert error_of(lambda: slack.client.chat_postMessage(channel="C0OUT", text="x")) == "not_in_channel"


def test_users_and_conversations(slack) -> None:
    user = slack.client.users_info(user="U0JANE")["user"]
    assert user["profile"]["email"] == "jane@acme.com"
    assert slack.client.conversations_info(channel="C0ACME")["channel"]["is_ext_shared"] is True
    assert error_of(lambda: slack.client.users_info(user="U0NOBODY")) == "user_not_found"
    assert error_of(lambda: slack.client.conversations_info(channel="C0NOPE")) == "channel_not_found"
    slack.email_scope = False
    assert "email" not in slack.client.users_info(user="U0JANE")["user"]["profile"]


def test_tokens_are_checked(slack) -> None:
    wrong = WebClient(token="xoxb-wrong", base_url=slack.client.base_url)
    assert error_of(lambda: wrong.auth_test()) == "invalid_auth"
    anonymous = WebClient(base_url=slack.client.base_url)
    assert error_of(lambda: anonymous.auth_test()) == "not_authed"


def test_rate_limits_answer_429_with_retry_after(slack) -> None:
    slack.limits["users.info"] = (2, 60.0)
    slack.client.users_info(user="U0JANE")
    slack.client.users_info(user="U0JANE")
    with pytest.raises(SlackApiError) as info:
        slack.client.users_info(user="U0JANE")
    assert info.value.response.status_code == 429 and info.value.response["error"] == "ratelimited"
    assert int(info.value.response.headers["Retry-After"]) == 61
    slack.clock_ref.now += 61
    assert slack.client.users_info(user="U0JANE")["ok"]


BUTTONS = [{"type": "section", "text": {"type": "mrkdwn", "text": "Take the week?"}},
           {"type": "actions", "block_id": "swap:1", "elements": [
               {"type": "button", "action_id": "yes", "text": {"type": "plain_text", "text": "Accept"},
                "style": "primary", "value": "1"},
               {"type": "button", "action_id": "no", "text": {"type": "plain_text", "text": "Decline"}, "value": "1"}]}]


def test_a_message_to_a_user_id_lands_in_the_apps_dm_and_only_the_dm_id_updates_it(slack) -> None:
    answer = slack.client.chat_postMessage(channel="U0JANE", text="Take the week?", blocks=BUTTONS)
    assert answer["channel"].startswith("D") and slack.dm("U0JANE")[0]["blocks"] == BUTTONS
    assert error_of(lambda: slack.client.chat_update(channel="U0JANE", ts=answer["ts"], text="x")) == \
        "channel_not_found"
    updated = slack.client.chat_update(channel=answer["channel"], ts=answer["ts"], text="Accepted.",
                                       blocks=BUTTONS[:1])
    assert updated["text"] == "Accepted." and slack.dm("U0JANE")[0]["blocks"] == BUTTONS[:1]
    assert error_of(lambda: slack.client.chat_update(channel=answer["channel"], ts="1.000009", text="x")) == \
        "message_not_found"
    theirs = slack.add_message("C0ACME", "U0JANE", "a customer's message")
    assert error_of(lambda: slack.client.chat_update(channel="C0ACME", ts=theirs["ts"], text="x")) == \
        "cant_update_message"
    assert error_of(lambda: slack.client.chat_update(channel=answer["channel"], ts=answer["ts"], text="")) == \
        "no_text"


@pytest.mark.parametrize("bad", [
    [{"type": "actions", "elements": []}],
    [{"type": "actions", "elements": [{"type": "button", "action_id": "a", "text": {"type": "mrkdwn", "text": "A"}}]}],
    [{"type": "actions", "elements": [{"type": "button", "action_id": "a", "text": {"type": "plain_text",
                                                                                     "text": "A" * 76}}]}],
    [{"type": "actions", "elements": [{"type": "button", "action_id": "a", "style": "green",
                                       "text": {"type": "plain_text", "text": "A"}}]}],
    [BUTTONS[1], {**BUTTONS[1], "block_id": "other"}],  # the same action ids twice in one message
    [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
])
def test_message_blocks_are_checked_as_block_kit_defines_them(slack, bad) -> None:
    assert error_of(lambda: slack.client.chat_postMessage(channel="C0ACME", text="t", blocks=bad)) == "invalid_blocks"


def test_users_are_looked_up_by_email_with_the_email_scope_only(slack) -> None:
    assert slack.client.users_lookupByEmail(email="Jane@acme.com")["user"]["id"] == "U0JANE"
    assert error_of(lambda: slack.client.users_lookupByEmail(email="nobody@acme.com")) == "users_not_found"
    slack.email_scope = False
    assert error_of(lambda: slack.client.users_lookupByEmail(email="jane@acme.com")) == "missing_scope"
