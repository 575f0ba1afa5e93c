"""Big MIME bodies without copies: cut out of the raw bytes before parsing, decoded in chunks when needed.

The stdlib parser copies a body several times (bytes to str, a list of lines, the joined payload, then the
decoded bytes), so a 25 MB attachment costs about eight times its size; and it reads a body one line at a time,
most of its time on mail with attachments (a 100 KB PDF is 1,800 base64 lines). Instead, each big leaf body is
replaced by a one-line token, the small message that is left is parsed as usual, and every token is found again in the
parsed tree. Why that is exact: a leaf body ends only at a line matching a boundary of an enclosing multipart,
and all of those start with "--"; the cut lines hold no such line, and the token line is read as body text (it
can never be a header). So the parser saw the original lines exactly as it saw the token, and a part's payload
is its reduced payload with each token swapped back for the raw bytes. Anything that cannot be proved that way
(a token missing, repeated, first in a part whose headers ran straight into the body, or inside a
delivery-status report) makes :meth:`Cuts.bind` fail, and the caller parses the whole message instead.
"""

from __future__ import annotations

import binascii
import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.errors import MissingHeaderBodySeparatorDefect
from email.message import Message

BIG_PART_BYTES = 16 * 1024  # smaller bodies cost less to parse than to cut and find again
WHOLE_BYTES = 1024 * 1024  # a cut body up to this size is decoded once, whole, instead of in chunks twice
CHUNK = 256 * 1024  # working memory per decoder stays a few chunks
MAX_HEADER_BYTES = 256 * 1024
HEADER_LINE = re.compile(rb"From |[\x21-\x39\x3b-\x7e]*:|[\t ]")  # the stdlib parser's own header test
EOL = re.compile(rb"\r\n|\r|\n")
DASH_LINE = re.compile(rb"[\r\n]--")
NON_SPACE = re.compile(rb"[^ \t\n\r\x0b\x0c]")
HIGH_BYTE = re.compile(rb"[\x80-\xff]")
# One pattern for every message (compiling one per message was a visible share of the parse): a token carries
# the nonce of its message, checked on each match.
TOKEN = re.compile(r"ROTADESKCUT(?P<nonce>[0-9a-f]{16})x(?P<index>\d{6})z")
TOKEN_BYTES = re.compile(rb"ROTADESKCUT(?P<nonce>[0-9a-f]{16})x(?P<index>\d{6})z")
UUENCODE = ("x-uuencode", "uuencode", "uue", "x-uue")

Chunk = bytes | memoryview


class Unusual(Exception):
    """Encoded data the chunked decoders do not follow exactly; the caller decodes it whole instead."""


@dataclass(frozen=True)
class Span:
    """A stretch of the raw message, read in slices of it (never copied whole)."""

    source: bytes
    start: int
    end: int

    def chunks(self) -> Iterator[memoryview]:
        view = memoryview(self.source)
        for pos in range(self.start, self.end, CHUNK):
            yield view[pos:min(pos + CHUNK, self.end)]


@dataclass(frozen=True)
class Body:
    """Bytes produced on demand: pieces (literal bytes, raw spans or other bodies) put through one decoding."""

    pieces: tuple[bytes | Span | Body, ...]
    decoding: str = "identity"  # "base64", "quoted-printable", "lines" (line ends as "\n") or "identity"

    def chunks(self) -> Iterator[Chunk]:
        return DECODERS[self.decoding](self._encoded())

    def read(self) -> bytes:
        return b"".join(self.chunks())

    def _encoded(self) -> Iterator[Chunk]:
        for piece in self.pieces:
            if isinstance(piece, (Span, Body)):
                yield from piece.chunks()
            elif piece:
                yield piece


def digest(chunks: Iterable[Chunk]) -> tuple[int, str]:
    """(size, sha256 hex) of a stream of chunks."""
    sha, size = hashlib.sha256(), 0
    for chunk in chunks:
        sha.update(chunk)
        size += len(chunk)
    return size, sha.hexdigest()


# ---- chunked decoders, each equal to what Message.get_payload(decode=True) / the generator would produce -----

def _identity(chunks: Iterable[Chunk]) -> Iterator[Chunk]:
    return (c for c in chunks if len(c))


def _strict_b64(data: bytes) -> bytes:
    try:
        return binascii.a2b_base64(data, strict_mode=True)
    except binascii.Error as exc:
        raise Unusual(str(exc)) from None


def _base64(chunks: Iterable[Chunk]) -> Iterator[bytes]:
    # The stdlib drops line breaks, pads, and decodes strictly; anything strict decoding refuses is Unusual.
    carry, padded = b"", False
    for chunk in chunks:
        data = bytes(chunk).translate(None, b"\r\n")
        data = carry + data if carry else data
        if not data:
            continue
        if padded:
            raise Unusual("data after base64 padding")
        whole = len(data) - len(data) % 4
        carry = data[whole:]
        if whole:
            padded = data[whole - 1] == 0x3D  # "="
            yield _strict_b64(data[:whole])
    if carry:
        if padded:
            raise Unusual("data after base64 padding")
        yield _strict_b64(carry + b"==="[:4 - len(carry)])


def _quoted_printable(chunks: Iterable[Chunk]) -> Iterator[bytes]:
    # a2b_qp never looks past a "\n", so decoding whole lines at a time gives the same bytes.
    pending: list[bytes] = []
    for chunk in chunks:
        data = bytes(chunk)
        cut = data.rfind(b"\n") + 1
        if not cut:
            pending.append(data)
            continue
        pending.append(data[:cut])
        yield binascii.a2b_qp(b"".join(pending))
        pending = [data[cut:]]
    if any(pending):
        yield binascii.a2b_qp(b"".join(pending))


def _lines(chunks: Iterable[Chunk]) -> Iterator[bytes]:
    after_cr = False
    for chunk in chunks:
        data = bytes(chunk)
        if after_cr and data.startswith(b"\n"):
            data = data[1:]  # the second half of a "\r\n" already written as "\n"
        after_cr = data.endswith(b"\r")
        yield data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


DECODERS = {"identity": _identity, "base64": _base64, "quoted-printable": _quoted_printable, "lines": _lines}


def stable_digest(raw: bytes) -> str:
    """sha256 of ``raw.replace(b"\\r\\n", b"\\n").strip()``, without making either copy."""
    if len(raw) <= CHUNK:
        return hashlib.sha256(raw.replace(b"\r\n", b"\n").strip()).hexdigest()
    first = NON_SPACE.search(raw)
    if first is None:
        return hashlib.sha256(b"").hexdigest()
    end = len(raw)
    while raw[end - 1] in b" \t\n\r\x0b\x0c":
        end -= 1
    return digest(_crlf_to_lf(Span(raw, first.start(), end).chunks()))[1]


def _crlf_to_lf(chunks: Iterable[Chunk]) -> Iterator[bytes]:
    held = b""
    for chunk in chunks:
        data = held + bytes(chunk)
        held = b"\r" if data.endswith(b"\r") else b""
        yield data[:len(data) - len(held)].replace(b"\r\n", b"\n")
    yield held


# ---- finding big bodies ------------------------------------------------------------------------------------

def find_spans(raw: bytes, threshold: int) -> list[tuple[int, int]]:
    """Candidate big leaf bodies as (start, end): whole lines with no line starting with "--" among them."""
    if len(raw) <= threshold:
        return []
    dashes = _dash_lines(raw)
    starts = [0] + [_next_line(raw, p) for p in dashes]
    spans = []
    for start, stop in zip(starts, [*dashes, len(raw)]):
        if stop - start <= threshold:
            continue
        body = _body_start(raw, start, stop)
        end = _line_end_before(raw, stop)
        if body is not None and end - body > threshold and raw[body:body + 2] != b"--":
            spans.append((body, end))
    return spans


def _dash_lines(raw: bytes) -> list[int]:
    found = [0] if raw.startswith(b"--") else []
    for needle in (b"\n--", b"\r--"):
        pos = raw.find(needle)
        while pos >= 0:
            found.append(pos + 1)
            pos = raw.find(needle, pos + 1)
    return sorted(found)


def _next_line(raw: bytes, pos: int, stop: int | None = None) -> int:
    m = EOL.search(raw, pos, len(raw) if stop is None else stop)
    return m.end() if m else (len(raw) if stop is None else stop)


def _line_end_before(raw: bytes, stop: int) -> int:
    """Where the line break before ``stop`` starts (``stop`` is a line start, or the end of the message)."""
    if raw[stop - 2:stop] == b"\r\n":
        return stop - 2
    return stop - 1 if raw[stop - 1:stop] in (b"\r", b"\n") else stop


def _header_block_end(raw: bytes, pos: int, stop: int) -> int | None:
    """Just past the blank line ending a block of header lines starting at ``pos``, or None if it isn't one."""
    limit = min(stop, pos + MAX_HEADER_BYTES)
    while pos < limit:
        nxt = _next_line(raw, pos, stop)
        if raw[pos:pos + 1] in (b"\r", b"\n"):
            return nxt
        if not HEADER_LINE.match(raw, pos) or nxt == stop:
            return None
        pos = nxt
    return None


def _body_start(raw: bytes, start: int, stop: int) -> int | None:
    """Skip the part's headers and any nested message headers; None when the part headers are not clean."""
    pos = _header_block_end(raw, start, stop)
    for _ in range(8):  # message/rfc822 inside message/rfc822 …
        if pos is None:
            return None
        nested = _header_block_end(raw, pos, stop)
        if nested is None:
            return pos
        pos = nested
    return pos


# ---- cutting and finding again -----------------------------------------------------------------------------

class Cuts:
    """The big bodies cut out of one message, and where each landed in the parsed tree."""

    def __init__(self, source: bytes, spans: list[tuple[int, int]]):
        self.source = source
        self.spans = spans
        nonce = secrets.token_hex(8)
        while source.find(nonce.encode()) >= 0:  # the token must not occur in the message itself
            nonce = secrets.token_hex(8)
        self.nonce = nonce
        self.marker = f"ROTADESKCUT{nonce}x"
        self._owner: dict[int, int] = {}  # cut index -> id of the part holding it
        self._held: dict[int, tuple[Message, list[str | Span]]] = {}

    def reduced(self) -> bytes:
        pieces: list[Chunk] = []
        view, pos = memoryview(self.source), 0
        for index, (start, end) in enumerate(self.spans):
            pieces += [view[pos:start], f"{self.marker}{index:06d}z".encode()]
            pos = end
        pieces.append(view[pos:])
        return b"".join(pieces)

    def bind(self, msg: Message) -> bool:
        """Find every token in the parsed reduced message; False unless each sits where the proof holds."""
        seen: set[int] = set()
        stack: list[tuple[Message, bool]] = [(msg, False)]
        while stack:
            part, in_report = stack.pop()
            payload = part._payload  # the raw payload string: get_payload() would decode it
            in_report = in_report or part.get_content_type() == "message/delivery-status"
            if isinstance(payload, list):
                stack.extend((child, in_report) for child in payload if isinstance(child, Message))
                continue
            if not isinstance(payload, str) or self.marker not in payload:
                continue
            segments = self._segments(payload, seen, id(part))
            if segments is None or in_report:
                return False
            if segments[0] == "" and isinstance(segments[1], Span) and \
                    any(isinstance(d, MissingHeaderBodySeparatorDefect) for d in part.defects):
                return False
            self._held[id(part)] = (part, segments)
        return len(seen) == len(self.spans)

    def _segments(self, payload: str, seen: set[int], owner: int) -> list[str | Span] | None:
        out: list[str | Span] = []
        pos = 0
        for m in TOKEN.finditer(payload):
            if m.group("nonce") != self.nonce:  # looks like a token, but this message's own text
                continue
            index = int(m.group("index"))
            if index >= len(self.spans) or index in seen:
                return None
            seen.add(index)
            self._owner[index] = owner
            out += [payload[pos:m.start()], Span(self.source, *self.spans[index])]
            pos = m.end()
        out.append(payload[pos:])
        return out if len(out) > 1 else None

    def holds(self, part: Message) -> bool:
        return id(part) in self._held

    def materialise(self, part: Message) -> None:
        """Give the part its original payload back (a whole copy: only for text the parser must read)."""
        part, segments = self._held.pop(id(part))
        part.set_payload("".join(s if isinstance(s, str) else
                                 self.source[s.start:s.end].decode("ascii", "surrogateescape") for s in segments))

    def size(self, part: Message) -> int:
        """Raw bytes of the part's body that were cut out."""
        return sum(s.end - s.start for s in self._held[id(part)][1] if isinstance(s, Span))

    def body(self, part: Message) -> Body | None:
        """The part's decoded payload as a lazy body; None for encodings decoded only whole (uuencode)."""
        _, segments = self._held[id(part)]
        cte = str(part.get("content-transfer-encoding", "")).lower()
        if cte in UUENCODE:
            return None
        decoding = cte if cte in ("base64", "quoted-printable") else "identity"
        return Body(tuple(_encode(s) for s in segments), decoding)

    def serialised(self, msg: Message) -> Body | None:
        """``msg.as_bytes()`` with the cut bodies inside it swapped back in; None when it holds none."""
        inside = {id(p) for p in msg.walk()} & self._held.keys()
        if not inside:
            return None
        flat = msg.as_bytes()
        pieces: list[bytes | Body] = []
        pos, found = 0, set()
        for m in TOKEN_BYTES.finditer(flat):
            if m.group("nonce") != self.nonce.encode():
                continue
            index = int(m.group("index"))
            owner = self._owner.get(index)
            if owner not in inside or index in found:
                return None
            # The generator writes text bodies line by line with "\n"; a multipart read as text goes out as is,
            # unless it holds 8-bit bytes, which make the generator fail (the caller then serialises it whole).
            text = self._held[owner][0].get_content_maintype() != "multipart"
            if not text and HIGH_BYTE.search(self.source, *self.spans[index]):
                return None
            pieces += [flat[pos:m.start()], Body((Span(self.source, *self.spans[index]),),
                                                 "lines" if text else "identity")]
            pos = m.end()
            found.add(index)
        pieces.append(flat[pos:])
        expected = {i for i, owner in self._owner.items() if owner in inside}
        return Body(tuple(pieces)) if found == expected else None


def _encode(segment: str | Span) -> bytes | Span:
    return segment if isinstance(segment, Span) else segment.encode("ascii", "surrogateescape")


def cut(raw: bytes, threshold: int = BIG_PART_BYTES) -> Cuts | None:
    """Cuts for the big bodies of ``raw``, or None when there is nothing big to cut."""
    spans = find_spans(raw, threshold)
    return Cuts(raw, spans) if spans else None
