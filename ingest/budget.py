"""A time budget per message: parsing that takes longer is given up, so one message never stalls intake.

The parser is pure Python over hostile input. In the main thread (the worker, ``import``, ``replay``) a SIGALRM
timer raises :class:`OverBudget` inside it; that is a ``BaseException``, so the parser's own ``except Exception``
fallbacks cannot swallow it, and the timer fires again every 0.1 s in case a library swallowed it anyway.
Elsewhere (the dashboard serves sessions on threads, where signals cannot reach) the message is first parsed by
``python -m ingest parse`` in a child process that is killed when the budget runs out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFIRE_SECONDS = 0.1


class OverBudget(BaseException):
    """The time budget of one message ran out."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"over the time budget: reading the message took more than {seconds:g} s")
        self.seconds = seconds


def signals_available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`OverBudget` in the block once ``seconds`` have passed (main thread only; else no limit)."""
    if seconds <= 0 or not signals_available():
        yield
        return

    def expire(signum, frame) -> None:
        raise OverBudget(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, REFIRE_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def probe(raw_path: Path | str, seconds: float) -> None:
    """Parse the message at ``raw_path`` in a child process; :class:`OverBudget` when it is not done in time."""
    if seconds <= 0:
        return
    try:
        # The child applies the same budget itself; the timeout (with time to start Python) is the backstop.
        done = subprocess.run([sys.executable, "-m", "ingest", "parse", str(raw_path)], cwd=ROOT,
                              env={**os.environ, "ROTADESK_PARSE_BUDGET_SECONDS": f"{seconds:g}"},
                              timeout=seconds + 10, capture_output=True, check=False)
    except subprocess.TimeoutExpired:  # the child is killed by run() before this is raised
        raise OverBudget(seconds) from None
    if b'"error": "OverBudget' in done.stdout:
        raise OverBudget(seconds)


@contextmanager
def bounded(raw_path: Path | str, seconds: float) -> Iterator[None]:
    """The block under a time budget: a signal timer where one works, else a child-process probe first."""
    if signals_available():
        with time_budget(seconds):
            yield
    else:
        probe(raw_path, seconds)
        yield
