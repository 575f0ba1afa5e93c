"""Each submitted handoff posted to Linear once, as a document or a comment, across crashes (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from core import handoff_posts
from core.errors import ConfigError
from core.linear import LinearClient
from core.settings import Settings
from core.store import handoff_posts as store
from core.store import iso, ops
from tests.doubles.hubspot import FakeClock
from tests.doubles.linear import API_KEY, LinearDouble

NOW = datetime(2026, 11, 23, 17, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=NOW.timestamp())


@pytest.fixture
def double(clock: FakeClock) -> LinearDouble:
    return LinearDouble(clock=clock)


@pytest.fixture
def client(double: LinearDouble, clock: FakeClock) -> Iterator[LinearClient]:
    with LinearClient(API_KEY, transport=httpx.MockTransport(double.handler), sleep=clock.sleep, clock=clock) as c:
        yield c


def submit(db, week: str, submitted: datetime, priorities: str = "Ship ENG-1") -> None:
    ops.save_handoff(db, {"week_start": week, "engineer_email": "bo@ourco.com", "fixed": "#1 Export <b>fixed</b>",
                          "triaged": "", "still_open": "", "priorities": priorities, "notes": "",
                          "submitted_at": iso(submitted)})


def as_documents(settings: Settings, double: LinearDouble) -> Settings:
    project = double.add_project("Support rotation")
    return replace(settings, handoff_linear_target="document", linear_project=project["id"])


def test_a_handoff_becomes_one_document_in_the_project(db, settings, client, double) -> None:
    settings = as_documents(settings, double)
    submit(db, "2026-11-16", NOW - timedelta(hours=1))
    submit(db, "2026-10-05", NOW - timedelta(days=40))  # long before the setting: not posted
    assert handoff_posts.post_handoffs(db, settings, client, NOW) == "1 handoff posted in Linear (document)"
    (document,) = double.documents.values()
    assert document["title"] == "Support rotation handoff: week of 2026-11-16"
    assert document["projectId"] == settings.linear_project
    assert "- \\#1 Export \\<b\\>fixed\\</b\\>" in document["content"]  # customers' words stay inert
    (post,) = store.all_posts(db)
    assert (post["status"], post["linear_id"], post["url"]) == ("posted", post["key"], document["url"])
    assert handoff_posts.post_handoffs(db, settings, client, NOW + timedelta(minutes=1)) == ""
    assert len(double.documents) == 1


def configured(target: str, settings: Settings, double: LinearDouble) -> tuple[Settings, dict, str, str]:
    """Settings posting to ``target``, the double's store of such posts, and the create and read operations."""
    if target == "document":
        return as_documents(settings, double), double.documents, "DocumentCreate", "Document"
    planning = double.add_issue("Planning: support rotation")
    return (replace(settings, handoff_linear_target="comment", linear_planning_issue=planning["identifier"]),
            double.comments, "CommentCreate", "Comment")


@pytest.mark.parametrize("target", ["document", "comment"])
def test_a_crash_between_create_and_record_reads_the_key_back(db, settings, client, double, monkeypatch,
                                                              target) -> None:
    settings, made, create, read = configured(target, settings, double)
    submit(db, "2026-11-16", NOW - timedelta(hours=1))
    real = store.posted

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("the worker was stopped")

    monkeypatch.setattr(store, "posted", crash)
    with pytest.raises(KeyboardInterrupt):
        handoff_posts.post_handoffs(db, settings, client, NOW)
    assert len(made) == 1 and store.all_posts(db)[0]["status"] == "pending"
    monkeypatch.setattr(store, "posted", real)
    creates = double.operations().count(create)
    assert handoff_posts.post_handoffs(db, settings, client, NOW + timedelta(minutes=1)).startswith("1 handoff")
    assert double.operations().count(create) == creates  # read back, not created again
    assert double.operations()[-1] == read
    assert len(made) == 1 and store.all_posts(db)[0]["linear_id"] == next(iter(made))


def test_a_lost_answer_is_retried_without_a_second_document(db, settings, client, double) -> None:
    settings = as_documents(settings, double)
    submit(db, "2026-11-16", NOW - timedelta(hours=1))
    double.fail_next(1, status=502, processed=True)  # Linear created it, the answer never arrived
    handoff_posts.post_handoffs(db, settings, client, NOW)
    assert len(double.documents) == 1
    assert store.all_posts(db)[0]["linear_id"] == next(iter(double.documents))


def test_as_a_comment_on_the_planning_issue_and_resubmitting_updates_it(db, settings, client, double) -> None:
    planning = double.add_issue("Planning: support rotation")
    settings = replace(settings, handoff_linear_target="comment", linear_planning_issue=planning["identifier"])
    submit(db, "2026-11-16", NOW - timedelta(hours=1))
    assert handoff_posts.post_handoffs(db, settings, client, NOW) == "1 handoff posted in Linear (comment)"
    (comment,) = double.comments.values()
    assert comment["issueId"] == planning["id"] and "Ship ENG\\-1" in comment["body"]
    submit(db, "2026-11-16", NOW + timedelta(hours=1), priorities="Ship ENG-2 first")
    assert handoff_posts.post_handoffs(db, settings, client, NOW + timedelta(hours=2)) == (
        "1 handoff updated in Linear (comment)")
    (comment,) = double.comments.values()
    assert "Ship ENG\\-2 first" in comment["body"] and "ENG\\-1" not in comment["body"]


def test_without_the_setting_nothing_is_posted(db, settings, client, double) -> None:
    submit(db, "2026-11-16", NOW - timedelta(hours=1))
    assert handoff_posts.post_handoffs(db, settings, client, NOW) == ""
    assert double.requests == [] and store.all_posts(db) == []


@pytest.mark.parametrize(("env", "message"), [
    ({"ROTADESK_HANDOFF_LINEAR_TARGET": "wiki"}, "must be document, comment or empty"),
    ({"ROTADESK_HANDOFF_LINEAR_TARGET": "document"}, "ROTADESK_LINEAR_PROJECT"),
    ({"ROTADESK_HANDOFF_LINEAR_TARGET": "comment"}, "ROTADESK_LINEAR_PLANNING_ISSUE"),
])
def test_the_target_setting_is_checked_at_load(env, message) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env, env_file=None)
