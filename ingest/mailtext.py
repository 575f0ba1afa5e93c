"""Text helpers for mail: charset decoding, HTML to text, quote markers, addresses, signatures."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import datetime

# Labels that lie: gb2312 mail usually holds GBK, shift_jis holds Microsoft's cp932, and so on.
CHARSET_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030", "cp936": "gb18030",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "ms_kanji": "cp932",
    "iso-2022-jp": "iso2022_jp_ext", "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "big5": "big5hkscs",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252", "iso-8859-8-i": "iso-8859-8",
    "unicode-1-1-utf-7": "utf-7", "x-unknown": "", "unknown-8bit": "", "x-user-defined": "", "default": "",
}

# Detection is limited to charsets mail really uses, so short texts are not read as some DOS code page.
MAIL_CHARSETS = ("utf_8", "cp1252", "iso8859_15", "cp1250", "iso8859_2", "cp1251", "koi8_r", "koi8_u", "cp1253",
                 "cp1254", "cp1255", "cp1256", "cp1257", "cp874", "gb18030", "big5", "euc_jp", "cp932", "euc_kr")
LATIN_LOOKALIKES = {"iso8859_15", "cp1250", "iso8859_2", "cp1254", "cp1257"}


@dataclass(frozen=True)
class Address:
    """A mailbox: display name (may be empty) and lower-cased address (may be empty when unknown)."""

    name: str
    address: str

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "address": self.address}


def python_codec(label: str | None) -> str | None:
    """Map a MIME charset label to a Python codec name, or None when unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = CHARSET_ALIASES.get(label, label)
    if not label:
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    # rot13, base64, zlib … are codecs too, but not text encodings a mail can be written in.
    return info.name if getattr(info, "_is_text_encoding", True) else None


_SURROGATES = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` as valid Unicode: lone surrogates (utf-7 and unicode_escape make them, and so does the stdlib for
    undecodable header bytes) become U+FFFD, so the text can be stored, printed and shown."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text)
    return text


def decode_bytes(data: bytes, label: str | None) -> str:
    """Decode ``data`` by its label, detecting the charset when the label is missing, unknown or wrong."""
    return valid_text(_decode_bytes(data, label))


def _decode_bytes(data: bytes, label: str | None) -> str:
    codec = python_codec(label)
    if codec:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000], cp_isolation=list(MAIL_CHARSETS)).best()
        if best is not None and best.encoding:
            guess = best.encoding
            if guess in LATIN_LOOKALIKES:  # short Latin text is ambiguous; Windows-1252 is what mail usually means
                try:
                    return data.decode("cp1252")
                except UnicodeDecodeError:
                    pass
            return data.decode(guess, errors="replace")
    except Exception:  # detection is best effort; a wrong guess must not stop the parse
        pass
    return data.decode(codec or "utf-8", errors="replace")


def html_to_text(html: str) -> str:
    """Readable plain text from HTML mail: sanitised first, then rendered without Markdown decoration."""
    import html2text
    import nh3

    html = mailto_names(html)
    try:
        clean = nh3.clean(html, tags={"a", "b", "blockquote", "br", "div", "em", "h1", "h2", "h3", "h4", "hr", "i",
                                      "li", "ol", "p", "pre", "span", "strong", "table", "td", "th", "tr", "ul"},
                          attributes={}, strip_comments=True)
    except Exception:
        clean = re.sub(r"<[^<>]*>", " ", html)
    # Table rows as lines (Thunderbird writes a forward's header block as a table); html2text joins them otherwise.
    clean = clean.replace("<table>", "<br><table>").replace("</tr>", "</tr><br>")
    h = html2text.HTML2Text(bodywidth=0)
    h.ignore_links = True
    h.ignore_images = True
    h.ignore_emphasis = True
    h.ignore_tables = True
    h.unicode_snob = True
    try:
        text = h.handle(clean)
    except Exception:
        text = re.sub(r"<[^<>]*>", " ", clean)
    # html2text escapes Markdown-looking starts ("\-", "\*"); mail text is not Markdown. Its "* * *" for <hr>
    # becomes the underscore rule Outlook prints above a forwarded header block.
    # Blanks are matched within one line: the same result, without rescanning a run of blank lines from each line.
    text = re.sub(r"(?m)^([^\S\n]*+)\\([-+*#.>])", r"\1\2", text)
    text = re.sub(r"(\d)\\\.", r"\1.", text)  # "14\. März": escaped where a span started a line in the HTML
    text = _rules(text)
    # Empty <div><br></div> spacers render as runs of blank lines; in HTML they were one visual gap.
    return _quoted_gaps(re.sub(r"\n[ \t\xa0]*(?:\n[ \t\xa0]*){2,}", "\n\n", text))


MAX_LINK_TEXT = 300  # characters of a link's text looked at; a sender's name is never longer


def mailto_names(html: str) -> str:
    """``<a href="mailto:x@y">Name</a>`` as ``Name <x@y>``, so the address survives the link being dropped.

    Outlook links a resolved sender's name to their address in a forward's ``From:`` line and prints the address
    nowhere else. A plain scan: each tag and link text is read once (a pattern over tags rescans unclosed ones).
    """
    low = html.lower()
    if "mailto:" not in low:
        return html
    out, pos = [], 0
    while True:
        start = low.find("<a", pos)
        if start < 0:
            break
        end = low.find(">", start)
        if end < 0:
            break
        close = low.find("</a", end, end + MAX_LINK_TEXT + 4)
        href = low.find("mailto:", start, end)
        if close < 0 or href < 0:
            out.append(html[pos:end + 1])
            pos = end + 1
            continue
        address = html[href + 7:end].split("?")[0]
        address = address[:min((i for i in (address.find(q) for q in "\"' ") if i >= 0), default=len(address))]
        text = html[end + 1:close]
        out.append(html[pos:close])
        if "@" not in text and EMAIL_RE.fullmatch(address.strip()):
            out.append(f" &lt;{address.strip()}&gt;")
        pos = close
    out.append(html[pos:])
    return "".join(out)


def _quoted_gaps(text: str) -> str:
    """Runs of blank lines inside a ``>`` quote (Apple Mail's ``<blockquote type="cite">`` of divs) as one."""
    if ">" not in text:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        blank_quote = line.startswith(">") and not line.replace(">", "").strip()
        if blank_quote and out and out[-1].replace(" ", "") == line.replace(" ", ""):
            continue
        out.append(line)
    return "\n".join(out)


RULE_LINE = re.compile(r"(?m)^[^\S\n]*+\* \* \*[^\S\n]*+$")


def _rules(text: str) -> str:
    """html2text's "* * *" lines as a 32-underscore rule, with the blank lines around them taken in.

    The same result as ``re.sub(r"(?m)^\\s*\\* \\* \\*\\s*$", "_" * 32, text)``, whose ``^\\s*`` rescans a run of
    blank lines from each of its lines (quadratic); here each blank run is walked once.
    """
    if "* * *" not in text:
        return text
    out, pos = [], 0
    for m in RULE_LINE.finditer(text):
        stars = text.index("*", m.start())
        if stars < pos:
            continue
        start = stars
        while start > pos and text[start - 1].isspace():
            start -= 1
        if start > 0 and text[start - 1] != "\n":  # the match starts at a line start
            start = text.index("\n", start) + 1
        end = stars + 5
        while end < len(text) and text[end].isspace():
            end += 1
        if end < len(text):  # blanks are taken up to the last line break before the next text
            end = text.rindex("\n", stars + 5, end)
        out += [text[pos:start], "_" * 32]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def unflow(text: str, delsp: bool = False) -> str:
    """Text sent as ``format=flowed`` (RFC 3676) with its soft line breaks joined again.

    Thunderbird and Apple Mail wrap long lines, header lines of a forward included, with a trailing space that
    marks the break as soft; read as they arrive, a wrapped ``From:`` puts its address on a line of its own. A
    line ending in a space joins the next one of the same quote depth; one pass over the lines.
    """
    out: list[str] = []
    joining, out_depth = False, 0
    for raw in text.replace("\r\n", "\n").split("\n"):
        depth = len(raw) - len(raw.lstrip(">"))
        line = raw[depth:]
        if line.startswith(" "):  # space-stuffed
            line = line[1:]
        soft = line.endswith(" ") and line != "-- "
        if soft and delsp:
            line = line[:-1]
        if joining and out and depth == out_depth:
            out[-1] += line
        else:
            out.append(">" * depth + (" " if depth else "") + line)
            out_depth = depth
        joining = soft
    return "\n".join(out)


def normalise(text: str) -> str:
    """Unix newlines, no byte-order marks or NULs, no trailing blanks (non-breaking spaces included)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").replace("\x00", "")
    return "\n".join(line.rstrip(" \t\xa0\u200b") for line in text.split("\n"))


_QUOTE_RUN = re.compile(r"^\s*((?:>\s?)+)")
_QUOTE_MARK = re.compile(r"^\s*> ?")


def quote_depth(line: str) -> int:
    if ">" not in line:  # most lines: no marker to look for
        return 0
    m = _QUOTE_RUN.match(line)
    return m.group(1).count(">") if m else 0


def strip_quote(line: str, levels: int = 99) -> str:
    """Remove up to ``levels`` leading ``>`` markers (each with one following space)."""
    for _ in range(levels):
        m = _QUOTE_MARK.match(line) if ">" in line else None
        if not m:
            break
        line = line[m.end():]
    return line


def clean_block(lines: list[str]) -> str:
    """Join lines, drop leading/trailing blank lines and a shared indent."""
    first, last = 0, len(lines)
    while first < last and not lines[first].strip():
        first += 1
    while last > first and not lines[last - 1].strip():
        last -= 1
    lines = lines[first:last]
    indents = [len(x) - len(x.lstrip(" ")) for x in lines if x.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(x[cut:] if x.strip() else "" for x in lines)


ON_BEHALF = re.compile(r"(?<!\s)\s++(on behalf of|im auftrag von|au nom de|namens|en nombre de|per conto di)\s+.*$",
                       re.I)
# The look-behind starts a match only where a run of address characters starts: linear in long runs.
EMAIL_RE = re.compile(r"(?<![\w.+'=-])[\w.+'=-]++@[\w-]++(?:\.[\w-]++)+")
MAX_ADDRESS_HEADER = 32_000  # characters of an address header read (a To: list of several hundred)


def _split_items(value: str) -> list[str]:
    items, chunk, quote, angle = [], "", "", 0
    for ch in value:
        if quote:
            quote = "" if ch == quote else quote
        elif ch == '"':
            quote = ch
        elif ch in "<[(":
            angle += 1
        elif ch in ">])":
            angle = max(0, angle - 1)
        elif ch in ",;" and not angle and "@" in chunk:
            items.append(chunk)
            chunk = ""
            continue
        chunk += ch
    items.append(chunk)
    return [i.strip() for i in items if i.strip(" ,;")]


def _clean_name(name: str) -> str:
    name = name.strip(" ,;")
    quoted = False
    while len(name) > 1 and name[0] in "\"'" and name[-1] == name[0]:
        name, quoted = name[1:-1].strip(), quoted or name[0] == '"'
    if quoted:  # inside an RFC 5322 quoted string, \" and \\ stand for " and \
        name = re.sub(r"\\(.)", r"\1", name)
    name = name.strip("\"'«»„“” ").strip()
    return "" if not name or EMAIL_RE.fullmatch(name) else name


def parse_address(item: str) -> Address | None:
    m = re.search(r"[<\[(]\s*+(?:mailto:)?\s*+(" + EMAIL_RE.pattern + r")\s*+[>\])]", item)
    if m:
        return Address(_clean_name(item[:m.start()] + item[m.end():]), m.group(1).lower())
    m = EMAIL_RE.search(item)
    if m:
        return Address(_clean_name(item[:m.start()] + item[m.end():]), m.group(0).lower())
    name = _clean_name(item)
    return Address(name, "") if name else None


def parse_address_list(value: str) -> list[Address]:
    """Addresses from a header value as mail clients print them (Outlook's ``[mailto:]``, ``on behalf of``…)."""
    value = (value or "")[:MAX_ADDRESS_HEADER]
    # No bracket inside: each unclosed "<mailto:" then scans only to the next bracket, never to the end.
    value = re.sub(r"<mailto:[^<>]*+>", "", value, flags=re.I)
    value = re.sub(r"\[mailto:([^\[\]]*+)\]", r"<\1>", value, flags=re.I)
    value = ON_BEHALF.sub("", value)
    found = (parse_address(i) for i in _split_items(value))
    return [a for a in found if a is not None]


SIGN_OFF = re.compile(
    r"^(best|best regards|kind regards|warm regards|regards|many thanks|thanks|thank you|thanks again|cheers|"
    r"sincerely|yours sincerely|all the best|br|mit freundlichen grüßen|mit freundlichen gruessen|viele grüße|"
    r"beste grüße|liebe grüße|grüße|lg|mfg|cordialement|bien cordialement|bien à vous|saludos|un saludo|"
    r"atentamente|cumprimentos|atenciosamente|abraços|met vriendelijke groet|groeten|hälsningar|"
    r"med vänliga hälsningar|mvh|med venlig hilsen|hilsen|pozdrawiam|s pozdravem|distinti saluti|cordiali saluti|"
    r"saluti|ystävällisin terveisin|terveisin|üdvözlettel|saygılarımla|с уважением|よろしくお願いします)[,.!]?$",
    re.IGNORECASE)
MOBILE = re.compile(
    r"^(sent from my \w+.*|sent from (outlook|mail|yahoo mail|gmail).*|get outlook for \w+.*|"
    r"von meinem \w+ gesendet.*|envoyé de mon \w+.*|enviado desde mi \w+.*|enviado do meu \w+.*|"
    r"inviato da(l mio)? \w+.*|verzonden met mijn \w+.*|skickat från min \w+.*|wysłane z mojego \w+.*)$",
    re.IGNORECASE)


SIGNATURE_SCAN_LINES = 400  # a signature is looked for in the last lines of a message only


def split_signature(text: str) -> tuple[str, str | None]:
    """Split ``text`` into (message, signature). Conservative: only a trailing block that looks like one."""
    lines = text.split("\n")
    first = max(0, len(lines) - SIGNATURE_SCAN_LINES)
    # Non-blank lines after each line, and the longest of them, counted once from the end (not once per line).
    after = [0] * (len(lines) + 1)
    longest = [0] * (len(lines) + 1)
    for i in range(len(lines) - 1, first - 1, -1):
        filled = bool(lines[i].strip())
        after[i] = after[i + 1] + filled
        longest[i] = max(longest[i + 1], len(lines[i]) if filled else 0)
    cut = None
    for i in range(first, len(lines)):
        line, rest, widest = lines[i], after[i + 1], longest[i + 1]
        if rest > 12:
            continue
        if line in ("-- ", "--"):
            cut = i
            break
        stripped = line.strip()
        if MOBILE.match(stripped) and rest <= 2:
            cut = i
            break
        if SIGN_OFF.match(stripped) and rest <= 6 and widest <= 60:
            cut = i
            break
    if cut is None:
        return text, None
    body = clean_block(lines[:cut])
    if not body.strip():
        return text, None  # a message that is only a sign-off is still the message
    return body, clean_block(lines[cut:]) or None


# Month names by their first letters in the languages the forward corpus covers; enough for best effort.
MONTHS = {
    1: "jan ene gen sty led tam leden styczeń січ янв ocak siječ tammi ian janv 1月",
    2: "feb fév fev lut úno uno hel фев лют şub velj helmi febr",
    3: "mar mär maa bře bre mrt мар бер ožu maalis märz márc",
    4: "apr avr abr kwi dub huh апр кві nis trav huhti ápr",
    5: "may mai mei mag maj kvě kve tou мая май тра svib touko máj",
    6: "jun jui giu cze čer cer kes июн чер haz lip kesä jún",
    7: "jul juil lug lip čec cec hei июл лип tem srp heinä júl",
    8: "aug aoû aou ago sie srp elo авг сер ağu kol elo",
    9: "sep set wrz zář zar syy сен вер eyl ruj syys szept",
    10: "oct okt ott out paź paz říj rij lok окт жов eki lis lokak",
    11: "nov lis list noi ноя лис kas stu marras",
    12: "dec déc dez dic gru pro jou дек гру ara pro joulu",
}
_MONTH_WORDS = sorted(((w, n) for n, ws in MONTHS.items() for w in ws.split()), key=lambda x: -len(x[0]))
_MONTH_OF: dict[str, int] = {}  # month word -> month; a word listed for two months keeps the first
for _w, _n in _MONTH_WORDS:
    _MONTH_OF.setdefault(_w, _n)
_LONGEST_MONTH = max(len(w) for w in _MONTH_OF)


def _month(low: str) -> int | None:
    """The month whose word starts ``low`` (the longest such word), unless more than 9 characters follow it."""
    for k in range(min(len(low), _LONGEST_MONTH), 0, -1):
        month = _MONTH_OF.get(low[:k])
        if month is not None:
            return month if len(low) <= k + 9 else None
    return None
_EN = ["", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


# The English client dates forwards carry most ("Mon, 2 Mar 2026 at 08:05", "Monday, March 2, 2026 9:05 AM"),
# read without the general parser below; a property test checks both give the same.
_EN_MONTH = {name: n for n, name in enumerate(("january february march april may june july august september "
                                               "october november december").split(), start=1)}
_EN_MONTH |= {name.lower(): n for n, name in enumerate(_EN) if name} | {"sept": 9}
_EN_WEEKDAYS = frozenset("mon tue tues wed thu thur thurs fri sat sun monday tuesday wednesday thursday friday "
                         "saturday sunday".split())
_CLIENT_DATE = re.compile(
    r"(?:(?P<weekday>[A-Za-z]{3,9}),? +)?(?:(?P<day>\d{1,2}) +(?P<month>[A-Za-z]{3,9})|"
    r"(?P<month2>[A-Za-z]{3,9}) +(?P<day2>\d{1,2}),?) +(?P<year>\d{4}),? +(?:at +)?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?(?:[ \u202f](?P<half>[AaPp][Mm]))?")


def _client_date(value: str) -> str | None:
    m = _CLIENT_DATE.fullmatch(value.strip())
    if m is None or (m["weekday"] and m["weekday"].lower() not in _EN_WEEKDAYS):
        return None
    month = _EN_MONTH.get((m["month"] or m["month2"]).lower())
    hour = int(m["hour"])
    if month is None or not 1970 <= int(m["year"]) <= 2100:
        return None
    if m["half"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m["half"].lower() == "pm" else 0)
    try:
        return datetime(int(m["year"]), month, int(m["day"] or m["day2"]), hour, int(m["minute"]),
                        int(m["second"] or 0)).isoformat()
    except ValueError:
        return None


def parse_date(value: str | None) -> str | None:
    """ISO-8601 from an RFC 5322 or a localised client date ("26. Oktober 2021 um 14:25"), else None."""
    if not value or not value.strip() or len(value) > 300:  # no date is written in more; parsing long text is slow
        return None
    from email.utils import parsedate_to_datetime

    if not re.search(r"\b[ap]\.?m\b", value, re.IGNORECASE):  # the RFC parser misreads 12-hour clocks
        try:
            return parsedate_to_datetime(value.strip()).isoformat()
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    if (found := _client_date(value)) is not None:
        return found
    return _localised_date(value)


def _localised_date(value: str) -> str | None:
    # Apple Mail writes "GMT+9" / "GMT-4:30"; dateutil would read the POSIX sign (inverted), so spell it out.
    value = re.sub(r"\b(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b",
                   lambda z: f" {z.group(1)}{int(z.group(2)):02d}:{z.group(3) or '00'}", value)
    m = re.search(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:.*?(\d{1,2}:\d{2}(?::\d{2})?))?", value)
    if m:
        value = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d} {m.group(4) or ''}"
    words = []
    for token in re.split(r"(\s+)", value):
        low = token.lower().strip(".,")
        month = _month(low)
        if month and token.strip() and not low.isdigit():
            words.append(_EN[month])
        elif re.search(r"[^\W\d_]", token) and low not in {"am", "pm", "utc", "gmt"} and not re.match(r"[+-]\d", low):
            words.append(" ")  # weekday names, "um", "à", zone abbreviations: noise for the parser
        else:
            words.append(token.replace("klo", "").strip(",") if token.strip() else token)
    cleaned = re.sub(r"(\d{1,2})\.(\d{2})\.(\d{2})\b(?!\.\d)", r"\1:\2:\3", "".join(words))
    cleaned = re.sub(r"\b(\d{1,2})\.(\d{2})\b(?![.\d])", r"\1:\2", cleaned)
    try:
        import warnings

        from dateutil import parser as dateparser

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Year-first dates (2026-03-04, 2026/03/04, the CJK form) are always year-month-day.
            year_first = re.match(r"\s*\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]", cleaned) is not None
            parsed = dateparser.parse(cleaned, fuzzy=True, dayfirst=not year_first, yearfirst=year_first)
    except (ValueError, OverflowError, TypeError):
        return None
    return parsed.isoformat() if 1970 <= parsed.year <= 2100 else None
