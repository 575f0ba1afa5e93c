"""Swap requests: one engineer asks, the other accepts or declines (issue 15)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from core.errors import ValidationError
from core.store import handovers
from core.store import rotation as store

NOW = datetime(2026, 1, 5, 8, tzinfo=timezone.utc)
CSV = "name,email\n" + "".join(f"E{i},e{i}@ourco.com\n" for i in range(5))


@pytest.fixture
def team_db(db, settings):
    store.import_roster_csv(db, CSV)
    store.regenerate(db, settings, NOW)
    return db


def ask(db, index: int = 3):
    week = store.effective_schedule(db)[index]
    other = next(f"e{i}@ourco.com" for i in range(5) if f"e{i}@ourco.com" != week.engineer_email)
    return week, other, handovers.ask_swap(db, week.week_start, other, requested_by=week.engineer_email,
                                           reason="wedding", now=NOW)


def test_asking_changes_nothing_until_the_other_accepts(team_db, settings):
    week, other, request = ask(team_db)
    assert (request.status, request.from_email, request.to_email) == ("open", week.engineer_email, other)
    assert store.effective_schedule(team_db)[3].engineer_email == week.engineer_email
    accepted = handovers.answer_swap(team_db, request.id, accept=True, decided_by=other, now=NOW)
    assert (accepted.status, accepted.decided_by) == ("accepted", other)
    assert store.effective_schedule(team_db)[3].engineer_email == other
    [override] = store.list_overrides(team_db)
    assert (override.requested_by, override.decided_by, override.reason) == (week.engineer_email, other, "wedding")
    assert handovers.swap_requests(team_db) == []
    with pytest.raises(ValidationError, match="already accepted"):
        handovers.answer_swap(team_db, request.id, accept=True, decided_by=other, now=NOW)


def test_a_declined_request_leaves_the_week_and_can_be_asked_again(team_db):
    week, other, request = ask(team_db)
    assert handovers.answer_swap(team_db, request.id, accept=False, decided_by=other, now=NOW).status == "declined"
    assert store.effective_schedule(team_db)[3].engineer_email == week.engineer_email
    assert store.list_overrides(team_db) == []
    again = handovers.ask_swap(team_db, week.week_start, other, requested_by="", reason="still the wedding", now=NOW)
    assert again.status == "open"


def test_asking_twice_or_for_nothing_is_refused(team_db):
    week, other, _ = ask(team_db)
    with pytest.raises(ValidationError, match="already been asked"):
        handovers.ask_swap(team_db, week.week_start, other, requested_by="", reason="x", now=NOW)
    with pytest.raises(ValidationError, match="already covers"):
        handovers.ask_swap(team_db, week.week_start, week.engineer_email, requested_by="", reason="x", now=NOW)
    with pytest.raises(ValidationError, match="Say why"):
        handovers.ask_swap(team_db, week.week_start, other, requested_by="", reason="", now=NOW)
    with pytest.raises(ValidationError, match="no rotation week"):
        handovers.ask_swap(team_db, date(2030, 1, 7), other, requested_by="", reason="x", now=NOW)


def test_accepting_again_after_a_crash_hands_the_week_over_once(team_db):
    week, other, request = ask(team_db)
    store.accept_swap(team_db, week.week_start, other, requested_by="", decided_by=other, reason="wedding", now=NOW)
    # The process died before the request was marked: answering again finishes it without a second override.
    handovers.answer_swap(team_db, request.id, accept=True, decided_by=other, now=NOW)
    assert len(store.list_overrides(team_db)) == 1
    assert handovers.swap_requests(team_db, status="accepted")[0].id == request.id
