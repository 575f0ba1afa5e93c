"""The customer's files: which of an escalation's attachments travel, how they are named and shown.

An attachment travels (to Linear and HubSpot) and can be downloaded when its bytes were kept: under the attachment
cap, stored under the data dir by content hash, not yet removed by retention. A file is an image only by its own
first bytes (PNG, JPEG, GIF, WebP), never by the name or type the sender gave it: an SVG or HTML "image" can run
script, so it is only ever offered for download as opaque bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.context import human_size
from core.markup import escape_markdown

DOWNLOAD_TYPE = "application/octet-stream"  # what every file that is not a verified image is served as
FILES_HEADING = "### Customer's files"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Types Linear and HubSpot may be told as they are; anything else (HTML, SVG, scripts) goes as opaque bytes.
PLAIN_TYPES = frozenset({"application/pdf", "text/plain", "text/csv", "application/json", "application/zip",
                         "application/gzip", "application/x-gzip"})


@dataclass(frozen=True)
class CustomerFile:
    """One kept attachment: its name as sent, its size, its content hash and where its bytes are."""

    name: str
    size: int
    sha256: str
    path: Path
    declared_type: str = ""

    @property
    def key(self) -> str:
        return self.sha256[:16]

    def read(self) -> bytes:
        return self.path.read_bytes()

    def image_type(self) -> str | None:
        """The image type its first bytes prove, else None."""
        with self.path.open("rb") as fh:
            return image_type(fh.read(16))

    def upload_type(self) -> str:
        """The type to declare when uploading: a proven image's, a harmless declared one, else opaque bytes."""
        declared = (self.declared_type or "").split(";")[0].strip().lower()
        return self.image_type() or (declared if declared in PLAIN_TYPES else DOWNLOAD_TYPE)

    def safe_name(self) -> str:
        """The name reduced to letters, digits, dots, dashes and underscores (at most 100), never empty."""
        name = _UNSAFE.sub("_", self.name).strip("._") or "attachment"
        if len(name) > 100:
            stem, dot, ext = name.rpartition(".")
            name = (stem[: 99 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:100]
        return name


def image_type(head: bytes) -> str | None:
    """PNG, JPEG, GIF or WebP by magic number; None for anything else (SVG and HTML included)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def files_of(escalation: Mapping[str, Any], folder: Path) -> list[CustomerFile]:
    """The escalation's attachments whose bytes are kept under ``folder``, each content once, in mail order."""
    found: dict[str, CustomerFile] = {}
    for a in escalation.get("attachments") or []:
        sha = str(a.get("sha256") or "")
        if not a.get("stored") or len(sha) != 64 or not all(c in "0123456789abcdef" for c in sha) or sha in found:
            continue
        path = folder / sha[:2] / sha
        if path.is_file():
            found[sha] = CustomerFile(str(a.get("filename") or "attachment"), int(a.get("size") or 0), sha, path,
                                      str(a.get("content_type") or ""))
    return list(found.values())


def with_files(description: str, ref: str, links: Sequence[tuple[CustomerFile, str]]) -> str:
    """``description`` with this escalation's files section (``links``: file and its asset URL) set in place.

    The section runs from its heading (one per escalation, by ``ref``) to the next ``### `` heading or the end;
    writing it again with the same files changes nothing, and everything else in the description stays.
    """
    heading = f"{FILES_HEADING} (ref {ref})"
    rows = []
    for f, url in links:
        if not url.startswith("https://") or any(c in url for c in " ()<>\n"):
            continue  # only a plain asset URL goes into the Markdown
        label = escape_markdown(f.name)
        rows.append(f"- {'!' if f.image_type() else ''}[{label}]({url}) ({human_size(f.size)})")
    block = [heading, "", *rows]
    lines = description.rstrip("\n").split("\n")
    if heading in lines:
        start = lines.index(heading)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("### ")), len(lines))
        tail = lines[end:]
        new = [*lines[:start], *block, *([""] if tail else []), *tail]
    else:
        new = [*lines, "", *block]
    return "\n".join(new) + "\n"

