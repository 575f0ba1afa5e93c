"""Issue 17: the line readers are linear in their input and read normal text exactly as the patterns they replace.

Each replaced pattern is kept here as the reference; Hypothesis compares both on short lines (where the old
pattern is still fast) built from the characters that matter to them.
"""

from __future__ import annotations

import re
import time

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ingest import forward, mailtext

OLD_LABEL_LINE = re.compile(r"^\s*\*{0,2}(?P<label>[^:：*\t]{1,24}?)\s*\*{0,2}\s*[:：]\s*\*{0,2}\s*(?P<value>.*)$")
OLD_DASHED = re.compile(r"^\s*[-=]{2,}\s*(?P<phrase>[^-=].*?)\s*[-=]{2,}\s*(?P<rest>.*)$")
OLD_SEPARATOR = re.compile(r"^\s*[-=]{2,}\s*(?P<phrase>[^-=].*?)\s*[-=]{2,}\s*$")
OLD_INTRO = re.compile(r"^\s*(?P<phrase>[^:@\d]{4,70}?)\s*:\s*$")
OLD_EMAIL = re.compile(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+")


def old_html_tail(text: str) -> str:
    text = re.sub(r"(?m)^(\s*)\\([-+*#.>])", r"\1\2", text)
    return re.sub(r"(?m)^\s*\* \* \*\s*$", "_" * 32, text)


def new_html_tail(text: str) -> str:
    text = re.sub(r"(?m)^([^\S\n]*+)\\([-+*#.>])", r"\1\2", text)
    return mailtext._rules(text)


def old_split_signature(text: str) -> tuple[str, str | None]:
    lines = text.split("\n")
    cut = None
    for i, line in enumerate(lines):
        rest = [x for x in lines[i + 1:] if x.strip()]
        if line in ("-- ", "--") and len(rest) <= 12:
            cut = i
            break
        if mailtext.MOBILE.match(line.strip()) and len(rest) <= 2:
            cut = i
            break
        if mailtext.SIGN_OFF.match(line.strip()) and len(rest) <= 6 and all(len(x) <= 60 for x in rest):
            cut = i
            break
    if cut is None:
        return text, None
    body = mailtext.clean_block(lines[:cut])
    if not body.strip():
        return text, None
    return body, mailtext.clean_block(lines[cut:]) or None


LINE_CHARS = st.sampled_from(list(" \t\xa0*:：-=@1aFromTo>") + ["From", "Subject", "Fwd", "forwarded", "Date"])
line = st.lists(LINE_CHARS, max_size=30).map("".join)


@settings(max_examples=1000, deadline=None)
@given(line)
@example("   : value")
@example("** :")
@example("**\tFrom: x")
@example("From* *: x")
def test_label_lines_read_as_before(text: str) -> None:
    old = OLD_LABEL_LINE.match(text)
    new = forward.label_line(text)
    assert (old is None) == (new is None)
    if old:
        assert forward.label_field(old.group("label")) == forward.label_field(new[0])
        assert old.group("value") == new[1]
        assert old.group("label").strip() == new[0].strip()


@settings(max_examples=1000, deadline=None)
@given(line)
@example("-- -- --")
@example("-- Forwarded -- message --")
def test_separator_lines_read_as_before(text: str) -> None:
    old = OLD_SEPARATOR.match(text)
    new = forward.separator_phrase(text)
    assert (old is None) == (new is None)
    if old:  # only FORWARD_WORDS reads the phrase
        assert bool(forward.FORWARD_WORDS.search(old.group("phrase"))) == bool(forward.FORWARD_WORDS.search(new))
        assert new.strip(" \t\xa0-=") == old.group("phrase").strip(" \t\xa0-=")


@settings(max_examples=1000, deadline=None)
@given(line)
@example("-- -- From: a")
@example("--- Fwd - x -- From: a@b.co To: c")
def test_dashed_lines_read_as_before(text: str) -> None:
    old = OLD_DASHED.match(text)
    new = forward.DASHED.match(text)
    old_used = old and old.group("rest") and forward.FORWARD_WORDS.search(old.group("phrase"))
    new_used = new and new.group("rest") and forward.FORWARD_WORDS.search(new.group("phrase"))
    assert bool(old_used) == bool(new_used)
    if old_used:
        assert (old.group("phrase"), old.group("rest")) == (new.group("phrase"), new.group("rest"))


@settings(max_examples=800, deadline=None)
@given(line)
@example("    :")
@example("Begin forwarded message:")
def test_intro_lines_read_as_before(text: str) -> None:
    assert bool(OLD_INTRO.match(text)) == forward.intro_line(text)


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(list("ab.+-@ <>") + ["x.co", "@b.co"]), max_size=25).map("".join))
def test_addresses_are_found_as_before(text: str) -> None:
    old, new = OLD_EMAIL.search(text), mailtext.EMAIL_RE.search(text)
    assert (old and old.group(0)) == (new and new.group(0))


html_tail = st.lists(st.sampled_from(["\n", " ", "\xa0", "* * *", "\\-", "\\*", "x", "\t", "\u3000"]),
                     max_size=25).map("".join)


@settings(max_examples=1000, deadline=None)
@given(html_tail)
@example("* * *\n\n* * *")
@example("x\n\n  * * *  \n \n\nmore")
def test_html_rules_and_escapes_render_as_before(text: str) -> None:
    assert new_html_tail(text) == old_html_tail(text)


signature_lines = st.lists(st.sampled_from(["", "  ", "-- ", "Best,", "Thanks", "Sent from my iPhone", "Jane",
                                            "a" * 70, "text", "Regards"]), max_size=30).map("\n".join)


@settings(max_examples=800, deadline=None)
@given(signature_lines)
def test_signatures_split_as_before(text: str) -> None:
    assert mailtext.split_signature(text) == old_split_signature(text)


def _seconds(fn, *args) -> float:
    started = time.monotonic()
    fn(*args)
    return time.monotonic() - started


def test_hostile_lines_take_no_time() -> None:
    # Issue 17: an 800-space line took minutes in the label pattern; a 40,000-line paste 30 s in split_signature.
    hostile = [" " * 100_000 + "x", "\xa0" * 100_000 + ":", "-- " + " " * 100_000 + "x", "a" * 100_000,
               "<mailto:" * 20_000, "x on behalf" + " " * 100_000]
    for text in hostile:
        assert _seconds(forward.find_block, [text, text]) < 2
        assert _seconds(mailtext.parse_address_list, text) < 2
    assert _seconds(mailtext.split_signature, "log line\n" * 200_000) < 5
    assert _seconds(mailtext.html_to_text, "<br>" * 50_000 + "<hr>" + "<p>&nbsp;</p>" * 20_000) < 10
    assert _seconds(forward.strip_subject, "Re: " * 50_000 + "x" + " " * 50_000) < 2


def test_hostile_headers_take_no_time() -> None:
    from ingest.parse import parse

    headers = [b"Subject: " + b"=?a?q?" * 10_000, b"Authentication-Results: mx; dkim=pass " + b"header.i=" * 7000,
               b"From: " + b"a" * 64_000, b"From: " + b"<a@b" * 16_000, b"To: " + b"<mailto:" * 8000,
               b"Date: " + b"Mon " * 16_000, b"Message-ID: <" + b"a" * 64_000, b"References: " + b"<a@b> " * 10_000,
               b"Subject: " + b"Re: " * 16_000]
    for header in headers:
        raw = b"From: x@y.co\r\n" + header + b"\r\n\r\nbody\r\n"
        assert _seconds(parse, raw) < 3, header[:20]


def test_issue_18_readers_take_no_time() -> None:
    # Issue 18's scans (wrapped header lines, fillers inside a block, format=flowed, mailto names, quoted gaps,
    # bottom-posting) stay linear on hostile text.
    block = ["From: Name"] + ["<a@b.co>" * 500] * 5000 + ["Date: x", ""] + ["Sensitivity: x", "", "To: y"] * 5000
    assert _seconds(forward.find_block, block) < 3
    fillers = ["From: a <a@b.co>"] + ["", "X-Unknown: y"] * 50_000
    assert _seconds(forward.find_block, fillers) < 3
    assert _seconds(mailtext.unflow, "word " * 200_000) < 2
    assert _seconds(mailtext.unflow, ">" * 100_000 + " \n" * 100_000) < 2
    assert _seconds(mailtext.mailto_names, '<a href="mailto:a@b.co">' * 50_000) < 2
    assert _seconds(mailtext.mailto_names, '<a href="mailto:' * 50_000) < 2
    assert _seconds(mailtext.mailto_names, "<a mailto:x>" + "y" * 200_000 + "</a>" * 50_000) < 2
    assert _seconds(mailtext.html_to_text, "<blockquote>" + "<div><br></div>" * 20_000 + "</blockquote>") < 10
    assert _seconds(forward.split_own, "On Mon, 4 Mar 2024, a <a@b.co> wrote:\n" + "> q\n" * 100_000 + "below") < 3
