"""Reading saved mail for ``python -m ingest import``: .eml files, folders, mbox and Maildir."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from core.errors import IngestError
from ingest.mailbox import is_mbox, read_messages


def message(n: int, body: str = "") -> bytes:
    return (f"From: Customer <c{n}@acme.io>\nSubject: Bug {n}\nMessage-ID: <bug-{n}@acme.io>\n\n"
            f"Export {n} fails.{body}\n").encode()


def write_mbox(path: Path, raws: list[bytes]) -> None:
    box = mailbox.mbox(path)
    for raw in raws:
        box.add(raw)
    box.flush()
    box.close()


def test_one_eml_file_is_one_message(tmp_path):
    path = tmp_path / "bug.eml"
    path.write_bytes(message(1))

    assert list(read_messages(path)) == [("bug.eml", message(1))]


def test_a_folder_yields_its_eml_files_in_name_order_and_skips_the_rest(tmp_path):
    (tmp_path / "b.eml").write_bytes(message(2))
    (tmp_path / "a.eml").write_bytes(message(1))
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "c.EML").write_bytes(message(3))
    (tmp_path / "notes.txt").write_text("not mail")
    (tmp_path / ".a.eml.swp").write_bytes(b"editor junk")

    found = list(read_messages(tmp_path))

    assert [name for name, _ in found] == ["a.eml", "b.eml", "nested/c.EML"]
    assert [raw for _, raw in found] == [message(1), message(2), message(3)]


def test_an_mbox_yields_each_message_with_a_traceable_name(tmp_path):
    path = tmp_path / "export.mbox"
    write_mbox(path, [message(1), message(2, body="\nFrom the start of a line"), message(3)])

    found = list(read_messages(path))

    assert [name for name, _ in found] == ["export.mbox#1", "export.mbox#2", "export.mbox#3"]
    assert [b"<bug-%d@acme.io>" % n in raw for n, (_, raw) in enumerate(found, start=1)] == [True] * 3
    assert not any(raw.startswith(b"From ") for _, raw in found)  # the separator line is not part of the mail


def test_an_mbox_is_recognised_by_its_first_line_whatever_its_name(tmp_path):
    path = tmp_path / "Inbox"
    write_mbox(path, [message(1), message(2)])
    eml = tmp_path / "single"
    eml.write_bytes(message(3))

    assert is_mbox(path) and not is_mbox(eml)
    assert len(list(read_messages(path))) == 2
    assert [name for name, _ in read_messages(eml)] == ["single"]


def test_a_folder_can_hold_mboxes_beside_eml_files(tmp_path):
    (tmp_path / "a.eml").write_bytes(message(1))
    write_mbox(tmp_path / "b.mbox", [message(2), message(3)])

    assert [name for name, _ in read_messages(tmp_path)] == ["a.eml", "b.mbox#1", "b.mbox#2"]


def test_a_maildir_yields_every_message(tmp_path):
    box = mailbox.Maildir(tmp_path / "Maildir")
    for n in (1, 2):
        box.add(message(n))

    found = list(read_messages(tmp_path / "Maildir"))

    assert sorted(raw for _, raw in found) == sorted([message(1), message(2)])
    assert all(name.startswith("Maildir/") for name, _ in found)


def test_an_empty_folder_yields_nothing(tmp_path):
    assert list(read_messages(tmp_path)) == []


def test_a_missing_path_is_an_ingest_error(tmp_path):
    with pytest.raises(IngestError, match="no such file or folder"):
        list(read_messages(tmp_path / "nope"))
