"""Request pacing shared by the API clients.

A :class:`Pacer` keeps requests of one kind (a *lane*, such as ``"search"``) a minimum interval apart,
holds a lane back after the server said "too many", and slows down when the server reports little
headroom left. :func:`wait_from_headers` reads ``Retry-After`` and reset headers; :meth:`Pacer.backoff`
gives jittered exponential waits for 5xx answers and timeouts. Sleep and clock are injected so tests
never really sleep.

A pacer is shared by threads: each lane has its own queue, so threads waiting for the search lane line up
behind each other while requests on other lanes go ahead.
"""

from __future__ import annotations

import random
import threading
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
    pace_below: float = 0.5
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rand: Callable[[], float] = random.random
    _last: dict[str, float] = field(default_factory=dict, init=False)
    _not_before: dict[str, float] = field(default_factory=dict, init=False)
    _spacing: dict[str, float] = field(default_factory=dict, init=False)  # set while headroom is low
    _slot: dict[str, float] = field(default_factory=dict, init=False)  # when the last send was due
    _queues: dict[str, threading.Lock] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    slept: float = field(default=0.0, init=False)

    def wait(self, lane: str = "default") -> float:
        """Sleep until ``lane`` may send again, mark the send, and return the seconds slept.

        Callers on one lane queue behind each other; callers on other lanes are not held up. The minimum
        interval counts from the previous send as it happened (a late send never shortens the next gap), the
        headroom spacing from the previous send's slot (so oversleeping does not slow the lane down). A hold
        that arrives while waiting is honoured too.
        """
        with self._queue(lane):
            slept, start = 0.0, self.clock()
            while (pause := self._ready(lane) - self.clock()) > 0:
                self.pause(pause)
                slept += pause
            with self._lock:
                self._slot[lane] = max(start, self._ready(lane))
                self._last[lane] = self.clock()
            return slept

    def _queue(self, lane: str) -> threading.Lock:
        with self._lock:
            return self._queues.setdefault(lane, threading.Lock())

    def _ready(self, lane: str) -> float:
        """The earliest time ``lane`` may send (read under the lock or from the lane's own queue)."""
        ready = self._not_before.get(lane, float("-inf"))
        if lane in self._last:
            ready = max(ready, self._last[lane] + self.min_intervals.get(lane, 0.0),
                        self._slot[lane] + self._spacing.get(lane, 0.0))
        return ready

    def hold(self, seconds: float, lane: str = "default") -> None:
        """Keep ``lane`` quiet for ``seconds`` from now (after a rate-limit answer)."""
        with self._lock:
            until = self.clock() + max(0.0, seconds)
            self._not_before[lane] = max(self._not_before.get(lane, until), until)

    def observe(
        self, remaining: float | None, limit: float | None, interval: float | None, lane: str = "default"
    ) -> None:
        """Pace ``lane`` by the headroom the server reports for its window of ``interval`` seconds.

        With nothing left the lane holds for a window. Once less than ``pace_below`` of the limit is left, requests
        go ``interval / limit`` apart, the rate a rolling window frees slots at: the lane keeps running at the limit
        and the headroom left over stays as a cushion for requests already in flight on other threads. Below
        half of ``low_water`` the spacing grows as the headroom shrinks (at a steady rate a rolling window settles
        where ``remaining = limit - rate * interval``: with the default 10% that is about 5 of 100 left).
        """
        if remaining is None or not interval:
            return
        if remaining <= 0:
            self.hold(interval, lane)
        with self._lock:
            if limit and 0 < remaining < limit * self.pace_below:
                slow = max(1.0, limit * self.low_water / 2 / remaining)
                self._spacing[lane] = min(interval, interval / limit * slow)
            else:
                self._spacing.pop(lane, None)

    def backoff(self, attempt: int) -> float:
        """Sleep the jittered backoff for retry ``attempt`` and return it."""
        delay = self.policy.delay(attempt, self.rand)
        self.pause(delay)
        return delay

    def pause(self, seconds: float) -> None:
        with self._lock:
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
