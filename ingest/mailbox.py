"""Reading saved mail for ``python -m ingest import PATH``: a .eml file, a folder of them, an mbox or a Maildir.

``read_messages`` yields ``(name, raw bytes)`` one message at a time, so a large mbox never sits in memory whole.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path

from core.errors import IngestError

MBOX_SUFFIXES = {".mbox", ".mbx"}
EML_SUFFIXES = {".eml"}


def read_messages(path: Path | str) -> Iterator[tuple[str, bytes]]:
    """Every message under ``path``, named so a failure can be traced back to its file (``file.mbox#3``)."""
    path = Path(path)
    if path.is_dir():
        yield from _read_folder(path)
    elif path.is_file():
        yield from _read_file(path, path.name)
    else:
        raise IngestError(f"{path}: no such file or folder")


def is_mbox(path: Path) -> bool:
    """An mbox starts with a ``From `` separator line; a single message starts with a header."""
    if path.suffix.lower() in MBOX_SUFFIXES:
        return True
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def _read_file(path: Path, name: str) -> Iterator[tuple[str, bytes]]:
    if is_mbox(path):
        yield from _read_mbox(path, name)
    else:
        yield name, path.read_bytes()


def _read_mbox(path: Path, name: str) -> Iterator[tuple[str, bytes]]:
    box = mailbox.mbox(path, create=False)
    try:
        for index, key in enumerate(box.iterkeys(), start=1):
            yield f"{name}#{index}", box.get_bytes(key)
    finally:
        box.close()


def _read_maildir(path: Path, name: str) -> Iterator[tuple[str, bytes]]:
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.iterkeys()):
        yield f"{name}/{key}", box.get_bytes(key)


def _read_folder(folder: Path) -> Iterator[tuple[str, bytes]]:
    if all((folder / sub).is_dir() for sub in ("cur", "new", "tmp")):
        yield from _read_maildir(folder, folder.name)
        return
    # Sorted so repeated imports walk the same order; hidden files (editor swap files, .DS_Store) are skipped.
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not _hidden(p, folder)):
        name = str(path.relative_to(folder))
        suffix = path.suffix.lower()
        if suffix in MBOX_SUFFIXES or (suffix not in EML_SUFFIXES and is_mbox(path)):
            yield from _read_mbox(path, name)
        elif suffix in EML_SUFFIXES:
            yield name, path.read_bytes()


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)
