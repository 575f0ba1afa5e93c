"""Request pacing shared by the API clients.

A :class:`Pacer` keeps requests of one kind (a *lane*, such as ``"search"``) a minimum interval apart,
holds a lane back after the server said "too many", and paces a lane on the server's rolling window: it
remembers when it sent each request of the window and, from the headroom the server reports, how many of the
window's requests came from elsewhere, and sends the next one when the window has room for it.
:func:`wait_from_headers` reads ``Retry-After`` and reset headers; :meth:`Pacer.backoff` gives jittered
exponential waits for 5xx answers and timeouts. Sleep and clock are injected so tests never really sleep.

A pacer is shared by threads: each lane has its own queue, so threads waiting for the search lane line up
behind each other while requests on other lanes go ahead.
"""

from __future__ import annotations

import random
import threading
import time
from bisect import bisect_right
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


@dataclass(frozen=True)
class _Window:
    """A lane's rolling window as last reported: its length and limit, and the requests in it sent elsewhere."""

    interval: float
    limit: float
    others: float
    sent_at: float  # when the request that reported it was sent


@dataclass
class Pacer:
    """Spaces requests per lane and keeps each lane inside the server's rolling window."""

    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    min_intervals: Mapping[str, float] = field(default_factory=dict)
    cushion: float = 0.05  # share of a window left free for requests in flight on other threads
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rand: Callable[[], float] = random.random
    _last: dict[str, float] = field(default_factory=dict, init=False)
    _not_before: dict[str, float] = field(default_factory=dict, init=False)
    _sent: dict[str, list[float]] = field(default_factory=dict, init=False)  # send times, the last two windows
    _windows: dict[str, _Window] = field(default_factory=dict, init=False)
    _queues: dict[str, threading.Lock] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    slept: float = field(default=0.0, init=False)

    def wait(self, lane: str = "default") -> float:
        """Sleep until ``lane`` may send again, mark the send, and return the seconds slept.

        Callers on one lane queue behind each other; callers on other lanes are not held up. The minimum
        interval counts from the previous send as it happened (a late send never shortens the next gap). A hold
        or a headroom report that arrives while waiting is honoured too.
        """
        with self._queue(lane):
            slept = 0.0
            while (pause := self._ready(lane) - self.clock()) > 0:
                self.pause(pause)
                slept += pause
            with self._lock:
                self._last[lane] = now = self.clock()
                self._remember(lane, now)
            return slept

    def _remember(self, lane: str, now: float) -> None:
        """Log a send; sends older than two windows can explain no report and are dropped (the last 1,000 are
        kept while the window is unknown)."""
        sent = self._sent.setdefault(lane, [])
        sent.append(now)
        window = self._windows.get(lane)
        keep_from = bisect_right(sent, now - 2 * window.interval) if window else len(sent) - 1000
        if keep_from > 0:
            del sent[:keep_from]

    def _queue(self, lane: str) -> threading.Lock:
        with self._lock:
            return self._queues.setdefault(lane, threading.Lock())

    def _ready(self, lane: str) -> float:
        """The earliest time ``lane`` may send."""
        with self._lock:
            ready = self._not_before.get(lane, float("-inf"))
            if lane in self._last:
                ready = max(ready, self._last[lane] + self.min_intervals.get(lane, 0.0))
            window = self._windows.get(lane)
            if window is not None:
                ready = max(ready, self._room_at(lane, window))
            return ready

    def _room_at(self, lane: str, window: _Window) -> float:
        """When the rolling window has room for one more of this lane's requests, keeping the cushion free."""
        sent = self._sent.get(lane, [])
        room = int(window.limit - window.others - max(1.0, window.limit * self.cushion))
        if room <= 0:  # the window is taken up elsewhere: wait it out, as HubSpot advises
            return window.sent_at + window.interval
        first = bisect_right(sent, self.clock() - window.interval)
        if len(sent) - first < room:
            return float("-inf")
        return sent[len(sent) - room] + window.interval  # once it leaves the window, room - 1 of ours are in it

    def hold(self, seconds: float, lane: str = "default") -> None:
        """Keep ``lane`` quiet for ``seconds`` from now (after a rate-limit answer)."""
        with self._lock:
            until = self.clock() + max(0.0, seconds)
            self._not_before[lane] = max(self._not_before.get(lane, until), until)

    def observe(
        self, remaining: float | None, limit: float | None, interval: float | None, lane: str = "default",
        sent_at: float | None = None,
    ) -> None:
        """Note the headroom the server reports for ``lane``'s rolling window of ``limit`` per ``interval`` s.

        What the window held beyond the requests this pacer sent in the ``interval`` before ``sent_at`` (when the
        request that got the report was sent; now if not given) came from elsewhere, another process on the same
        account; the lane then sends while the window has room for one more besides those and the cushion. A
        report on an earlier request than the last one's is stale and ignored. Without a limit, nothing left
        holds the lane for a whole window.
        """
        if remaining is None or not interval:
            return
        if not limit:
            if remaining <= 0:
                self.hold(interval, lane)
            return
        with self._lock:
            sent_at = self.clock() if sent_at is None else sent_at
            previous = self._windows.get(lane)
            if previous is not None and previous.sent_at > sent_at:
                return
            sent = self._sent.get(lane, [])
            ours = bisect_right(sent, sent_at) - bisect_right(sent, sent_at - interval)
            self._windows[lane] = _Window(interval, limit, max(0.0, limit - remaining - ours), sent_at)

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
