"""Customer text made inert for Markdown."""

from __future__ import annotations

import re

import pytest

from core.markup import escape_markdown, strip_zero_width

HOSTILE = [
    "@everyone see [click](https://evil.test) ![x](https://evil.test/p.png) <img src=x onerror=alert(1)> "
    "www.evil.test jo@evil.test",
    "<script>alert(1)</script>", "[link](javascript:alert(1))", "**bold** _x_ # h | t ~ `c` > q",
    ":red[alarm] :material/warning: $x^2$", "&lt;b&gt;", "jo@evil.test http://a.test www.b.test",
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_every_special_is_escaped(raw: str) -> None:
    out = escape_markdown(raw)
    assert re.search(r"(?<!\\)[\[\]()<>*_`#|~!:&$]", out) is None


@pytest.mark.parametrize("raw", HOSTILE)
def test_mentions_and_links_are_broken(raw: str) -> None:
    out = escape_markdown(raw)
    assert re.search("@[^\u200b]", out) is None  # no mention or e-mail autolink
    assert "://" not in out and "www\\." not in out.replace("www\u200b\\.", "")


@pytest.mark.parametrize("raw", HOSTILE)
def test_the_reader_sees_the_original_text(raw: str) -> None:
    assert re.sub(r"\\(.)", r"\1", strip_zero_width(escape_markdown(raw))) == raw


def test_newlines_are_flattened() -> None:
    assert escape_markdown("a\n\n# b") == "a \\# b"
    assert escape_markdown(None) == ""
