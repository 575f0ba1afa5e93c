"""The email policy intake parses with: the default policy, with its header objects made only when needed.

Every ``get_content_type``, ``get_param``, ``get_filename`` or ``get_boundary`` asks the policy for the header
again, and the default policy parses it into a header object each time, with a full RFC 5322 parser. Those methods
read only the object's text, so:

* a MIME header of the plain shape nearly all mail uses (``type/subtype; name=token; name="text"``, no comments,
  encoded words, RFC 2231 names or repeated names) is handed back as its own text; only reading anything more
  (``.params``, ``.defects``) builds the real object. The default policy's object writes some values with quotes
  (``charset="utf-8"``), which those methods take off again: what they return is the same, checked by a property
  test over that shape;
* any other header object is remembered by name and value, since the same few come back in every part of every
  message. Long values are parsed each time, so hostile input cannot fill the cache.
"""

from __future__ import annotations

import functools
import re
from email import policy
from email.policy import EmailPolicy

LONGEST = 1000
MIME_HEADERS = frozenset(("content-type", "content-disposition", "content-transfer-encoding"))
_TOKEN = r"[!#$&+.0-9A-Z^_`a-z{|}~-]+"  # RFC 2045 token without ', % and *, which RFC 2231 gives meanings
_NAME = r"[A-Za-z0-9._-]+"
_QUOTED = r'"[ !#-\[\]-~]+"'  # printable ASCII, no quote or backslash inside
# Each alternative starts with its own character: linear on any input.
_PLAIN = re.compile(rf"{_TOKEN}(?:/{_TOKEN})?(?:[ \t]*;[ \t]*{_NAME}=(?:{_TOKEN}|{_QUOTED}))*[ \t]*")
_PARAM_NAME = re.compile(rf";[ \t]*({_NAME})=")


def plain_shape(value: str) -> bool:
    """Is ``value`` (unfolded) a MIME header value of the plain shape described above?"""
    if len(value) > LONGEST or "=?" in value or _PLAIN.fullmatch(value) is None:
        return False
    names = [n.lower() for n in _PARAM_NAME.findall(value)]
    return len(names) == len(set(names))


class PlainMimeHeader(str):
    """A MIME header's text; the default policy's header object is made the first time more is asked of it."""

    def __new__(cls, name: str, value: str) -> PlainMimeHeader:
        header = super().__new__(cls, value)
        header._name = name
        return header

    def __getattr__(self, attr: str):
        if attr.startswith("_"):
            raise AttributeError(attr)
        return getattr(_header(self._name, str(self)), attr)


@functools.lru_cache(maxsize=4096)
def _header(name: str, value: str):
    return policy.default.header_fetch_parse(name, value)


class IntakePolicy(EmailPolicy):
    """``policy.default``, with header objects made only when needed (see the module's docstring)."""

    def header_fetch_parse(self, name, value):
        if not isinstance(value, str) or len(value) > LONGEST:
            return policy.default.header_fetch_parse(name, value)
        if name.lower() in MIME_HEADERS:
            unfolded = value.replace("\r", "").replace("\n", "")  # what the default policy does first
            if plain_shape(unfolded):
                return PlainMimeHeader(name, unfolded)
        return _header(name, value)


POLICY = IntakePolicy()
