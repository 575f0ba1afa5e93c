"""Fitting a customer's text into HubSpot's property limit without losing the reference a retry looks for.

HubSpot refuses a string property longer than 65,536 characters (an email's ``hs_email_text``, a note's
``hs_note_body``, a ticket's ``content``), so an email over it used to fail on every retry. Here the customer's
part is cut, a visible marker says what was cut and where the full text is, and the head and the tail (which
carries ``Rotadesk ref: ...``) are kept whole. Lengths are counted in UTF-16 code units, as HubSpot's Java side
counts them, so text full of emoji never fits by Python's count and fails by HubSpot's. All linear time.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

PROPERTY_LIMIT = 65_536  # HubSpot's limit on a string property (email text, note body, ticket content)
CUT_MARK = "[Message cut by Rotadesk: {shown:,} of {total:,} characters shown. {where}]"


def units(text: str) -> int:
    """``text``'s length in UTF-16 code units (characters outside the BMP count twice)."""
    return len(text) + sum(1 for ch in text if ch > "\uffff")


def _plain(ch: str) -> int:
    return 2 if ch > "\uffff" else 1


def escape_html(text: str, newline: str = "<br>") -> str:
    return html.escape(text).replace("\n", newline)


def prefix_within(text: str, budget: int, measure: Callable[[str], int] = _plain) -> str:
    """The longest prefix of ``text`` whose measured length is at most ``budget``."""
    used = 0
    for i, ch in enumerate(text):
        used += measure(ch)
        if used > budget:
            return text[:i]
    return text


@dataclass(frozen=True)
class Fitted:
    """A text that fits the limit; ``cut`` says whether the customer's part was shortened."""

    text: str
    cut: bool


def fit_plain(head: str, body: str, tail: str, *, where: str, limit: int = PROPERTY_LIMIT) -> Fitted:
    """``head + body + tail`` within ``limit``, cutting only ``body`` (with a marker naming ``where``)."""
    whole = head + body + tail
    if units(whole) <= limit:
        return Fitted(whole, False)
    mark = "\n\n" + CUT_MARK.format(shown=0, total=len(body), where=where)
    budget = limit - units(head) - units(tail) - units(mark) - 16  # room for the digits of ``shown``
    shown = prefix_within(body, max(0, budget))
    mark = "\n\n" + CUT_MARK.format(shown=len(shown), total=len(body), where=where)
    return Fitted(head + shown + mark + tail, True)


def fit_html(
    head: str, body: str, tail: str, *, where: str, limit: int = PROPERTY_LIMIT, newline: str = "<br>"
) -> Fitted:
    """Like :func:`fit_plain` for HTML: ``head`` and ``tail`` are HTML, ``body`` is plain text escaped here."""
    whole = head + escape_html(body, newline) + tail
    if units(whole) <= limit:
        return Fitted(whole, False)

    def measure(ch: str) -> int:  # one character's length once escaped
        return units(newline) if ch == "\n" else units(html.escape(ch))

    mark = newline * 2 + html.escape(CUT_MARK.format(shown=0, total=len(body), where=where))
    budget = limit - units(head) - units(tail) - units(mark) - 16
    shown = prefix_within(body, max(0, budget), measure)
    mark = newline * 2 + html.escape(CUT_MARK.format(shown=len(shown), total=len(body), where=where))
    return Fitted(head + escape_html(shown, newline) + mark + tail, True)
