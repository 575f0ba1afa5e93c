"""Customer text made inert for Markdown, wherever Rotadesk writes Markdown (Linear, handoffs, the dashboard)."""

from __future__ import annotations

import re

# Every ASCII character CommonMark, GitHub and Streamlit Markdown act on (including Streamlit's ``:color[]`` and
# ``$math$``); a backslash before ASCII punctuation always renders as the character itself.
_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~=$:&])")
_ZWSP = "\u200b"  # breaks auto-linking and mentions without changing what the reader sees


def escape_markdown(text: str | None) -> str:
    """``text`` as inert inline Markdown on one line: specials escaped, ``@`` mentions and links broken."""
    flat = " ".join((text or "").split())  # a newline would start a new block
    escaped = _SPECIALS.sub(r"\\\1", flat)
    return escaped.replace("@", "@" + _ZWSP).replace(":", ":" + _ZWSP).replace("www\\.", "www" + _ZWSP + "\\.")


def strip_zero_width(text: str) -> str:
    """``text`` without the zero-width spaces ``escape_markdown`` adds (for plain-text copies)."""
    return text.replace(_ZWSP, "")
