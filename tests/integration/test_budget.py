"""Issue 17: the time budget holds in the main thread (a signal timer) and on the dashboard's threads (a child)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ingest.budget import OverBudget, probe, time_budget

ROOT = Path(__file__).resolve().parents[2]
STUCK_PARSER = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
import ingest.parse


def stuck(*args, **kwargs):
    while True:
        try:
            time.sleep(0.01)
        except Exception:
            pass


ingest.parse.parse = stuck
"""


def test_the_timer_gets_through_code_that_swallows_exceptions() -> None:
    started = time.monotonic()
    with pytest.raises(OverBudget, match="more than 0.3 s"):
        with time_budget(0.3):
            while True:
                try:
                    time.sleep(0.01)
                except Exception:  # noqa: S110 - what a parser's fallback looks like
                    pass
    assert time.monotonic() - started < 5


def test_a_finished_block_leaves_no_timer_behind() -> None:
    with time_budget(0.2):
        pass
    time.sleep(0.4)  # an alarm left armed would raise here


def run_in_thread(fn):
    result: list[BaseException | None] = []

    def target() -> None:
        try:
            fn()
            result.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            result.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    return result[0]


def test_off_the_main_thread_a_stuck_parse_is_killed_in_a_child(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "sitecustomize.py").write_text(STUCK_PARSER)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    raw = tmp_path / "m.eml"
    raw.write_bytes(b"From: a@b.co\r\nSubject: x\r\n\r\nhi\r\n")
    started = time.monotonic()
    assert isinstance(run_in_thread(lambda: probe(raw, 0.5)), OverBudget)
    assert time.monotonic() - started < 30
    monkeypatch.delenv("PYTHONPATH")
    assert run_in_thread(lambda: probe(raw, 20)) is None  # the real parser reads it in time
