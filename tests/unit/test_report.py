"""Reports entered by a person: validation, a stable identity, and the message they are kept as."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from core.errors import ValidationError
from core.report import Report, to_message, validate
from ingest.parse import Address, parse

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
GOOD = Report("  Jane@Customer.com ", " Export  fails ", "\nIt fails with error 500.\n", "Slack", " Maria  Lopez ",
              customer_name="Roe, Jane", link="https://ourco.slack.com/archives/C1/p17")


def test_validate_tidies_the_fields() -> None:
    r = validate(GOOD)
    assert (r.customer_email, r.subject, r.body, r.source, r.reported_by) == (
        "jane@customer.com", "Export fails", "It fails with error 500.", "slack", "Maria Lopez")


@pytest.mark.parametrize(("change", "message"), [
    ({"customer_email": "jane"}, "is not an email address"),
    ({"reporter_email": "maria@"}, "Your email"),
    ({"subject": "  "}, "Give the report a subject"),
    ({"subject": "x" * 201}, "keep it under 200"),
    ({"body": "\n"}, "Write down what the customer said"),
    ({"source": "pigeon"}, "Unknown source 'pigeon'"),
    ({"reported_by": ""}, "Say who is reporting it"),
    ({"link": "javascript:alert(1)"}, "must be one URL"),
    ({"link": "https://a.test/x\nBcc: evil@x.test"}, "must be one URL"),
])
def test_bad_fields_are_named(change: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate(replace(GOOD, **change))


def test_the_same_report_has_the_same_message_id() -> None:
    first, again = validate(GOOD), validate(replace(GOOD, reported_by="Someone Else", link=""))
    assert first.message_id == again.message_id  # who passes it on does not make it a new report
    assert first.message_id != validate(replace(GOOD, body="Another problem.")).message_id


def test_the_message_reads_back_as_the_customers_own() -> None:
    r = validate(replace(GOOD, customer_name='Müller, "Jü" Jürgen', subject="Export – fails"))
    parsed = parse(to_message(r, NOW), ("ourco.com",))
    assert parsed.sender == Address('Müller, "Jü" Jürgen', "jane@customer.com")
    assert (parsed.subject, parsed.body, parsed.message_id) == ("Export – fails", "It fails with error 500.",
                                                                 r.message_id)
    assert parsed.date == "2026-03-02T09:30:00+00:00"


def test_the_note_says_where_it_came_from() -> None:
    assert validate(GOOD).note == "Reported from Slack by Maria Lopez.\nhttps://ourco.slack.com/archives/C1/p17"
    assert validate(replace(GOOD, source="call", link="")).note == "Reported from a call by Maria Lopez."
