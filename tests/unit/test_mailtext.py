"""Dates as mail clients write them in forwarded header blocks."""

from __future__ import annotations

import pytest

from ingest.mailtext import parse_date


@pytest.mark.parametrize(("written", "iso"), [
    ("Wed, 4 Mar 2026 16:02:11 +0900", "2026-03-04T16:02:11+09:00"),
    ("4 March 2026 at 16:02:11 GMT+9", "2026-03-04T16:02:11+09:00"),  # Apple Mail
    ("Mar 4, 2026, at 4:02 PM GMT+1", "2026-03-04T16:02:00+01:00"),
    ("4. März 2026 um 16:02 GMT-4:30", "2026-03-04T16:02:00-04:30"),
    ("Wed, Mar 4, 2026 at 4:02\u202fPM", "2026-03-04T16:02:00"),  # Gmail: no zone given
    ("mercredi 4 mars 2026 15:30", "2026-03-04T15:30:00"),
    ("2026年3月4日 16:02", "2026-03-04T16:02:00"),
])
def test_client_dates(written: str, iso: str) -> None:
    assert parse_date(written) == iso


@pytest.mark.parametrize("written", ["", "   ", "soon", None])
def test_no_date(written: str | None) -> None:
    assert parse_date(written) is None


@pytest.mark.parametrize("written", ["2026/03/04 16:02", "2026-03-04 16:02", "2026年3月4日(水) 16:02"])
def test_year_first_dates_are_year_month_day(written: str) -> None:
    assert parse_date(written) == "2026-03-04T16:02:00"
