"""Pure email parser: one raw RFC 822 message in, one :class:`ParsedEmail` out. Never raises.

It finds who the real customer is behind forwards (inline header blocks in many languages and clients,
or a message attached as ``message/rfc822``), the customer's own words, the forwarder's note,
attachments, and whether the mail is a report, an auto-reply or a bounce.
"""

from __future__ import annotations

import dataclasses
import email
import hashlib
import json
import mimetypes
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header
from email.message import Message

from core.domains import registrable_domain
from ingest import bigparts, forward
from ingest.bigparts import BIG_PART_BYTES, Body, Cuts
from ingest.customer import customer_level
from ingest.customer import notes as _notes
from ingest.forward import Level, strip_subject
from ingest.mailtext import (
    Address,
    decode_bytes,
    html_to_text,
    normalise,
    parse_address_list,
    parse_date,
    split_signature,
    unflow,
    valid_text,
)
from ingest.mimeheaders import POLICY

__all__ = ["Address", "Attachment", "ParsedEmail", "parse", "main_parse"]

KINDS = ("report", "auto_reply", "bounce")
MAX_HEADER_CHARS = 64_000  # of one header read; longer ones are cut (hostile input, never real mail)
ENCRYPTED_NOTE = "[This message is encrypted ({how}); its content cannot be read here.]"


@dataclass(frozen=True)
class Attachment:
    """A file that came with the mail; its bytes never reach JSON.

    Small files carry ``data``; big ones carry ``body`` instead, decoded in chunks from the raw message when read.
    Both are None when the file was over the size cap.
    """

    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes | None = field(default=None, repr=False)
    body: Body | None = field(default=None, repr=False, compare=False)

    @property
    def has_content(self) -> bool:
        return self.data is not None or self.body is not None

    def chunks(self) -> Iterator[bytes | memoryview]:
        """The file's bytes in pieces (nothing when it was over the cap)."""
        if self.data is not None:
            yield self.data
        elif self.body is not None:
            yield from self.body.chunks()

    def as_json(self) -> dict[str, object]:
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class ParsedEmail:
    """Everything intake needs from one message."""

    message_id: str
    kind: str
    kind_reason: str | None
    forwarded: bool
    forwarded_by: Address | None
    customer: Address | None
    sender: Address | None
    subject: str
    date: str | None
    body: str
    note: str | None
    attachments: tuple[Attachment, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    auth: dict[str, str] = field(default_factory=dict)
    quoted_chain: str | None = None
    # Context from the forwarded header block (the first forwarded message), when there is one.
    original_sender: Address | None = None
    original_to: tuple[Address, ...] = ()
    original_cc: tuple[Address, ...] = ()
    signature: str | None = None

    def to_json(self, file: str) -> dict[str, object]:
        person = lambda a: a.as_json() if a else None  # noqa: E731
        return {"file": file, "message_id": self.message_id, "kind": self.kind, "forwarded": self.forwarded,
                "forwarded_by": person(self.forwarded_by), "customer": person(self.customer),
                "subject": self.subject, "date": self.date, "body": self.body, "note": self.note,
                "attachments": [a.as_json() for a in self.attachments]}


@dataclass
class _Parts:
    """What a walk over the MIME tree collects."""

    texts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    attached_messages: list[Message] = field(default_factory=list)
    message_files: list[Attachment] = field(default_factory=list)  # the attachment each attached message made
    encrypted: str | None = None
    cuts: Cuts | None = None  # big bodies cut out before parsing (see ingest.bigparts)


# ---- headers -----------------------------------------------------------------------------------------------

def header_text(msg: Message, name: str) -> str:
    """A header decoded by hand: RFC 2047 words with lying charsets and raw 8-bit bytes both survive."""
    wanted = name.lower()
    try:
        raw = next((v for k, v in msg.raw_items() if k.lower() == wanted), None)
    except Exception:
        raw = None
    if raw is None:
        return ""
    raw = re.sub(r"\r?\n[ \t]", " ", str(raw)[:MAX_HEADER_CHARS])
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        raw = decode_bytes(raw.encode("utf-8", "surrogateescape"), None)
    try:
        pieces = decode_header(raw)
    except Exception:
        return valid_text(raw.strip())
    out = []
    for chunk, charset in pieces:
        out.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return valid_text("".join(out).strip())


def _address(msg: Message, name: str) -> Address | None:
    found = [a for a in parse_address_list(header_text(msg, name)) if a.address]
    return found[0] if found else None


def _ids(value: str) -> list[str]:
    found = re.findall(r"<([^<>\s]+)>", value)
    return found or [v for v in value.split() if v]


def _inbox_domains(msg: Message) -> tuple[str, ...]:
    """Without configured company domains, the inbox's own domain stands in for them.

    The inbox is ours, so whoever forwards from its domain is staff: its registrable domain, since the inbox is
    often on a subdomain (``bugs@support.ourco.com``) while staff write from ``ourco.com``. This only decides who
    the customer is; trust never comes from a header anyone could write.
    """
    for name in ("Delivered-To", "X-Original-To", "To"):
        found = _address(msg, name)
        if found:
            return (registrable_domain(found.address.rpartition("@")[2]),)
    return ()


def _auth(msg: Message) -> dict[str, str]:
    """Results from the topmost Authentication-Results header: the one our own server added (lower ones may be
    forged by the sender). The first result per method is kept, plus every domain that passed it."""
    value = header_text(msg, "Authentication-Results")
    result: dict[str, str] = {}
    passed: dict[str, list[str]] = {}
    for m in re.finditer(r"\b(dkim|spf|dmarc)\s*=\s*([\w-]+)(?P<props>[^;]*)", value, re.IGNORECASE):
        method, verdict = m.group(1).lower(), m.group(2).lower()
        # Properties of one result are short; a hostile header could make this search quadratic in its length.
        domain = re.search(r"header\.d=([\w.-]+)|header\.i=[^@\s;]*@([\w.-]+)|header\.from=([\w.-]+)|"
                           r"smtp\.mailfrom=(?:[^@\s;]*@)?([\w.-]+)", m.group("props")[:1000], re.IGNORECASE)
        found = next(g for g in domain.groups() if g).lower() if domain else ""
        if method not in result:
            result[method] = verdict
            if found:
                result[f"{method}_domain"] = found
        if verdict == "pass" and found:
            passed.setdefault(method, []).append(found)
    for method, domains in passed.items():
        result[f"{method}_pass_domains"] = ",".join(domains)
    return result


AUTO_REPLY_SUBJECT = re.compile(
    r"\s*(automatic reply|auto-?reply|autoreply|out of (?:the )?office|abwesenheitsnotiz|automatische antwort|"
    r"réponse automatique|absence du bureau|respuesta automática|fuera de la oficina|risposta automatica|"
    r"fuori sede|automatisch antwoord|afwezig|resposta automática|ausente do escritório|automatisk svar|"
    r"frånvaro|automaattinen vastaus|autoodpowiedź|automatická odpověď|自動応答|自动回复|不在)\s*[:：-]",
    re.IGNORECASE)


BOUNCE_SUBJECT = re.compile(
    r"\s*(undeliverable|undelivered mail returned to sender|delivery status notification \(failure\)|"
    r"mail delivery failed|returned mail|delivery failure|failure notice|unzustellbar|non remis|"
    r"no se puede entregar|non recapitabile|onbestelbaar)(?=\W|$)", re.IGNORECASE)


def classify(msg: Message) -> tuple[str, str | None]:
    """Report, auto-reply or bounce, with the header that decided it."""
    ctype = msg.get_content_type() if _safe(msg.get_content_type) else ""
    report_type = (_safe(lambda: msg.get_param("report-type")) or "")
    report_type = str(report_type).lower()
    sender = (_address(msg, "From") or Address("", "")).address
    if ctype == "multipart/report" and report_type == "delivery-status":
        return "bounce", "delivery-status report"
    if sender.split("@")[0] in ("mailer-daemon", "postmaster"):
        return "bounce", f"From {sender.split('@')[0]}"
    auto = header_text(msg, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return "auto_reply", f"Auto-Submitted: {auto.split(';')[0].strip()}"
    if ctype == "multipart/report":
        return "auto_reply", f"{report_type or 'unknown'} report"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if header_text(msg, name):
            return "auto_reply", f"{name}: {header_text(msg, name)}"
    precedence = header_text(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return "auto_reply", f"Precedence: {precedence}"
    lists = sorted({k for k, _ in _safe(msg.raw_items, []) if k.lower().startswith("list-")})
    if lists:
        return "auto_reply", f"{lists[0]} header"
    if header_text(msg, "Return-Path").replace(" ", "") == "<>":
        return "bounce", "empty Return-Path"
    # Some responders and mail servers set no header at all; their subject line still says what they are.
    subject = header_text(msg, "Subject")
    if found := BOUNCE_SUBJECT.match(subject):
        return "bounce", f"Subject: {found.group(1)}"
    if found := AUTO_REPLY_SUBJECT.match(subject):
        return "auto_reply", f"Subject: {found.group(1)}"
    return "report", None


def _safe(fn, default=None):
    try:
        return fn()
    except Exception:
        return default


# ---- MIME walk ---------------------------------------------------------------------------------------------

def _attachment(name: str, ctype: str, data: bytes, cap: int) -> Attachment:
    return Attachment(name, ctype, len(data), hashlib.sha256(data).hexdigest(), data if len(data) <= cap else None)


def _big_attachment(name: str, ctype: str, body: Body, cap: int) -> Attachment:
    size, sha = bigparts.digest(body.chunks())
    return Attachment(name, ctype, size, sha, None, body if size <= cap else None)


def _payload(part: Message, cuts: Cuts | None = None) -> bytes:
    if cuts is not None and cuts.holds(part):
        cuts.materialise(part)
    data = _safe(lambda: part.get_payload(decode=True))
    if isinstance(data, bytes):
        return data
    raw = _safe(part.get_payload, "")
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _part_text(part: Message, ctype: str, cuts: Cuts | None = None) -> str:
    text = decode_bytes(_payload(part, cuts), _safe(part.get_content_charset))
    if ctype == "text/html":
        return html_to_text(text)
    if str(_safe(lambda: part.get_param("format")) or "").lower() == "flowed":
        return unflow(text, str(_safe(lambda: part.get_param("delsp")) or "").lower() == "yes")
    return text


def _tnef(data: bytes, parts: _Parts, cap: int) -> bool:
    """Unpack Outlook's winmail.dat: its body becomes text, its files attachments. False if unreadable."""
    try:
        from tnefparse import TNEF

        tnef = TNEF(data, do_checksum=False)
    except Exception:
        return False
    body = tnef.body or (html_to_text(decode_bytes(tnef.htmlbody, None) if isinstance(tnef.htmlbody, bytes)
                                      else tnef.htmlbody) if tnef.htmlbody else None)
    if body:
        parts.texts.append(decode_bytes(body, None) if isinstance(body, bytes) else str(body))
    for att in tnef.attachments:
        name = _safe(att.long_filename) or _safe(lambda: att.name) or "attachment"
        payload = att.data if isinstance(att.data, bytes) else b""
        name = str(name).strip("\x00")
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        parts.attachments.append(_attachment(name, ctype, payload, cap))
    return True


def _walk(part: Message, parts: _Parts, cap: int, depth: int = 0) -> None:
    if depth > 40:
        return
    ctype = _safe(part.get_content_type, "text/plain") or "text/plain"
    filename = _safe(part.get_filename)
    disposition = (_safe(part.get_content_disposition) or "").lower()
    if ctype == "message/rfc822":
        inner = _safe(part.get_payload)
        inner = inner[0] if isinstance(inner, list) and inner else None
        if isinstance(inner, Message):
            parts.attached_messages.append(inner)
            parts.message_files.append(_message_attachment(inner, filename or "forwarded.eml", ctype, parts, cap))
            parts.attachments.append(parts.message_files[-1])
        return
    if ctype == "multipart/encrypted" or (ctype == "application/pkcs7-mime"
                                          and "signed" not in str(_safe(lambda: part.get_param("smime-type")))):
        parts.encrypted = "PGP/MIME" if ctype == "multipart/encrypted" else "S/MIME"
    if _safe(part.is_multipart, False):
        children = list(_safe(part.iter_parts, []) or [])
        if ctype == "multipart/alternative":
            plain = [c for c in children
                     if _safe(c.get_content_type) == "text/plain" and _part_text(c, "text/plain", parts.cuts).strip()]
            others = [c for c in children if _safe(c.get_content_type) not in ("text/plain", "text/html")]
            chosen = plain[:1] or [c for c in children if _safe(c.get_content_type) == "text/html"][:1]
            children = chosen + others
        for child in children:
            _walk(child, parts, cap, depth + 1)
        return
    is_file = disposition == "attachment" or (filename and disposition != "inline") or \
        (filename and not ctype.startswith("text/"))
    tnef = ctype in ("application/ms-tnef", "application/vnd.ms-tnef") or (filename or "").lower() == "winmail.dat"
    is_text = ctype in ("text/plain", "text/html") and not is_file
    name = filename or f"part.{ctype.split('/')[-1]}"
    if not (tnef or is_text) and parts.cuts is not None and parts.cuts.holds(part):
        found = _cut_attachment(part, name, ctype, parts.cuts, cap)
        if found is not None:
            parts.attachments.append(found)
            return
    data = _payload(part, parts.cuts)
    if tnef and _tnef(data, parts, cap):
        return
    if is_text:
        parts.texts.append(_part_text(part, ctype))
        return
    parts.attachments.append(_attachment(name, ctype, data, cap))


def _cut_attachment(part: Message, name: str, ctype: str, cuts: Cuts, cap: int) -> Attachment | None:
    """A big body read straight from the raw bytes; None when only a whole decode gives the stdlib's bytes."""
    body = cuts.body(part)
    try:
        if body is None:
            return None
        if cuts.size(part) <= bigparts.WHOLE_BYTES:  # held as bytes: hashed and stored without decoding it again
            return _attachment(name, ctype, body.read(), cap)
        return _big_attachment(name, ctype, body, cap)
    except bigparts.Unusual:
        return None


def _message_attachment(inner: Message, name: str, ctype: str, parts: _Parts, cap: int) -> Attachment:
    body = _safe(lambda: parts.cuts.serialised(inner)) if parts.cuts is not None else None
    if body is not None:
        return _big_attachment(name, ctype, body, cap)
    if parts.cuts is not None:  # cut bodies the swap could not place: put them back before serialising
        for p in list(_safe(inner.walk, []) or []):
            if parts.cuts.holds(p):
                parts.cuts.materialise(p)
    return _attachment(name, ctype, _safe(inner.as_bytes, b"") or b"", cap)


def _text_of(msg: Message, cap: int, cuts: Cuts | None = None) -> tuple[str, _Parts]:
    parts = _Parts(cuts=cuts)
    _walk(msg, parts, cap)
    text = normalise("\n\n".join(t for t in parts.texts if t.strip()))
    if parts.encrypted or "-----BEGIN PGP MESSAGE-----" in text:
        note = ENCRYPTED_NOTE.format(how=parts.encrypted or "PGP")
        text = note + "\n\n" + text if text.strip() else note
    return text, parts


# ---- assembling the result ---------------------------------------------------------------------------------

def _stable_id(raw: bytes) -> str:
    return "sha256:" + bigparts.stable_digest(raw)


# RFC 5322 msg-id: "<" left "@" right ">" in printable ASCII, optionally followed by a comment. Anything else
# ("<>", "<a b>", a bare word) is no identity at all: two different messages could carry it.
WELL_FORMED_ID = re.compile(r"\s*<(?P<id>[!-;=?A-~]{1,250}@[!-;=?A-~]{1,250})>\s*(?:\([^()]{0,200}\)\s*)?")


def message_id_of(value: str | None, raw: bytes) -> str:
    """The Message-ID when it is well-formed, otherwise a stable id from the message's bytes."""
    found = WELL_FORMED_ID.fullmatch(value or "")
    return found.group("id") if found else _stable_id(raw)


def _levels(msg: Message, text: str, parts: _Parts, subject: str, sender: Address | None,
            cap: int) -> tuple[bool, list[Level], list[Attachment]]:
    """The forward chain, following a message attached as message/rfc822 when there is no inline forward.

    Returns the message's attachments too: a message forwarded as an attachment is the message, so it is not one
    of them; its own files are.
    """
    forwarded, levels = forward.analyse(text, subject, sender)
    extra: list[Attachment] = list(parts.attachments)
    if not forwarded and parts.attached_messages:
        inner = parts.attached_messages[0]
        inner_text, inner_parts = _text_of(inner, cap, parts.cuts)
        inner_subject = header_text(inner, "Subject")
        _, inner_levels = forward.analyse(inner_text, inner_subject, _address(inner, "From"))
        inner_levels[0].headers = {k: header_text(inner, k.title()) for k in ("from", "to", "cc", "date", "subject")}
        levels = [levels[0], *inner_levels]
        used = parts.message_files[0]
        extra = [a for a in parts.attachments if a is not used] + inner_parts.attachments
        forwarded = True
    return forwarded, levels, extra


def _pick(levels: list[Level], order: list[int], key: str) -> str:
    return next((levels[k].headers.get(key, "") for k in order
                 if k < len(levels) and levels[k].headers.get(key, "").strip()), "")


def _message(raw: bytes, threshold: int | None) -> tuple[Message, Cuts | None]:
    """The parsed message, with big bodies cut out first (and found again) when there are any."""
    cuts = bigparts.cut(raw, threshold) if threshold is not None else None
    if cuts is not None:
        msg = email.message_from_bytes(cuts.reduced(), policy=POLICY)
        if cuts.bind(msg):
            return msg, cuts
    return email.message_from_bytes(raw, policy=POLICY), None


def _parse(raw: bytes, domains: tuple[str, ...], cap: int, threshold: int | None) -> ParsedEmail:
    msg, cuts = _message(raw, threshold)
    sender = _address(msg, "From") or _address(msg, "Sender")
    outer_subject = header_text(msg, "Subject")
    kind, reason = classify(msg)
    text, parts = _text_of(msg, cap, cuts)
    if kind == "bounce":  # a delivery report quotes or attaches the returned mail; it forwards nothing
        forwarded, levels = False, [forward.Level(sender, {}, text)]
        attachments = list(parts.attachments)
    else:
        forwarded, levels, attachments = _levels(msg, text, parts, outer_subject, sender, cap)
    domains = domains or _inbox_domains(msg)
    c = None if kind == "bounce" else customer_level(levels, domains, outer_subject)
    note = None
    if not forwarded:
        focus = 0
    else:
        focus = c if c is not None else 1
        if focus == 0 and not levels[0].own.strip() and not levels[0].below.strip():
            focus = 1  # the customer forwarded a thread without a word: their colleague's mail is the report
        if focus > 0:
            note = _notes(levels, focus)
    own = levels[focus].own
    if focus == 0 and levels[0].below.strip():
        own = "\n\n".join(x for x in (own, levels[0].below) if x.strip())
    body, signature = split_signature(own)
    order = [focus, 1] if focus else []
    first = levels[1] if forwarded and len(levels) > 1 else None
    return ParsedEmail(
        message_id=message_id_of(header_text(msg, "Message-ID"), raw),
        kind=kind, kind_reason=reason, forwarded=forwarded,
        forwarded_by=sender if forwarded else None,
        customer=levels[c].sender if c is not None else None,
        sender=sender,
        subject=strip_subject(_pick(levels, order, "subject") or outer_subject),
        date=parse_date(_pick(levels, order, "date")) or parse_date(header_text(msg, "Date")),
        body=body, note=note,
        attachments=tuple(attachments),
        in_reply_to=(_ids(header_text(msg, "In-Reply-To")) or [None])[0],
        references=tuple(_ids(header_text(msg, "References"))),
        auth=_auth(msg),
        quoted_chain=levels[focus].chain,
        original_sender=first.sender if first else None,
        original_to=tuple(parse_address_list(first.headers.get("to", ""))) if first else (),
        original_cc=tuple(parse_address_list(first.headers.get("cc", ""))) if first else (),
        signature=signature,
    )


def parse(raw: bytes, company_domains: tuple[str, ...] = (), *, max_attachment_bytes: int = 25 * 1024 * 1024,
          big_part_bytes: int | None = BIG_PART_BYTES) -> ParsedEmail:
    """Parse one raw message. Never raises: hostile input gives a best-effort (possibly empty) result.

    Bodies over ``big_part_bytes`` are read from ``raw`` in chunks rather than copied (None: never).
    """
    try:
        data = bytes(raw)
    except Exception:
        data = b""
    domains = tuple(company_domains or ())
    for threshold in dict.fromkeys((big_part_bytes, None)):
        try:
            return _valid(_parse(data, domains, max_attachment_bytes, threshold))
        except Exception:  # the chunked path failing must never cost a result the plain parse would give
            continue
    return _valid(_lenient(data))


def _valid(value):
    """Every text in a parse result as valid Unicode (see :func:`valid_text`), whatever path produced it.

    Whatever holds only valid text already is handed back as it is, not copied.
    """
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, tuple):
        items = tuple(_valid(v) for v in value)
        return value if all(a is b for a, b in zip(items, value)) else items
    if isinstance(value, dict):
        pairs = [(_valid(k), _valid(v)) for k, v in value.items()]
        return value if all(k is a and v is b for (k, v), (a, b) in zip(pairs, value.items())) else dict(pairs)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changed = {}
        for f in dataclasses.fields(value):
            old = getattr(value, f.name)
            if isinstance(old, (str, tuple, dict, Address)) and (new := _valid(old)) is not old:
                changed[f.name] = new
        return dataclasses.replace(value, **changed) if changed else value
    return value


def _lenient(data: bytes) -> ParsedEmail:
    """Last resort for a message the full parse cannot read: mail-parser's forgiving reading of the headers and
    text, and failing that an empty record. A message we cannot read is still a message to record."""
    try:
        import mailparser

        mail = mailparser.parse_from_bytes(data)
        sender = next((Address(name or "", address.lower()) for name, address in mail.from_ if address), None)
        return ParsedEmail(message_id=message_id_of(mail.message_id, data), kind="report", kind_reason=None,
                           forwarded=False, forwarded_by=None, customer=sender, sender=sender,
                           subject=strip_subject(mail.subject or ""),
                           date=mail.date.isoformat() if mail.date else None,
                           body=normalise("\n".join(mail.text_plain)).strip(), note=None)
    except Exception:  # nothing about this message can be trusted to parse
        return ParsedEmail(message_id=_stable_id(data), kind="report", kind_reason=None, forwarded=False,
                           forwarded_by=None, customer=None, sender=None, subject="", date=None, body="", note=None)


def main_parse(paths: list[str], company_domains: tuple[str, ...] = (), *,
               max_attachment_bytes: int = 25 * 1024 * 1024, budget_seconds: float = 0) -> int:
    """Print one JSON object per file, in order; an unreadable file, or one not read within ``budget_seconds``
    (0: no limit), gets an "error" line. Returns 1 on any error."""
    from ingest.budget import OverBudget, time_budget

    failed = 0
    for path in paths:
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            failed += 1
            print(json.dumps({"file": path, "error": f"{type(exc).__name__}: {exc.strerror or exc}"}), flush=True)
            continue
        try:
            with time_budget(budget_seconds):
                parsed = parse(raw, tuple(company_domains), max_attachment_bytes=max_attachment_bytes)
            line = json.dumps(parsed.to_json(path), ensure_ascii=False)
        except (OverBudget, Exception) as exc:  # one message must never stop the rest of the batch
            failed += 1
            line = json.dumps({"file": path, "error": f"{type(exc).__name__}: {exc}"})
        print(line, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover - convenience for debugging
    sys.exit(main_parse(sys.argv[1:]))
