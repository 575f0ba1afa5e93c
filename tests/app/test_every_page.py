"""What every page does when Rotadesk cannot start: one clear error naming the setting, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGES = sorted(str(p) for p in (Path(__file__).resolve().parents[2] / "pages").glob("*.py"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: Path(p).stem)
def test_an_unopenable_database_is_one_clear_error(app_env, monkeypatch, tmp_path, page: str) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("ROTADESK_DB", str(tmp_path / "a-file" / "rotadesk.db"))
    at = AppTest.from_file(page, default_timeout=20).run()
    assert not at.exception
    assert at.error[0].value.startswith("Configuration problem: ROTADESK_DB: cannot open a database at ")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: Path(p).stem)
def test_a_bad_setting_is_one_clear_error(app_env, monkeypatch, page: str) -> None:
    monkeypatch.setenv("ROTADESK_WEEK_START", "someday")
    at = AppTest.from_file(page, default_timeout=20).run()
    assert not at.exception
    assert "ROTADESK_WEEK_START" in at.error[0].value


@pytest.mark.parametrize("page", PAGES[:1] + PAGES[-1:], ids=lambda p: Path(p).stem)
def test_a_database_from_a_newer_rotadesk_is_one_clear_error(app_env, page: str) -> None:
    from core.store.version import SCHEMA_VERSION

    app_env.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    at = AppTest.from_file(page, default_timeout=20).run()
    assert not at.exception
    assert at.error[0].value.startswith("Database problem: ") and "written by a newer Rotadesk" in at.error[0].value
