"""Request pacing shared by the API clients.

A :class:`Pacer` keeps requests of one kind (a *lane*, such as ``"search"``) a minimum interval apart,
holds a lane back after the server said "too many", and slows down when the server reports little
headroom left. :func:`wait_from_headers` reads ``Retry-After`` and reset headers; :meth:`Pacer.backoff`
gives jittered exponential waits for 5xx answers and timeouts. Sleep and clock are injected so tests
never really sleep.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

# A reset header above this is epoch milliseconds (Linear), below it epoch seconds.
_EPOCH_MS_THRESHOLD = 10_000_000_000


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a client retries transient failures."""

    retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Wait before retry number ``attempt`` (0-based): half the exponential step plus jitter."""
        step = min(self.max_delay, self.base_delay * (2**attempt))
        return step / 2 + rand() * step / 2


@dataclass
class Pacer:
    """Spaces requests per lane and honours the server's reported headroom."""

    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    min_intervals: Mapping[str, float] = field(default_factory=dict)
    low_water: float = 0.1
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rand: Callable[[], float] = random.random
    _last: dict[str, float] = field(default_factory=dict, init=False)
    _not_before: dict[str, float] = field(default_factory=dict, init=False)
    slept: float = field(default=0.0, init=False)

    def wait(self, lane: str = "default") -> float:
        """Sleep until ``lane`` may send again, mark the send, and return the seconds slept."""
        now = self.clock()
        ready = self._not_before.get(lane, now)
        if lane in self._last:
            ready = max(ready, self._last[lane] + self.min_intervals.get(lane, 0.0))
        pause = max(0.0, ready - now)
        if pause > 0:
            self.pause(pause)
        self._last[lane] = self.clock()
        return pause

    def hold(self, seconds: float, lane: str = "default") -> None:
        """Keep ``lane`` quiet for ``seconds`` from now (after a rate-limit answer)."""
        until = self.clock() + max(0.0, seconds)
        self._not_before[lane] = max(self._not_before.get(lane, until), until)

    def observe(self, remaining: float | None, limit: float | None, interval: float | None, lane: str = "default") -> None:
        """Slow ``lane`` down when the server reports few requests left in its window of ``interval`` seconds."""
        if remaining is None or not interval:
            return
        if remaining <= 0:
            self.hold(interval, lane)
        elif limit and remaining < limit * self.low_water:
            # Spread what is left over the window rather than burst into a 429.
            self.hold(min(interval, interval / remaining), lane)

    def backoff(self, attempt: int) -> float:
        """Sleep the jittered backoff for retry ``attempt`` and return it."""
        delay = self.policy.delay(attempt, self.rand)
        self.pause(delay)
        return delay

    def pause(self, seconds: float) -> None:
        self.slept += seconds
        self.sleep(seconds)


def header_number(headers: Mapping[str, str], name: str) -> float | None:
    """The numeric value of header ``name``, or None when absent or not a number."""
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


def wait_from_headers(
    headers: Mapping[str, str],
    *,
    now_epoch: float,
    reset_headers: tuple[str, ...] = ("X-RateLimit-Requests-Reset", "X-RateLimit-Reset"),
) -> float | None:
    """Seconds to wait per ``Retry-After`` (seconds or HTTP date) or a reset header (epoch s or ms)."""
    retry_after = headers.get("Retry-After")
    if retry_after is not None:
        seconds = header_number(headers, "Retry-After")
        if seconds is not None:
            return max(0.0, seconds)
        try:
            return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now_epoch)
        except (TypeError, ValueError):
            pass
    for name in reset_headers:
        reset = header_number(headers, name)
        if reset is not None:
            if reset > _EPOCH_MS_THRESHOLD:
                reset /= 1000
            return max(0.0, reset - now_epoch)
    return None
