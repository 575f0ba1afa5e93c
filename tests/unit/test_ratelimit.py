"""Pacing, header-derived waits and jittered backoff, with a fake clock (nothing really sleeps)."""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from core.ratelimit import Pacer, RetryPolicy, header_number, wait_from_headers


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def pacer(clock: Clock, **kwargs) -> Pacer:
    return Pacer(sleep=clock.sleep, clock=clock, **kwargs)


@pytest.mark.parametrize("attempt", range(8))
@pytest.mark.parametrize("rand", [0.0, 0.5, 0.999])
def test_backoff_delay_grows_and_is_jittered_within_bounds(attempt: int, rand: float) -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    step = min(8.0, 0.5 * 2**attempt)
    delay = policy.delay(attempt, lambda: rand)
    assert step / 2 <= delay <= step
    assert delay == pytest.approx(step / 2 + rand * step / 2)


def test_backoff_never_exceeds_the_cap() -> None:
    assert max(RetryPolicy(max_delay=3.0).delay(n, lambda: 0.999) for n in range(30)) <= 3.0


def test_a_lane_with_a_minimum_interval_is_spaced_and_others_are_not(clock: Clock) -> None:
    p = pacer(clock, min_intervals={"search": 0.25})
    assert p.wait("search") == 0
    assert p.wait("search") == pytest.approx(0.25)
    clock.now += 1.0
    assert p.wait("search") == 0
    assert [p.wait() for _ in range(3)] == [0, 0, 0]
    assert clock.sleeps == [pytest.approx(0.25)]


def test_hold_keeps_a_lane_quiet_for_the_rest_of_the_wait(clock: Clock) -> None:
    p = pacer(clock)
    p.hold(10.0)
    clock.now += 4.0
    assert p.wait() == pytest.approx(6.0)
    assert p.wait("search") == 0  # other lanes are unaffected


class RollingWindow:
    """A server's rolling limit of ``limit`` requests per ``interval`` s on the fake clock, answering with headroom."""

    def __init__(self, clock: Clock, limit: int = 100, interval: float = 10.0) -> None:
        self.clock, self.limit, self.interval = clock, limit, interval
        self.hits: deque[float] = deque()
        self.refused = 0

    def receive(self) -> int:
        """Count a request arriving now; the headroom the answer reports."""
        while self.hits and self.hits[0] <= self.clock.now - self.interval:
            self.hits.popleft()
        if len(self.hits) >= self.limit:
            self.refused += 1
        else:
            self.hits.append(self.clock.now)
        return self.limit - len(self.hits)


def send_for(p: Pacer, server: RollingWindow, seconds: float, *, in_flight: int = 0, latency: float = 0.01) -> int:
    """Send as fast as ``p`` allows for ``seconds``, each request taking ``latency``; each answer is read
    ``in_flight`` sends later, as another thread's would be. Returns the requests sent."""
    answers: deque[tuple[int, float]] = deque()
    end, sent = server.clock.now + seconds, 0
    while True:
        p.wait()
        sent_at = server.clock.now
        if sent_at >= end:
            return sent
        sent += 1
        server.clock.now += latency
        answers.append((server.receive(), sent_at))
        if len(answers) > in_flight:
            remaining, asked_at = answers.popleft()
            p.observe(remaining, server.limit, server.interval, sent_at=asked_at)


@pytest.mark.parametrize("in_flight", [0, 1, 3])
def test_a_lane_runs_close_to_a_rolling_limit_and_never_over_it(clock: Clock, in_flight: int) -> None:
    server = RollingWindow(clock)
    sent = send_for(pacer(clock), server, 60.0, in_flight=in_flight)
    assert server.refused == 0
    assert sent >= 0.9 * 6 * server.limit  # six windows' worth, less the cushion


def test_requests_sent_elsewhere_leave_less_room(clock: Clock) -> None:
    server = RollingWindow(clock)
    for _ in range(60):  # another process on the same account, just now
        server.receive()
    p = pacer(clock)
    p.wait()
    p.observe(server.receive(), server.limit, server.interval)  # 61 in the window, 1 of them ours: 60 elsewhere
    start = clock.now
    assert send_for(p, server, 9.0) <= 100 - 60 - 1 - 5
    assert server.refused == 0
    clock.now = start + 10.0  # the other process's requests have left the window
    assert send_for(p, server, 10.0) >= 90
    assert server.refused == 0


def test_a_window_taken_up_elsewhere_is_waited_out(clock: Clock) -> None:
    p = pacer(clock)
    p.observe(0, 100, 10.0)
    assert p.wait() == pytest.approx(10.0)
    assert p.wait("search") == 0  # other lanes are unaffected


def test_nothing_left_without_a_known_limit_holds_the_lane_for_a_window(clock: Clock) -> None:
    p = pacer(clock)
    p.observe(0, None, 10.0)
    assert p.wait() == pytest.approx(10.0)
    p.observe(None, None, None)
    assert p.wait() == 0


def test_backoff_sleeps_and_counts_what_it_slept(clock: Clock) -> None:
    p = pacer(clock, rand=lambda: 0.0, policy=RetryPolicy(base_delay=1.0))
    assert [p.backoff(n) for n in range(3)] == [0.5, 1.0, 2.0]
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert p.slept == pytest.approx(3.5)


def test_a_thread_waiting_for_one_lane_does_not_hold_up_another(clock: Clock) -> None:
    sleeping, release = threading.Event(), threading.Event()

    def sleep(seconds: float) -> None:
        sleeping.set()
        release.wait(5)
        clock.sleep(seconds)

    p = Pacer(sleep=sleep, clock=clock, min_intervals={"search": 0.25})
    p.wait("search")
    waiter = threading.Thread(target=p.wait, args=("search",))
    waiter.start()
    try:
        assert sleeping.wait(5)  # the second search sleeps for its turn...
        assert p.wait("default") == 0  # ...while another lane goes at once
    finally:
        release.set()
        waiter.join(5)
    assert p.slept == pytest.approx(0.25)


def test_threads_on_one_lane_are_each_spaced_from_the_previous_send() -> None:
    sends: list[float] = []
    lock = threading.Lock()
    p = Pacer(min_intervals={"search": 0.02})  # the real clock and sleep

    def search() -> None:
        p.wait("search")
        with lock:
            sends.append(time.monotonic())

    threads = [threading.Thread(target=search) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    gaps = [b - a for a, b in zip(sorted(sends), sorted(sends)[1:])]
    assert len(sends) == 6 and min(gaps) >= 0.015  # a little under 0.02: the append comes after the mark


def test_a_hold_that_arrives_while_waiting_is_honoured(clock: Clock) -> None:
    p = pacer(clock, min_intervals={"search": 0.25})
    p.wait("search")
    held = []

    def sleep(seconds: float) -> None:
        if not held:
            held.append(seconds)
            p.hold(3.0, "search")  # a 429 answered meanwhile
        clock.sleep(seconds)

    p.sleep = sleep
    assert p.wait("search") == pytest.approx(3.0)


def test_retry_after_in_seconds() -> None:
    assert wait_from_headers({"Retry-After": "7"}, now_epoch=0) == 7.0


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    later = datetime(2026, 3, 1, 12, 0, 30, tzinfo=timezone.utc)
    assert wait_from_headers(
        {"Retry-After": format_datetime(later, usegmt=True)}, now_epoch=now.timestamp()
    ) == pytest.approx(30.0)


@pytest.mark.parametrize("reset", ["1772366445000", "1772366445"])  # epoch ms (Linear) and epoch seconds
def test_reset_headers_in_milliseconds_or_seconds(reset: str) -> None:
    assert wait_from_headers({"X-RateLimit-Requests-Reset": reset}, now_epoch=1772366440.0) == pytest.approx(5.0)


def test_a_reset_in_the_past_means_no_wait_and_no_header_means_unknown() -> None:
    assert wait_from_headers({"X-RateLimit-Reset": "10"}, now_epoch=100.0) == 0.0
    assert wait_from_headers({}, now_epoch=100.0) is None
    assert wait_from_headers({"Retry-After": "soon"}, now_epoch=100.0) is None


def test_header_number_ignores_garbage() -> None:
    assert header_number({"X": "12"}, "X") == 12.0
    assert header_number({"X": "n/a"}, "X") is None
    assert header_number({}, "X") is None
