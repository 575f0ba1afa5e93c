"""Fitting text into HubSpot's property limit: only the customer's part is cut, the reference kept (issue 14)."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.longtext import PROPERTY_LIMIT, fit_html, fit_plain, prefix_within, units


def test_text_within_the_limit_is_left_alone() -> None:
    fitted = fit_plain("From: a\n\n", "hello", "\n\nRotadesk ref: abc", where="x")
    assert fitted.text == "From: a\n\nhello\n\nRotadesk ref: abc" and not fitted.cut


def test_a_long_body_is_cut_with_a_marker_and_keeps_its_reference() -> None:
    body = "word " * 40_000  # 200,000 characters
    fitted = fit_plain("From: a\n\n", body, "\n\nRotadesk ref: abc", where="The full message is attached as m.txt.")
    assert fitted.cut and units(fitted.text) <= PROPERTY_LIMIT
    assert fitted.text.startswith("From: a\n\nword word") and fitted.text.endswith("\n\nRotadesk ref: abc")
    assert "of 200,000 characters shown. The full message is attached as m.txt.]" in fitted.text
    assert units(fitted.text) > PROPERTY_LIMIT - 200  # cut near the limit, not far below it


def test_characters_outside_the_bmp_count_twice() -> None:
    body = "😀" * 40_000  # 40,000 code points, 80,000 UTF-16 units
    assert len(body) < PROPERTY_LIMIT < units(body)
    fitted = fit_plain("", body, "", where="x")
    assert fitted.cut and units(fitted.text) <= PROPERTY_LIMIT


def test_html_is_measured_after_escaping() -> None:
    body = "<&>\n" * 15_000  # 60,000 characters, about 180,000 once escaped
    fitted = fit_html("<p>head</p><blockquote>", body, "</blockquote><p>Rotadesk ref: r</p>", where="See <file>.")
    assert fitted.cut and units(fitted.text) <= PROPERTY_LIMIT
    assert "<&" not in fitted.text and "&lt;&amp;&gt;<br>" in fitted.text and "See &lt;file&gt;." in fitted.text
    assert fitted.text.endswith("</blockquote><p>Rotadesk ref: r</p>")
    assert not fitted.text.split("<blockquote>", 1)[1].startswith("&lt;&amp;&gt;<br>" * 20_000)


def test_a_newline_can_stay_a_newline() -> None:
    fitted = fit_html("", "a\nb", "", where="x", newline="\n")
    assert fitted.text == "a\nb"


@given(st.text(max_size=300), st.integers(min_value=0, max_value=400))
def test_prefix_within_is_the_longest_that_fits(text: str, budget: int) -> None:
    prefix = prefix_within(text, budget, units)
    assert text.startswith(prefix) and units(prefix) <= budget
    if prefix != text:
        assert units(text[: len(prefix) + 1]) > budget


@pytest.mark.parametrize("limit", [200, 1_000])
@given(body=st.text(min_size=0, max_size=3_000))
def test_any_body_fits_any_limit_with_its_tail(limit: int, body: str) -> None:
    fitted = fit_html("<p>h</p>", body, "<p>Rotadesk ref: r</p>", where="w", limit=limit)
    assert units(fitted.text) <= limit and fitted.text.endswith("<p>Rotadesk ref: r</p>")
    whole = "<p>h</p>" + html.escape(body).replace("\n", "<br>") + "<p>Rotadesk ref: r</p>"
    assert fitted.cut == (units(whole) > limit)
