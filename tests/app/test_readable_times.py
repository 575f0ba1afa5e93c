"""Issue 19: on every page, with the demo's data, no table cell holds a raw ISO timestamp."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ingest.demo import build_demo
from tests.support.clock import APP_NOW

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(str(p) for p in (ROOT / "pages").glob("*.py"))
# A timestamp shown as a value (alone, or after a space, comma or bracket), not one inside an identifier such as
# a reply's key in the audit trail.
ISO_TIMESTAMP = re.compile(r"(?:^|[\s,(])\d{4}-\d\d-\d\dT\d\d:\d\d")


@pytest.fixture
def demo_env(app_env, tmp_path, monkeypatch):
    monkeypatch.setenv("ROTADESK_COMPANY_DOMAINS", "flowboard.io")
    build_demo(app_env.path, ROOT / "data" / "samples", today=APP_NOW.date(), data_dir=tmp_path / "data",
               feeds_dir=tmp_path / "static")
    return app_env


@pytest.mark.parametrize("page", PAGES, ids=lambda p: Path(p).stem)
def test_no_table_shows_a_raw_timestamp(demo_env, page: str) -> None:
    at = AppTest.from_file(page, default_timeout=30).run()
    assert not at.exception
    cells = [str(v) for frame in [*at.dataframe, *at.table] for v in frame.value.astype(str).to_numpy().ravel()]
    texts = [t.value for t in at.text]
    raw = sorted({c for c in [*cells, *texts] if ISO_TIMESTAMP.search(c)})
    assert raw == [], f"{Path(page).name} shows raw timestamps: {raw[:5]}"
