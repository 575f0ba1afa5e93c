"""Issue 17: a message over the time budget never holds up the inbox: recorded as failed, the cursor moves past it."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from core.store import intake as store
from ingest.imap import ImapWorker, load_state
from tests.integration.test_imap_worker import message

pytestmark = pytest.mark.dovecot


def test_the_cursor_moves_past_a_message_over_the_budget(dovecot, mail_user, imap_settings, db, monkeypatch):
    from ingest import parse as parse_module

    real = parse_module.parse

    def stuck_on_marker(raw: bytes, *args, **kwargs):
        while b"STUCK" in raw:  # a parser that never returns on this one message
            try:
                time.sleep(0.01)
            except Exception:  # noqa: S110 - the budget must get through code that swallows errors
                pass
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(parse_module, "parse", stuck_on_marker)
    for n in (1, 2, 3):
        dovecot.append(mail_user, message(n, body="STUCK" if n == 2 else ""))
    settings = replace(imap_settings, parse_budget_seconds=0.5)

    started = time.monotonic()
    first = ImapWorker(settings, db).run_once()
    assert time.monotonic() - started < 30
    assert (first.fetched, first.last_uid, first.statuses["failed"]) == (3, 3, 1)
    assert load_state(db, "INBOX").last_uid == 3
    [failed] = [r for r in db["inbound_messages"].rows if r["status"] == "failed"]
    assert "time budget" in failed["reason"] and b"STUCK" in open(failed["raw_path"], "rb").read()
    assert {r["status"] for r in db["inbound_messages"].rows} == {"failed", "quarantined"}

    again = ImapWorker(settings, db).run_once()  # the next pass (or a restart) starts after it
    assert (again.fetched, again.last_uid) == (0, 3)
    assert store.inbound_counts(db) == {"failed": 1, "quarantined": 2}
