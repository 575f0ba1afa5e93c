"""Which kept attachments travel, which are images, and the files section of an issue's description (issue 14)."""

from __future__ import annotations

import pytest

from core import files as fl
from core.store.intake import store_blob

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8


@pytest.mark.parametrize(("head", "kind"), [
    (PNG, "image/png"), (b"\xff\xd8\xff\xe0rest", "image/jpeg"), (b"GIF89a...", "image/gif"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"), (b"<svg xmlns='x'>", None), (b"<html>", None),
    (b"\xef\xbb\xbf<svg>", None), (b"", None), (b"RIFF\x00\x00\x00\x00WAVE", None),
])
def test_an_image_is_known_by_its_own_bytes(head: bytes, kind: str | None) -> None:
    assert fl.image_type(head) == kind


def test_only_kept_files_travel_each_content_once(tmp_path) -> None:
    sha = store_blob(tmp_path, PNG)[0]
    esc = {"attachments": [
        {"filename": "a.png", "sha256": sha, "size": 16, "stored": True},
        {"filename": "copy.png", "sha256": sha, "size": 16, "stored": True},  # the same bytes again
        {"filename": "big.iso", "sha256": "e" * 64, "size": 1 << 30, "stored": False},  # over the cap
        {"filename": "gone.txt", "sha256": "d" * 64, "size": 3, "stored": True},  # removed by retention
        {"filename": "odd", "sha256": "../../x", "stored": True},
    ]}
    assert [f.name for f in fl.files_of(esc, tmp_path)] == ["a.png"]


def test_the_files_section_is_set_in_place_and_the_rest_kept(tmp_path) -> None:
    sha = store_blob(tmp_path, PNG)[0]
    (f,) = fl.files_of({"attachments": [{"filename": "shot [1].png", "sha256": sha, "size": 16, "stored": True}]},
                       tmp_path)
    described = "### Customer context\n\n- **Tier:** Enterprise\n\n### Customer's message\n\nhello\n"
    once = fl.with_files(described, "r1", [(f, "https://uploads.linear.app/a/b")])
    assert once.startswith(described.rstrip("\n"))
    assert "### Customer's files (ref r1)\n\n- ![shot \\[1\\]\\.png](https://uploads.linear.app/a/b) (16 B)" in once
    assert fl.with_files(once, "r1", [(f, "https://uploads.linear.app/a/b")]) == once
    edited = once + "\n### Notes by a person\n\nkeep me\n"
    moved = fl.with_files(edited, "r1", [(f, "https://uploads.linear.app/c/d")])
    assert "uploads.linear.app/c/d" in moved and "a/b" not in moved and moved.endswith("keep me\n")
    other = fl.with_files(once, "r2", [])
    assert "(ref r1)" in other and "(ref r2)" in other  # another escalation on the issue has its own section
    assert "javascript" not in fl.with_files(described, "r1", [(f, "javascript:alert(1)")])
