"""Dates as mail clients write them in forwarded header blocks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import mailtext
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


WEEKDAYS = ("Mon", "Tue", "Thurs", "Sun", "Monday", "Wednesday", "mon", "Mar", "Lun", "Mo")  # the last: not English
MONTHS = ("Jan", "January", "Sep", "Sept", "September", "Dec", "mar", "MARCH", "Mai", "Okt", "Janu")


@st.composite
def _english_client_dates(draw) -> str:
    weekday = draw(st.sampled_from(("", *(w + sep for w in WEEKDAYS for sep in (", ", " ")))))
    day, month, year = draw(st.integers(0, 32)), draw(st.sampled_from(MONTHS)), draw(st.integers(1968, 2102))
    space = draw(st.sampled_from((" ", "  ")))
    date = f"{day}{space}{month}{space}{year}" if draw(st.booleans()) else f"{month}{space}{day},{space}{year}"
    clock = f"{draw(st.integers(0, 25))}:{draw(st.integers(0, 61)):02d}{draw(st.sampled_from(('', ':07', ':61')))}"
    half = draw(st.sampled_from(("", " AM", " pm", "\u202fPM", "am")))
    return f"{weekday}{date}{draw(st.sampled_from((' ', ' at ', ', ')))}{clock}{half}"


@settings(max_examples=1500, deadline=None)
@given(_english_client_dates())
def test_english_client_dates_read_without_the_general_parser_read_as_it_reads_them(written: str) -> None:
    fast = mailtext._client_date(written)
    assert fast is None or fast == mailtext._localised_date(written)


@pytest.mark.parametrize(("written", "iso"), [
    ("Mon, 2 Mar 2026 at 08:05", "2026-03-02T08:05:00"),
    ("Monday, March 2, 2026 12:05 AM", "2026-03-02T00:05:00"),
    ("Wed, Mar 4, 2026 at 12:02\u202fPM", "2026-03-04T12:02:00"),
])
def test_english_client_dates_take_the_short_way(written: str, iso: str) -> None:
    assert mailtext._client_date(written) == iso == parse_date(written)
