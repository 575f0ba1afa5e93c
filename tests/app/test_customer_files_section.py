"""The customer's files on an escalation's detail: proven images previewed, everything downloaded, nothing that
could run rendered (issue 14)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.files import DOWNLOAD_TYPE
from core.store import intake

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "escalations.py")
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")  # 1x1 pixel
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<html><body><script>alert(2)</script></body></html>"


def stored(app_env, name: str, kind: str, data: bytes, *, keep: bool = True) -> dict:
    folder = Path(app_env.path).parent / "data" / "attachments"
    sha = intake.store_blob(folder, data)[0] if keep else "f" * 64
    return {"filename": name, "content_type": kind, "size": len(data), "sha256": sha, "stored": keep}


def test_images_are_previewed_and_every_kept_file_downloads_as_opaque_bytes(app_env):
    files = [stored(app_env, "screen shot.png", "image/png", PNG), stored(app_env, "logo.png", "image/svg+xml", SVG),
             stored(app_env, "page.html", "image/png", HTML),
             stored(app_env, "big.zip", "application/zip", b"x", keep=False)]
    app_env.escalation(1, attachments=files)
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    images = at.get("image")
    assert len(images) == 1  # only the file whose bytes are a PNG; the SVG and HTML ones are not shown
    texts = [t.value for t in at.text]
    assert {f"screen shot.png ({len(PNG)} B)", f"logo.png ({len(SVG)} B)", f"page.html ({len(HTML)} B)"} <= set(texts)
    assert not any("svg" in i.url for img in images for i in img.proto.imgs)
    buttons = at.get("download_button")
    assert len(buttons) == 3  # the one not kept (over the cap) has nothing to download
    assert all(b.proto.label == "Download" for b in buttons)


def test_download_names_and_types_are_safe(app_env):
    from core import files as fl

    files = [stored(app_env, "../../etc/passwd<script>.svg", "image/svg+xml", SVG)]
    eid = app_env.escalation(1, attachments=files)
    (f,) = fl.files_of(intake.escalation(app_env.db, eid), Path(app_env.path).parent / "data" / "attachments")
    assert f.safe_name() == "etc_passwd_script_.svg" and f.image_type() is None
    assert f.upload_type() == DOWNLOAD_TYPE
