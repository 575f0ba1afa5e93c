"""Find forwarded-message header blocks in plain text, in the shapes mail clients write them.

A block is a run of ``Label: value`` lines (From/To/Cc/Date/Subject in ~25 languages), optionally
introduced by a separator ("---- Forwarded message ----", "Begin forwarded message:", a row of
underscores), optionally quoted with ``>``, or a one-line quote header ("On <date>, <who> wrote:").
Yahoo writes the whole block on one line after its separator; that shape is handled too.
"""

from __future__ import annotations

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
            "gönderilme|отправлено|надіслано|poslano|sent at|发送时间|日期|送信日時",
    "subject": "subject|betreff|onderwerp|objet|sujet|asunto|assunto|oggetto|emne|ämne|aihe|tárgy|temat|předmět|"
               "predmet|konu|тема|subiect|subiectul|naslov|件名|tema|主题|主旨|제목",
    "reply_to": "reply-to|antwort an|répondre à|responder a|rispondi a|beantwoorden|svara till|svar til",
}.items():
    for _w in _words.split("|"):
        LABELS[_w] = _field

# Stems that make a separator line an explicit forward marker (as opposed to "Original Message").
FORWARD_WORDS = re.compile(
    r"forward|fwd|weitergeleitet|doorgestuurd|transf[eé]r|réexpédi|reenviad|inoltrat|encaminhad|videresend|"
    r"vidarebefordra|välitet|edelleenlähet|přepos|prepos|przekaza|proslijeđ|továbbított|redirecționat|iletil|"
    r"ileti başlangıcı|пересыла|переадрес|перенаправ|пересила|переслан|転送|转发|轉寄", re.IGNORECASE)
DASHED = re.compile(r"^\s*[-=]{2,}\s*(?P<phrase>[^-=].*?)\s*[-=]{2,}\s*(?P<rest>.*)$")
UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
INTRO = re.compile(r"^\s*(?P<phrase>[^:@\d]{4,70}?)\s*:\s*$")
LABEL_LINE = re.compile(r"^\s*\*{0,2}(?P<label>[^:：*\t]{1,24}?)\s*\*{0,2}\s*[:：]\s*\*{0,2}\s*(?P<value>.*)$")
EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
WROTE = re.compile(
    r"(wrote|schrieb|a écrit|escribió|ha scritto|escreveu|geschreven|skrev|kirjoitti|napsal|napisał|napísal|"
    r"írta|yazdı|написал|написав|scris|pisze|skriver|schreef|編寫|寫道|wrote the following)\b.*:\s*$|"
    r"\b(wrote|napsal\(a\)|napisał\(a\)|ezt írta|şunu yazdı|написал\(а\))\s*:\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """One forwarded or quoted header block found in a text."""

    kind: str                      # "strong" (explicit forward marker), "weak" (bare header block) or "reply" (On … wrote:)
    start: int                     # index of its first line (separator included)
    body_start: int                # index of the first line after the headers
    headers: dict[str, str] = field(default_factory=dict)
    quoted: bool = False           # the block and its body sit behind ">"


def label_field(label: str) -> str | None:
    return LABELS.get(re.sub(r"\s+", " ", label.strip().strip("*").strip()).lower())


def _header_run(lines: list[str], i: int) -> tuple[dict[str, str], int]:
    """Read consecutive ``Label: value`` lines from ``i``; returns the fields and the index after them."""
    headers: dict[str, str] = {}
    last = None
    while i < len(lines):
        m = LABEL_LINE.match(lines[i])
        name = label_field(m.group("label")) if m else None
        if name is None or name in headers:
            # A wrapped address list continues on the next line after a trailing separator.
            if last in ("to", "cc") and headers[last].rstrip().endswith((",", ";")) and lines[i].strip():
                headers[last] += " " + lines[i].strip()
                i += 1
                continue
            break
        headers[name] = m.group("value").strip()
        last = name
        i += 1
    return headers, i


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


def _skip_blank(lines: list[str], i: int, limit: int = 2) -> int:
    n = 0
    while i < len(lines) and not lines[i].strip() and n < limit:
        i += 1
        n += 1
    return i


def _wrote_line(lines: list[str], i: int) -> tuple[str, int] | None:
    """A one- or two-line "On <date>, <who> wrote:" header at ``i``; returns its text and the next index."""
    for span in (1, 2):
        if i + span > len(lines):
            return None
        text = " ".join(s.strip() for s in lines[i:i + span])
        if len(text) > 300 or not text.rstrip().endswith(":"):
            continue
        if WROTE.search(text) or (EMAIL.search(text) and re.search(r"\d", text) and not LABEL_LINE.match(lines[i])):
            return text, i + span
    return None


def _wrote_headers(text: str) -> dict[str, str]:
    text = re.sub(r"[«»„“”\"]", "", text)
    m = re.search(r"(?P<name>[^,:<>()]*?)\s*[(<]+\s*(?P<addr>" + EMAIL.pattern + r")\s*[)>]+", text)
    headers: dict[str, str] = {}
    if m:
        name = re.sub(r"^.*\b(user|użytkownik|používateľ|пользователь|heeft|skrev|schrieb|időpontban|\d\d?:\d\d)\s+",
                      "", m.group("name").strip(), flags=re.IGNORECASE)
        headers["from"] = f"{name.strip()} <{m.group('addr')}>"
    d = re.search(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}[,]?\s+\d{1,2}[:.]\d{2}|"
                  r"\b\w{3,9}\.? \d{1,2},? \d{4}(?:,? (?:at )?\d{1,2}:\d{2}(?:\s?[AP]M)?)?", text)
    if d:
        headers["date"] = d.group(0)
    return headers


def find_block(lines: list[str], start: int = 0, *, allow_reply: bool = True) -> Block | None:
    """The first header block at or after ``start``, or None."""
    view = [strip_quote(x) for x in lines]
    for i in range(start, len(lines)):
        quoted = quote_depth(lines[i]) > 0
        line = view[i]
        m = DASHED.match(line)
        if m and m.group("rest") and FORWARD_WORDS.search(m.group("phrase")):
            headers = _inline_headers(m.group("rest"))
            if _is_header_block(headers):
                return Block("strong", i, i + 1, headers, quoted)
        explicit = bool((m and not m.group("rest")) or INTRO.match(line) and not LABEL_LINE.match(line))
        if explicit or UNDERSCORES.match(line):
            j = _skip_blank(view, i + 1)
            headers, end = _header_run(view, j)
            if _is_header_block(headers):
                phrase = (m.group("phrase") if m else line) if explicit else ""
                kind = "strong" if FORWARD_WORDS.search(phrase) else "weak"
                return Block(kind, i, end, headers, quoted)
        headers, end = _header_run(view, i)
        if _is_header_block(headers):
            return Block("weak", i, end, headers, quoted)
        if allow_reply:
            wrote = _wrote_line(view, i)
            if wrote:
                return Block("reply", i, wrote[1], _wrote_headers(wrote[0]), quoted)
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
    if block.quoted:
        depth = quote_depth(lines[block.start])
        last = max((k for k, x in enumerate(rest) if quote_depth(x) >= depth), default=-1)
        below = rest[last + 1:]
        rest = [strip_quote(x, depth) for x in rest[:last + 1]]
    else:
        for k, x in enumerate(rest):
            if END_MARKER.match(x):
                rest, below = rest[:k], rest[k + 1:]
                break
    return clean_block(rest), clean_block(below)
