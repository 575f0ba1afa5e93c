"""Which handoffs go to Linear, and what each needs (issue 13)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core import handoff_posts

NOW = datetime(2026, 11, 23, 17, tzinfo=timezone.utc)


@pytest.mark.parametrize(("post", "expected"), [
    (None, "create"),
    ({"status": "pending", "posted_submitted_at": None}, "create"),  # recorded, never finished: finish it
    ({"status": "posted", "posted_submitted_at": "2026-11-20T16:00:00+00:00"}, "none"),
    ({"status": "posted", "posted_submitted_at": "2026-11-20T15:00:00+00:00"}, "update"),  # submitted again
])
def test_each_week_is_created_once_and_updated_when_submitted_again(post, expected):
    assert handoff_posts.action({"submitted_at": "2026-11-20T16:00:00+00:00"}, post) == expected


def test_only_recent_submitted_handoffs_are_posted_oldest_first():
    rows = [{"week_start": "2026-11-16", "submitted_at": (NOW - timedelta(days=1)).isoformat()},
            {"week_start": "2026-11-09", "submitted_at": (NOW - timedelta(days=8)).isoformat()},
            {"week_start": "2026-11-02", "submitted_at": None},  # a draft
            {"week_start": "2026-10-05", "submitted_at": (NOW - timedelta(days=15)).isoformat()}]
    assert [h["week_start"] for h in handoff_posts.to_post(rows, NOW)] == ["2026-11-09", "2026-11-16"]
    assert handoff_posts.title(rows[0]) == "Support rotation handoff: week of 2026-11-16"
