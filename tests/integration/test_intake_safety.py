"""Issue 17: intake never stalls, never loses a message, and trusts no one by accident."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from core.errors import IngestError
from core.store import inbound
from core.store import intake as store
from ingest import pipeline
from ingest.pipeline import ingest_raw

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def ours(settings):
    return replace(settings, company_domains=("flowboard.io",), parse_budget_seconds=0.5, replay_max_attempts=2)


def forward(n: int, message_id: str, *, sender: str = "Maria Lopez <maria.lopez@flowboard.io>") -> bytes:
    return (f"From: {sender}\r\nTo: bugs@flowboard.io\r\nMessage-ID: {message_id}\r\n"
            f"Subject: Fwd: Export broken {n}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Customer {n} is blocked.\r\n\r\n---------- Forwarded message ---------\r\n"
            f"From: Jane Smith <jane{n}@acme-corp.com>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\n"
            f"Subject: Export broken {n}\r\nTo: support@flowboard.io\r\n\r\nExport number {n} fails.\r\n").encode()


def spin(*args, **kwargs):
    """A parser stuck for good, swallowing every ordinary exception on the way."""
    while True:
        try:
            time.sleep(0.01)
        except Exception:  # noqa: S110 - the point: a budget must get through code like this
            pass


# ---- the time budget -----------------------------------------------------------------------------------------

def test_a_message_over_the_time_budget_fails_with_its_reason_and_intake_moves_on(db, ours, monkeypatch) -> None:
    stuck = forward(1, "<stuck@flowboard.io>")
    monkeypatch.setattr("ingest.parse.parse", spin)
    started = time.monotonic()
    outcome = ingest_raw(db, ours, stuck, source="imap", now=NOW)
    assert time.monotonic() - started < 10
    assert outcome.status == "failed" and "time budget" in outcome.reason
    row = store.inbound(db, outcome.message_id)
    assert (row["status"], row["attempts"]) == ("failed", 1) and "0.5 s" in row["reason"]
    assert Path(row["raw_path"]).read_bytes() == stuck
    monkeypatch.undo()
    assert ingest_raw(db, ours, forward(2, "<next@flowboard.io>"), source="imap", now=NOW).status == "escalation"


def test_replay_retries_failed_messages_last_and_a_set_number_of_times(db, ours, monkeypatch) -> None:
    monkeypatch.setattr("ingest.parse.parse", spin)
    failed = ingest_raw(db, ours, forward(1, "<stuck@flowboard.io>"), source="imap", now=NOW)
    monkeypatch.undo()
    # A message whose run was cut short (the worker was killed): recorded, never finished, no attempt yet.
    raw = forward(2, "<cut@flowboard.io>")
    sha, path = store.store_blob(ours.raw_dir, raw, ".eml")
    store.record_inbound(db, {"message_id": f"sha256:{sha}", "source": "imap", "raw_path": str(path), "sha256": sha,
                              "size": len(raw), "received_at": "2026-11-28T00:00:00+00:00", "status": "new"})
    order = [r["message_id"] for r in inbound.to_replay(db, ours.replay_max_attempts)]
    assert order == [f"sha256:{sha}", failed.message_id]  # the stuck one last, although it came first

    monkeypatch.setattr("ingest.parse.parse", spin)
    outcomes = pipeline.replay(db, ours, now=NOW)  # the cut one is also stuck now: both fail within the budget
    assert [o.status for o in outcomes] == ["failed", "failed"]
    [second] = pipeline.replay(db, ours, now=NOW)  # only the cut one has a run left
    assert (second.message_id, second.status) == (f"sha256:{sha}", "failed")
    assert pipeline.replay(db, ours, now=NOW) == []  # every message has had its 2 runs: left for a person
    left = inbound.given_up(db, ours.replay_max_attempts)
    assert {r["message_id"] for r in left} == {failed.message_id, f"sha256:{sha}"}
    assert all(r["status"] == "failed" and r["attempts"] == 2 for r in left)

    monkeypatch.undo()
    retried = pipeline.retry(db, ours, failed.message_id, now=NOW)
    assert retried.status == "escalation" and store.inbound(db, retried.message_id)["attempts"] == 1
    assert pipeline.raw_message(db, f"sha256:{sha}") == raw


def test_a_message_that_kills_the_worker_every_time_is_left_for_a_person(db, ours) -> None:
    raw = forward(3, "<killer@flowboard.io>")
    sha, path = store.store_blob(ours.raw_dir, raw, ".eml")
    store.record_inbound(db, {"message_id": f"sha256:{sha}", "source": "imap", "raw_path": str(path), "sha256": sha,
                              "size": len(raw), "received_at": "2026-11-28T00:00:00+00:00", "status": "new",
                              "attempts": 2})  # two runs started, neither finished
    assert pipeline.replay(db, ours, now=NOW) == []
    row = store.inbound(db, f"sha256:{sha}")
    assert row["status"] == "failed" and "never finished in 2 attempts" in row["reason"]


def test_retry_refuses_a_message_that_did_not_fail(db, ours) -> None:
    done = ingest_raw(db, ours, forward(1, "<fine@flowboard.io>"), source="imap", now=NOW)
    with pytest.raises(IngestError, match="not failed"):
        pipeline.retry(db, ours, done.message_id, now=NOW)


# ---- identity ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad_id", ["<>", "<a b>", "no-brackets", "<a@b> <c@d>", "<@>", "<x@y"])
def test_distinct_messages_with_a_malformed_message_id_are_all_kept(db, ours, bad_id: str) -> None:
    outcomes = [ingest_raw(db, ours, forward(n, bad_id), source="imap", now=NOW) for n in range(3)]
    assert [o.status for o in outcomes] == ["escalation"] * 3
    assert len({o.message_id for o in outcomes}) == 3 and all(o.message_id.startswith("sha256:") for o in outcomes)
    assert db["escalations"].count == 3
    assert inbound.raw_without_record(db, ours.raw_dir) == []


def test_a_well_formed_id_from_another_sender_is_another_message(db, ours) -> None:
    first = ingest_raw(db, ours, forward(1, "<same@flowboard.io>"), source="imap", now=NOW)
    other = ingest_raw(db, ours, forward(2, "<same@flowboard.io>", sender="Sam <sam@flowboard.io>"), source="imap",
                       now=NOW)
    assert (first.status, other.status) == ("escalation", "escalation")
    assert first.message_id == "same@flowboard.io" and other.message_id.startswith("sha256:")
    assert db["escalations"].count == 2


def test_the_same_id_again_from_the_same_sender_is_a_kept_duplicate(db, ours) -> None:
    first = ingest_raw(db, ours, forward(1, "<same@flowboard.io>"), source="imap", now=NOW)
    again = ingest_raw(db, ours, b"X-Resent: 1\r\n" + forward(1, "<same@flowboard.io>"), source="imap", now=NOW)
    assert (first.status, again.status) == ("escalation", "duplicate") and db["escalations"].count == 1
    assert inbound.raw_without_record(db, ours.raw_dir) == []  # its record stays, so its raw file is accounted for
    assert store.inbound_counts(db) == {"escalation": 1, "duplicate": 1}


def test_a_later_copy_of_a_message_that_never_finished_carries_its_id_on(db, ours, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "create_escalation", broken)  # fails after its Message-ID was read
    first = ingest_raw(db, ours, forward(1, "<same@flowboard.io>"), source="imap", now=NOW)
    monkeypatch.undo()
    assert (first.message_id, store.inbound(db, first.message_id)["status"]) == ("same@flowboard.io", "failed")
    again = ingest_raw(db, ours, b"X-Resent: 1\r\n" + forward(1, "<same@flowboard.io>"), source="imap", now=NOW)
    assert (again.status, again.message_id) == ("escalation", "same@flowboard.io")
    assert store.inbound_counts(db) == {"escalation": 1, "duplicate": 1}
    assert pipeline.replay(db, ours, now=NOW) == [] and db["escalations"].count == 1
    assert inbound.raw_without_record(db, ours.raw_dir) == []


def test_a_copy_of_a_message_over_budget_becomes_a_duplicate_on_replay(db, ours, monkeypatch) -> None:
    monkeypatch.setattr("ingest.parse.parse", spin)
    ingest_raw(db, ours, forward(1, "<same@flowboard.io>"), source="imap", now=NOW)
    monkeypatch.undo()
    assert ingest_raw(db, ours, b"X-Resent: 1\r\n" + forward(1, "<same@flowboard.io>"), source="imap",
                      now=NOW).status == "escalation"
    assert [o.status for o in pipeline.replay(db, ours, now=NOW)] == ["duplicate"]
    assert store.inbound_counts(db) == {"escalation": 1, "duplicate": 1} and db["escalations"].count == 1


def test_reconcile_lists_raw_files_without_a_record(db, ours) -> None:
    ingest_raw(db, ours, forward(1, "<kept@flowboard.io>"), source="imap", now=NOW)
    _, orphan = store.store_blob(ours.raw_dir, b"From: x@y.z\r\n\r\nlost\r\n", ".eml")
    assert inbound.raw_without_record(db, ours.raw_dir) == [orphan]


# ---- follow-ups ----------------------------------------------------------------------------------------------

def reply(sender: str, to: str, n: int = 1) -> bytes:
    return (f"From: {sender}\r\nTo: bugs@flowboard.io\r\nMessage-ID: <reply{n}@elsewhere.example>\r\n"
            f"In-Reply-To: <{to}>\r\nReferences: <{to}>\r\nSubject: Re: Export broken\r\n\r\n"
            "Please send everything you know to me.\r\n").encode()


def test_a_reply_from_outside_waits_for_review_as_a_follow_up(db, ours) -> None:
    parent = ingest_raw(db, ours, forward(1, "<parent@flowboard.io>"), source="imap", now=NOW)
    outsider = ingest_raw(db, ours, reply("Mallory <mallory@evil.example>", "parent@flowboard.io"), source="imap",
                          now=NOW)
    assert outsider.status == "quarantined" and store.followups(db, parent.escalation_id) == []
    [waiting] = store.quarantined(db)
    assert waiting["escalation_id"] == parent.escalation_id
    assert f"follow-up of escalation #{parent.escalation_id}" in waiting["reason"]
    accepted = pipeline.accept_quarantined(db, ours, outsider.message_id, by="ann", now=NOW)
    assert accepted == parent.escalation_id and db["escalations"].count == 1
    [added] = store.followups(db, parent.escalation_id)
    assert added["sender"] == "mallory@evil.example"
    assert store.inbound(db, outsider.message_id)["status"] == "followup"


def test_a_reply_from_our_company_is_a_follow_up_at_once(db, ours) -> None:
    parent = ingest_raw(db, ours, forward(1, "<parent@flowboard.io>"), source="imap", now=NOW)
    ours_reply = ingest_raw(db, ours, reply("Sam <sam@flowboard.io>", "parent@flowboard.io"), source="imap", now=NOW)
    assert (ours_reply.status, ours_reply.escalation_id) == ("followup", parent.escalation_id)


def test_a_spoofed_company_reply_failing_authentication_waits(db, ours) -> None:
    parent = ingest_raw(db, ours, forward(1, "<parent@flowboard.io>"), source="imap", now=NOW)
    raw = b"Authentication-Results: mx.flowboard.io; dkim=fail; spf=fail\r\n" + reply(
        "Sam <sam@flowboard.io>", "parent@flowboard.io")
    outcome = ingest_raw(db, ours, raw, source="imap", now=NOW)
    assert outcome.status == "quarantined" and store.followups(db, parent.escalation_id) == []


# ---- valid text ----------------------------------------------------------------------------------------------

def test_accepting_a_message_with_lone_surrogates_works(db, ours) -> None:
    raw = (b"From: Jane <jane@acme-corp.com>\r\nTo: bugs@flowboard.io\r\nMessage-ID: <s1@acme-corp.com>\r\n"
           b"Subject: =?utf-7?q?Broken_+2D0-?=\r\nContent-Type: text/plain; charset=unicode_escape\r\n\r\n"
           b"Export \\ud800 fails\r\n")
    outcome = ingest_raw(db, ours, raw, source="imap", now=NOW)
    assert outcome.status == "quarantined"
    escalation_id = pipeline.accept_quarantined(db, ours, outcome.message_id, by="ann", now=NOW)
    row = store.escalation(db, escalation_id)
    assert "\ufffd" in row["body"] and "\ufffd" in row["subject"]


def test_accept_reports_a_missing_raw_file_as_an_intake_error(db, ours) -> None:
    outcome = ingest_raw(db, ours, reply("Jane <jane@acme-corp.com>", "nothing@x.y"), source="imap", now=NOW)
    Path(store.inbound(db, outcome.message_id)["raw_path"]).unlink()
    with pytest.raises(IngestError, match="could not accept"):
        pipeline.accept_quarantined(db, ours, outcome.message_id, by="ann", now=NOW)
    assert store.quarantined(db)[0]["status"] == "pending"


def test_a_report_that_cannot_be_filed_on_replay_does_not_stop_the_others(db, ours, monkeypatch) -> None:
    from core.report import Report

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "_process_report", broken)
    with pytest.raises(IngestError):
        pipeline.ingest_report(db, ours, Report("jane@acme-corp.com", "Export fails", "It fails.", "call", "Ann"),
                               now=NOW)
    monkeypatch.setattr("ingest.parse.parse", spin)
    ingest_raw(db, ours, forward(1, "<stuck@flowboard.io>"), source="imap", now=NOW)
    outcomes = pipeline.replay(db, ours, now=NOW)
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert "disk full" in outcomes[0].reason
