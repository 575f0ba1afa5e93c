"""The moment tests run at: chosen, never read off the wall clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import time_machine

APP_NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)  # a Wednesday in the middle of a rotation week


@contextmanager
def clock_at(moment: datetime) -> Iterator[datetime]:
    """Run with the process clock at ``moment`` (it keeps ticking, so timeouts and waits still work)."""
    with time_machine.travel(moment, tick=True):
        yield moment
