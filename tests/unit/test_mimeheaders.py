"""The intake policy's header objects (ingest/mimeheaders.py): made only when needed, never read differently."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.mimeheaders import POLICY, PlainMimeHeader, plain_shape

NAMES = ("Content-Type", "Content-Disposition", "Content-Transfer-Encoding")


def _read(name: str, value: str, with_policy) -> list[str]:
    """What intake and the stdlib parser ask of a MIME header, as text (an exception by its name)."""
    msg = EmailMessage(policy=with_policy)
    msg._headers.append((name, value))  # as the parser stores a header it read
    asks = (msg.get_content_type, msg.get_content_maintype, msg.get_content_disposition, msg.get_filename,
            msg.get_boundary, msg.get_content_charset, msg.is_multipart,
            lambda: msg.get_params(), lambda: msg.get_params(header="content-disposition"),
            lambda: [msg.get_param(p) for p in ("charset", "boundary", "name", "format", "delsp", "report-type")],
            lambda: msg.get_param("filename", header="content-disposition"),
            lambda: str(msg.get("content-transfer-encoding", "")).lower())
    out = []
    for ask in asks:
        try:
            out.append(repr(ask()))
        except Exception as exc:
            out.append(type(exc).__name__)
    return out


TOKEN = st.text(alphabet="abcXYZ09-._+!#$%&'^`{|}~*", min_size=1, max_size=6)
QUOTED = st.text(alphabet=' !#[]~abc;=,:/()<>@?-.*\'%', max_size=8).map(lambda s: f'"{s}"')
BLANK = st.sampled_from(["", " ", "  ", "\t", " \t"])
PARAM_NAME = st.sampled_from(["charset", "boundary", "name", "filename", "format", "delsp", "report-type",
                              "size", "Charset", "NAME", "filename*", "name*0"]) | TOKEN
PARAM = st.tuples(BLANK, BLANK, PARAM_NAME, TOKEN | QUOTED).map(lambda t: f"{t[0]};{t[1]}{t[2]}={t[3]}")
MAIN = st.sampled_from(["text/plain", "multipart/mixed", "TEXT/HTML", "attachment", "inline", "base64", "7bit",
                        "text", "message/rfc822", "a/b/c"]) | TOKEN | st.tuples(TOKEN, TOKEN).map("/".join)
VALUE = st.tuples(MAIN, st.lists(PARAM, max_size=4), BLANK).map(lambda t: t[0] + "".join(t[1]) + t[2])


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(NAMES), VALUE)
def test_a_plain_header_reads_as_the_default_policys_object_does(name: str, value: str) -> None:
    assert _read(name, value, POLICY) == _read(name, value, policy.default)


def test_only_the_plain_shape_is_handed_back_as_text() -> None:
    assert plain_shape('multipart/mixed; boundary="==_b 1"; charset=utf-8')
    for value in ('text/plain; charset="=?utf-8?q?x?="', "text/plain; name*=utf-8''%E2%82%AC",
                  "text/plain (comment)", 'text/plain; name="a\\"b"', "text/plain; charset=a; Charset=b",
                  "text/plain; charset=", "text/plain; charset=\"\"", "text/plain; name=\"é\"", "x" * 1001):
        assert not plain_shape(value), value


def test_a_plain_header_builds_the_real_object_when_more_is_asked() -> None:
    header = POLICY.header_fetch_parse("Content-Type", "text/plain;\r\n charset=utf-8")
    assert isinstance(header, PlainMimeHeader) and str(header) == "text/plain; charset=utf-8"
    assert (header.content_type, dict(header.params)) == ("text/plain", {"charset": "utf-8"})


def test_other_header_objects_are_made_once_and_stay_what_the_default_policy_makes() -> None:
    # Issue 16: every get_content_type() parsed the header again.
    for name, value in (("Content-Type", 'text/plain; charset="utf-8" (comment)'), ("Subject", "=?utf-8?q?x?=")):
        first = POLICY.header_fetch_parse(name, value)
        assert POLICY.header_fetch_parse(name, value) is first
        plain = policy.default.header_fetch_parse(name, value)
        assert (type(first).__name__, str(first), first.defects) == (type(plain).__name__, str(plain), plain.defects)
    long_value = "text/plain; name=" + "x" * 5000
    assert POLICY.header_fetch_parse("Content-Type", long_value) is not \
        POLICY.header_fetch_parse("Content-Type", long_value)
    assert POLICY.header_max_count("Message-ID") == 1
