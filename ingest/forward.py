"""Find forwarded-message header blocks in plain text, in the shapes mail clients write them.

A block is a run of ``Label: value`` lines (From/To/Cc/Date/Subject in ~25 languages), optionally
introduced by a separator ("---- Forwarded message ----", "Begin forwarded message:", a row of
underscores), optionally quoted with ``>``, or a one-line quote header ("On <date>, <who> wrote:").
Yahoo writes the whole block on one line after its separator; that shape is handled too.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from ingest.mailtext import Address, clean_block, parse_address_list, quote_depth, strip_quote

# Label (lower-case, spaces collapsed) -> field. Kept as data so new clients are one line each.
LABELS: dict[str, str] = {}
for _field, _words in {
    "from": "from|de|von|van|od|fra|från|lähettäjä|feladó|da|kimden|от|від|від кого|отправитель|saatja|šalje|"
            "expeditorul|de la|mittente|nadawca|送信元|差出人|gönderen|odesílatel|afzender|absender|remitente|"
            "expéditeur|avsändare|afsender|发件人|寄件者|보낸 사람|odosielateľ",
    "to": "to|à|a|an|aan|para|til|till|komu|do|címzett|kime|кому|vastaanottaja|adresat|către|destinatarul|pour|"
          "prima|pre|送信先|宛先|destinatario|empfänger|adressat|收件人|받는 사람|alıcı",
    "cc": "cc|kopie|kopi|kopia|kopio|kópia|kopie (cc)|copie à|dw|másolat|másolatot kap|копия|копія|bilgi|copia|"
          "kopija|抄送|副本|참조",
    "date": "date|data|dato|datum|dátum|dată|fecha|päivämäärä|päiväys|tarih|дата|日付|sent|sendt|skickat|gesendet|"
            "verzonden|envoyé|enviado|inviato|wysłano|odesláno|odoslané|lähetetty|elküldve|trimis|gönderildi|"
            "gönderilme|gönderilen|отправлено|відправлено|надіслано|poslano|sent at|发送时间|日期|送信日時",
    "subject": "subject|betreff|onderwerp|objet|sujet|asunto|assunto|oggetto|emne|ämne|aihe|tárgy|temat|předmět|"
               "predmet|konu|тема|subiect|subiectul|naslov|件名|tema|主题|主旨|제목",
    "reply_to": "reply-to|antwort an|répondre à|responder a|rispondi a|beantwoorden|svara till|svar til",
    # Outlook adds these to the block; read so they never open the customer's message.
    "importance": "importance|wichtigkeit|priorité|importancia|importanza|prioriteit|priorytet|prioridade|"
                  "priority|важность|重要度",
    "attachments": "attachments|anlagen|pièces jointes|datos adjuntos|allegati|bijlagen|załączniki|anexos|"
                   "bilagor|vedhæftede filer|添付ファイル",
}.items():
    for _w in _words.split("|"):
        LABELS[_w] = _field

# Stems that make a separator line an explicit forward marker (as opposed to "Original Message").
FORWARD_WORDS = re.compile(
    r"forward|fwd|weitergeleitet|doorgestuurd|transf[eé]r|transmis|réexpédi|reenviad|inoltrat|encaminhad|videresend|"
    r"vidarebefordra|välitet|edelleenlähet|přepos|prepos|przekaza|proslijeđ|továbbított|redirecționat|iletil|"
    r"ileti başlangıcı|пересыла|переадрес|перенаправ|пересила|переслан|転送|转发|轉寄", re.IGNORECASE)
# Every pattern here runs on each line of a message anyone can send, so each is linear in its input: possessive
# runs, no nested or adjacent overlapping quantifiers (a plain string scan where a pattern cannot be).
_PHRASE = r"(?:[^\s=-]|[-=](?![-=])|\s++(?![-=]{2}))"  # a character that does not start a closing run of dashes
DASHED = re.compile(rf"^\s*+[-=]{{2,}}+\s*+(?P<phrase>[^\s=-]{_PHRASE}*+)\s*+[-=]{{2,}}+\s*+(?P<rest>.*)$")
UNDERSCORES = re.compile(r"^\s*+_{10,}+\s*+$")
MAX_HEADER_LINE = 4000  # longer lines are never part of a header block (a To: line of ~100 addresses fits)
MAX_WRAPPED_LINES = 30  # continuation lines of one wrapped To:/Cc: value
MAX_SCAN_LINES = 3000   # a header block is looked for in the first lines of each forwarded level only
_DASHES = frozenset("-=")
_COLONS = (":", "：")


def separator_phrase(line: str) -> str | None:
    """The phrase of a separator line ("---- Forwarded message ----"), or None.

    What ``^\\s*[-=]{2,}\\s*(?P<phrase>[^-=].*?)\\s*[-=]{2,}\\s*$`` matched, by a string scan: that pattern
    rescans the line from every position and took seconds on a line of spaces. Only ``FORWARD_WORDS`` reads the
    phrase, so its surrounding blanks and dashes do not matter.
    """
    text = line.strip()
    lead = len(text) - len(text.lstrip("-="))
    tail = len(text) - len(text.rstrip("-="))
    if lead < 2 or tail < 2 or lead + tail >= len(text):
        return None
    return text[lead:len(text) - tail]


def intro_line(line: str) -> bool:
    """A line like "Begin forwarded message:": what ``^\\s*(?P<phrase>[^:@\\d]{4,70}?)\\s*:\\s*$`` matched."""
    text = line.rstrip()
    if not text.endswith(":"):
        return False
    before = text[:-1]
    core = before.strip()
    return len(before) >= 4 and len(core) <= 70 and not any(ch in ":@" or ch.isdecimal() for ch in core)


def label_line(line: str) -> tuple[str, str] | None:
    """(label, value) of a ``Label: value`` line, or None.

    What ``^\\s*\\*{0,2}(?P<label>[^:：*\\t]{1,24}?)\\s*\\*{0,2}\\s*[:：]\\s*\\*{0,2}\\s*(?P<value>.*)$`` matched, by a
    string scan: the label can hold no colon, so the colon is the first one; that pattern backtracked for minutes
    on a run of spaces. Labels are compared stripped (:func:`label_field`), so their blanks do not matter.
    """
    if len(line) > MAX_HEADER_LINE:
        return None
    cut = min((i for i in (line.find(c) for c in _COLONS) if i >= 0), default=-1)
    if cut < 0:
        return None
    head = line[:cut].lstrip()
    head = head[2:] if head.startswith("**") else head[1:] if head.startswith("*") else head
    core = head.rstrip()
    core = core[:-2] if core.endswith("**") else core[:-1] if core.endswith("*") else core
    label = core.rstrip()
    if "*" in label or "\t" in label or len(label) > 24:
        return None
    if not label:  # only blanks before the colon: the pattern took one of them as the label
        if not any(ch.isspace() and ch != "\t" for ch in line[:cut]):
            return None
        label = " "
    value = line[cut + 1:].lstrip()
    value = value[2:] if value.startswith("**") else value[1:] if value.startswith("*") else value
    return label, value.lstrip()


# The look-behind starts a match only where a run of address characters starts: linear, not quadratic, in long runs.
EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]++@[\w-]++(?:\.[\w-]++)+")
WROTE = re.compile(
    r"(wrote|schrieb|a écrit|escribió|ha scritto|escreveu|geschreven|skrev|kirjoitti|napsal|napisał|napísal|"
    r"írta|yazdı|написал|написав|scris|pisze|skriver|schreef|編寫|寫道|wrote the following)\b.*:\s*$|"
    r"\b(wrote|napsal\(a\)|napisał\(a\)|ezt írta|şunu yazdı|написал\(а\))\s*:\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """One forwarded or quoted header block found in a text."""

    # "strong" (explicit forward marker), "weak" (bare header block) or "reply" ("On … wrote:")
    kind: str
    start: int                     # index of its first line (separator included)
    body_start: int                # index of the first line after the headers
    headers: dict[str, str] = field(default_factory=dict)
    depth: int = 0                 # ">" quote depth of the header lines
    inline: bool = False           # Yahoo: the headers share one line with the separator


_BLANKS = re.compile(r"\s+")


@functools.lru_cache(maxsize=4096)  # the same few labels ("From", "Subject") come back on every header line
def label_field(label: str) -> str | None:
    return LABELS.get(_BLANKS.sub(" ", label.strip().strip("*").strip()).lower())


def _header_run(lines: list[str], i: int) -> tuple[dict[str, str], int]:
    """Read consecutive ``Label: value`` lines from ``i``; returns the fields and the index after them."""
    headers: dict[str, str] = {}
    last = None
    wrapped = 0
    while i < len(lines):
        found = label_line(lines[i])
        name = label_field(found[0]) if found else None
        if name is None and headers and (found or not lines[i].strip()):
            # HTML mail rendered as text (Apple Mail's and Outlook's one <div> or <p> per header line) leaves a
            # blank line between the lines of one block, and clients add fields of their own ("Sensitivity:",
            # "Sent by:"): step over up to two such lines when another known header line follows.
            k = _skip_block_filler(lines, i)
            after = label_line(lines[k]) if k < len(lines) and k > i else None
            field_after = label_field(after[0]) if after else None
            if field_after is not None and field_after not in headers:
                i = k
                continue
        if name is None or name in headers:
            if last is not None and wrapped < MAX_WRAPPED_LINES and _continues(last, headers[last], lines[i]):
                headers[last] += " " + lines[i].strip()
                wrapped += 1
                i += 1
                continue
            break
        headers[name] = found[1].strip()
        last = name
        i += 1
    return headers, i


_ADDRESS_FIELDS = ("from", "to", "cc", "reply_to")


def _continues(field: str, value: str, line: str) -> bool:
    """Whether ``line`` continues the header value above it, wrapped by the sender's client.

    An address list continues after a trailing separator; a display name whose address the client pushed onto
    the next line (Outlook and Thunderbird wrap long ``From:`` lines) continues with that bracketed address.
    """
    text = line.strip()
    if not text or field not in _ADDRESS_FIELDS:
        return False
    if field in ("to", "cc") and value.endswith((",", ";")):
        return True
    last_item = value[max(value.rfind(","), value.rfind(";")) + 1:]
    if "@" in last_item or not last_item.strip():
        return False
    return text[0] in "<[(" and "@" in text[:MAX_HEADER_LINE] and bool(EMAIL.search(text[:320]))


def _is_header_block(headers: dict[str, str]) -> bool:
    return "from" in headers and len(headers) >= 2 and bool(set(headers) & {"subject", "date", "to"})


_LABEL_ALT = "|".join(re.escape(n) for n in sorted(LABELS, key=len, reverse=True))
# In Yahoo's one-line block each label is glued to the previous value; "Dw"/"Assunto" come without a colon.
_INLINE = re.compile(rf"(?P<label>{_LABEL_ALT})\s?:|(?P<bare>Dw|Assunto)\s", re.IGNORECASE)


def _inline_headers(text: str) -> dict[str, str]:
    """Split Yahoo's one-line block ("From: a <b>To: c <d>Sent: …Subject: x")."""
    spans = []
    for m in _INLINE.finditer(text):
        label = m.group("label") or m.group("bare")
        glued_lower = m.start() > 0 and text[m.start() - 1].isalpha() and not label[0].isupper()
        if not glued_lower:
            spans.append((m, label))
    headers: dict[str, str] = {}
    for n, (m, label) in enumerate(spans):
        end = spans[n + 1][0].start() if n + 1 < len(spans) else len(text)
        name = label_field(label)
        if name and name not in headers:
            headers[name] = text[m.end():end].strip()
    return headers


def _skip_block_filler(lines: list[str], i: int, limit: int = 2) -> int:
    """Index after up to ``limit`` blank or unknown ``Label: value`` lines from ``i``."""
    n = 0
    while i < len(lines) and n < limit:
        found = None if not lines[i].strip() else label_line(lines[i])
        if lines[i].strip() and (found is None or label_field(found[0]) is not None):
            break
        i += 1
        n += 1
    return i


def _skip_blank(lines: list[str], i: int, limit: int = 2) -> int:
    n = 0
    while i < len(lines) and not lines[i].strip() and n < limit:
        i += 1
        n += 1
    return i


def _wrote_line(lines: list[str], i: int) -> tuple[str, int] | None:
    """A one- or two-line "On <date>, <who> wrote:" header at ``i``; returns its text and the next index."""
    if not lines[i].rstrip().endswith(":") and not (i + 1 < len(lines) and lines[i + 1].rstrip().endswith(":")):
        return None  # either header ends in a colon, on this line or the next
    for span in (1, 2):
        if i + span > len(lines):
            return None
        if span == 2 and not re.search(r"\d", lines[i]):
            return None  # a two-line header starts with its date; else the wrote line is the next one
        text = " ".join(s.strip() for s in lines[i:i + span])
        if len(text) > 300 or not text.rstrip().endswith(":"):
            continue
        if WROTE.search(text) or (EMAIL.search(text) and re.search(r"\d", text) and label_line(lines[i]) is None):
            return text, i + span
    return None


_WROTE_WORDS = re.compile(r"^.*?\b(user|użytkownik|používateľ|пользователь|heeft|skrev|schrieb|időpontban)\s+", re.I)


# Possessive, and the name before a bracketed address found by a scan back: the lazy name followed by blanks that
# these replaced was cubic in a line of spaces.
_QUOTED_SENDER = re.compile(r"[\"«„“]\s*+(?P<name>[^\"«»„“”]++)[\"»”]\s*+[(<]+\s*+(?P<addr>" + EMAIL.pattern + r")")
_BRACKETED = re.compile(r"[(<]++\s*+(?P<addr>" + EMAIL.pattern + r")\s*+[)>]")


def _wrote_headers(text: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    q = _QUOTED_SENDER.search(text)
    if q:
        headers["from"] = f"{q.group('name').strip()} <{q.group('addr')}>"
    elif b := _BRACKETED.search(text):
        head = text[:b.start()]
        name = head[max(head.rfind(c) for c in ',:<>()"') + 1:].strip()
        name = _WROTE_WORDS.sub("", re.sub(r"^.*\d\S*\s+", "", name))
        headers["from"] = f"{name.strip()} <{b.group('addr')}>"
    d = re.search(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}[,]?\s+\d{1,2}[:.]\d{2}|"
                  r"\b\w{3,9}\.? \d{1,2},? \d{4}(?:,? (?:at )?\d{1,2}:\d{2}(?:\s?[AP]M)?)?", text)
    if d:
        headers["date"] = d.group(0)
    return headers


def _prose(line: str) -> bool:
    """A line no header block starts at (:func:`find_block`): no colon, which labels, intros and "wrote:" lines
    have, and no leading dash, equals sign or underscore, which separators start with. Most lines of a mail."""
    return ":" not in line and "：" not in line and line.lstrip()[:1] not in ("-", "=", "_")


def find_block(lines: list[str], start: int = 0, *, allow_reply: bool = True) -> Block | None:
    """The first header block at or after ``start`` (within ``MAX_SCAN_LINES``), or None."""
    end = min(len(lines), start + MAX_SCAN_LINES)
    # Header runs may read a little past the scanned lines; lines before ``start`` are never looked at.
    view = [""] * start + [strip_quote(x) for x in lines[start:end + 2 * MAX_WRAPPED_LINES]]
    for i in range(start, end):
        line = view[i]
        if _prose(line) and not (allow_reply and view[i + 1:i + 2] and view[i + 1].rstrip().endswith(":")):
            continue
        m = DASHED.match(line) if len(line) <= MAX_HEADER_LINE else None
        if m and m.group("rest") and FORWARD_WORDS.search(m.group("phrase")):
            headers = _inline_headers(m.group("rest"))
            if _is_header_block(headers):
                return Block("strong", i, i + 1, headers, quote_depth(lines[i]), inline=True)
        label = label_line(line)
        phrase = separator_phrase(line) if len(line) <= MAX_HEADER_LINE else None
        explicit = phrase is not None or intro_line(line) and not (label and label_field(label[0]))
        if explicit or UNDERSCORES.match(line):
            j = _skip_blank(view, i + 1)
            headers, stop = _header_run(view, j)
            if _is_header_block(headers):
                said = (phrase if phrase is not None else line) if explicit else ""
                kind = "strong" if FORWARD_WORDS.search(said) else "weak"
                return Block(kind, i, stop, headers, quote_depth(lines[stop - 1]))
        if label is not None and label_field(label[0]) is not None:  # else the run is empty
            headers, stop = _header_run(view, i)
            if _is_header_block(headers):
                return Block("weak", i, stop, headers, quote_depth(lines[stop - 1]))
        if allow_reply:
            wrote = _wrote_line(view, i)
            if wrote:
                return Block("reply", i, wrote[1], _wrote_headers(wrote[0]), quote_depth(lines[i]))
    return None


def sender_of(block: Block) -> Address | None:
    found = parse_address_list(block.headers.get("from", ""))
    return found[0] if found else None


END_MARKER = re.compile(r"^\s*[-=]{2,}\s*end of (the )?forwarded message\s*[-=]{2,}\s*$|"
                        r"^\s*[-=]{2,}\s*end forwarded message\s*[-=]{2,}\s*$", re.IGNORECASE)


def block_body(lines: list[str], block: Block) -> tuple[str, str]:
    """The forwarded text under ``block`` and any note written below it (bottom-posted)."""
    rest = lines[block.body_start:]
    below: list[str] = []
    depth = block.depth
    if not depth:  # headers in clear, message quoted (Missive, Gmail replies)
        depth = next((quote_depth(x) for x in rest if x.strip()), 0)
    if block.inline and rest:
        rest = [rest[0].lstrip(), *rest[1:]]
    if depth:
        last = max((k for k, x in enumerate(rest) if quote_depth(x) >= depth), default=-1)
        below = rest[last + 1:]
        rest = [strip_quote(x, depth) for x in rest[:last + 1]]
    else:
        for k, x in enumerate(rest):
            if END_MARKER.match(x):
                rest, below = rest[:k], rest[k + 1:]
                break
    return clean_block(rest), clean_block(below)


FORWARD_PREFIXES = {"fwd", "fw", "wg", "tr", "rv", "i", "pd", "enc", "vs", "vb", "vl", "videresend", "redir", "ilt",
                    "i̇lt", "doorst", "trs", "πρθ", "пер", "转发", "轉寄"}
# No "^": matched at a position, so stripping many prefixes never copies the subject again.
PREFIX = re.compile(r"\s*+(?:\[[^\]]{1,20}\]\s*+)?(?P<p>fwd?|fw|re|aw|wg|tr|rv|sv|vs|vb|vl|odp|pd|enc|"
                    r"i|r|res|antw|doorst|ynt|i̇lt|İlt|ilt|videresend|redir\.?|rif|trs|отв|пер|回复|答复|转发|轉寄|απ|πρθ)"
                    r"\s*+(?:\[\d+\]|\(\d+\))?\s*[:：]\s*", re.IGNORECASE)


def subject_prefixes(subject: str) -> tuple[list[str], str]:
    """The reply/forward prefixes of ``subject`` (lower-case, outermost first) and the subject without them."""
    found: list[str] = []
    pos = 0
    while True:
        m = PREFIX.match(subject, pos)
        if not m:
            return found, subject[pos:].strip()
        found.append(m.group("p").lower().rstrip("."))
        pos = m.end()


def strip_subject(subject: str) -> str:
    return subject_prefixes(subject or "")[1]


def counts_as_forward(block: Block, outer_subject: str) -> bool:
    """Explicit markers always do; a bare header block unless the subject says reply; "wrote:" only under Fwd."""
    prefixes = subject_prefixes(outer_subject or "")[0]
    first = prefixes[0] if prefixes else ""
    if block.kind == "strong":
        return True
    if block.kind == "weak":
        return not first or first in FORWARD_PREFIXES
    return first in FORWARD_PREFIXES


@dataclass
class Level:
    """One message in a forward chain: who wrote it, its header fields, its own text and what it quotes."""

    sender: Address | None
    headers: dict[str, str]
    own: str
    chain: str | None = None
    below: str = ""


def _trailing_quote(lines: list[str]) -> int | None:
    """Start of a trailing run of ">" lines (blank lines allowed), or None."""
    start = None
    for k in range(len(lines) - 1, -1, -1):
        if quote_depth(lines[k]) > 0:
            start = k
        elif lines[k].strip():
            break
    return start


def split_own(text: str, found: tuple[list[str], Block | None] | None = None) -> tuple[str, str | None, Block | None]:
    """Split a message text into its own words and the older chain it quotes (from the first block on).

    ``found``: the text's lines and their first block, when the caller has looked for it already.
    """
    if found is None:
        lines = text.split("\n")
        found = lines, find_block(lines)
    lines, block = found
    cut = block.start if block else None
    quote = _trailing_quote(lines)
    if quote is not None and (cut is None or quote < cut):
        cut, block = quote, None
    if cut is None:
        return clean_block(lines), None, None
    own, end = clean_block(lines[:cut]), _quote_end(lines, cut, block)
    below = clean_block(lines[end:]) if end is not None else ""
    if below:  # bottom-posted: the words under the quote are the writer's own too
        return "\n\n".join(x for x in (own, below) if x), clean_block(lines[cut:end]) or None, block
    return own, clean_block(lines[cut:]) or None, block


def _quote_end(lines: list[str], cut: int, block: Block | None) -> int | None:
    """Index after the last ">" line of a reply quote starting at ``cut``, when text follows it; else None.

    Only a reply ("On … wrote:") or a bare ">" quote is closed this way: a forwarded block keeps everything
    under it, since its message is not quoted.
    """
    if block is not None and block.kind != "reply":
        return None
    start = block.body_start if block is not None else cut
    last = None
    for k in range(len(lines) - 1, start - 1, -1):
        if quote_depth(lines[k]) > 0:
            last = k
            break
    if last is None or not any(x.strip() for x in lines[last + 1:]):
        return None
    return last + 1


def nested_levels(text: str, limit: int = 30) -> list[Level]:
    """Levels inside a forwarded body: the body's own words first, then each older message it quotes."""
    levels: list[Level] = []
    own, chain, block = split_own(text)
    levels.append(Level(None, {}, own, chain))
    while block is not None and len(levels) < limit:
        lines = text.split("\n")
        text, _below = block_body(lines, block)
        own, chain, nxt = split_own(text)
        levels.append(Level(sender_of(block), block.headers, own, chain))
        block = nxt
    return levels


def analyse(text: str, outer_subject: str, outer_sender: Address | None) -> tuple[bool, list[Level]]:
    """Whether ``text`` forwards a message, and the chain of levels (level 0 is the outer message)."""
    lines = text.split("\n")
    block = find_block(lines)
    if block is None or not counts_as_forward(block, outer_subject):
        own, chain, _ = split_own(text, (lines, block))
        return False, [Level(outer_sender, {}, own, chain)]
    body, below = block_body(lines, block)
    outer = Level(outer_sender, {}, clean_block(lines[:block.start]), None, below)
    inner = nested_levels(body)
    inner[0].sender, inner[0].headers = sender_of(block), block.headers
    return True, [outer, *inner]
