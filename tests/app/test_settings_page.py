from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "settings.py")


def test_settings_page_shows_local_only_mode_and_every_setting(app_env) -> None:
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    assert "Local-only mode" in at.info[0].value
    table = at.dataframe[0].value
    assert "ROTADESK_DB" in table["setting"].tolist()
    assert table.set_index("setting").loc["ROTADESK_DB", "value"] == str(app_env.path)


def test_a_bad_setting_shows_an_error_not_a_traceback(app_env, monkeypatch) -> None:
    monkeypatch.setenv("ROTADESK_IMAP_PORT", "not-a-port")
    at = AppTest.from_file(PAGE, default_timeout=20).run()
    assert not at.exception
    assert "ROTADESK_IMAP_PORT" in at.error[0].value
