"""Issue 18: a message the auto-reply filter ignored by mistake is taken in through the pipeline, once; a message
waiting for review is read as text."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from core.errors import IngestError
from core.store import intake as store
from ingest import review
from ingest.pipeline import ingest_raw

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
FIRST = (b"From: Alex <alex@ourco.com>\r\nTo: bugs@ourco.com\r\nMessage-ID: <first@ourco.com>\r\n"
         b"Subject: Fwd: Export fails\r\n\r\n---------- Forwarded message ---------\r\n"
         b"From: Lena Lind <lena@shop.example>\r\nDate: Fri, 8 Mar 2024 at 09:00\r\nSubject: Export fails\r\n"
         b"To: <alex@ourco.com>\r\n\r\nThe export fails.\r\n")
# Her reply carries an Auto-Submitted header her helpdesk adds to everything: ignored, wrongly.
REPLY = (b"From: Lena Lind <lena@shop.example>\r\nTo: bugs@ourco.com\r\nMessage-ID: <reply@shop.example>\r\n"
         b"In-Reply-To: <first@ourco.com>\r\nAuto-Submitted: auto-generated\r\nSubject: Re: Export fails\r\n\r\n"
         b"It fails again, with 10 rows too.\r\n")


@pytest.fixture
def ours(settings):
    return replace(settings, company_domains=("ourco.com",))


def test_taking_in_an_ignored_reply_makes_it_the_follow_up_once(db, ours) -> None:
    first = ingest_raw(db, ours, FIRST, source="test", now=NOW)
    assert ingest_raw(db, ours, REPLY, source="test", now=NOW).status == "ignored"
    outcome = review.take_in_ignored(db, ours, "reply@shop.example", by="ana", now=NOW)
    assert (outcome.status, outcome.escalation_id) == ("followup", first.escalation_id)
    assert [f["body"] for f in store.followups(db, first.escalation_id)] == ["It fails again, with 10 rows too."]
    with pytest.raises(IngestError, match="not ignored"):
        review.take_in_ignored(db, ours, "reply@shop.example", by="ana", now=NOW)
    assert len(store.followups(db, first.escalation_id)) == 1


def test_a_quarantined_message_reads_as_text_with_its_customer_and_note(db, settings) -> None:
    outcome = ingest_raw(db, settings, FIRST.replace(b"alex@ourco.com>\r\nTo: bugs", b"alex@other.example>\r\nTo: "
                                                     b"bugs"), source="test", now=NOW)
    assert outcome.status == "quarantined"
    text = review.message_text(db, settings, outcome.message_id)
    assert "Customer: Lena Lind <lena@shop.example>" in text and text.endswith("The export fails.")
    with pytest.raises(LookupError):
        review.message_text(db, settings, "nope@x")
