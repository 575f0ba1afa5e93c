"""Pacing, header-derived waits and jittered backoff, with a fake clock (nothing really sleeps)."""

from __future__ import annotations

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


@pytest.mark.parametrize(
    ("remaining", "limit", "expected"),
    [(0, 100, 10.0), (5, 100, 2.0), (50, 100, 0.0), (None, 100, 0.0), (1, 100, 10.0)],
)
def test_observe_slows_down_as_headroom_runs_out(clock: Clock, remaining, limit, expected: float) -> None:
    p = pacer(clock, low_water=0.1)
    p.observe(remaining, limit, 10.0)
    assert p.wait() == pytest.approx(expected)


def test_backoff_sleeps_and_counts_what_it_slept(clock: Clock) -> None:
    p = pacer(clock, rand=lambda: 0.0, policy=RetryPolicy(base_delay=1.0))
    assert [p.backoff(n) for n in range(3)] == [0.5, 1.0, 2.0]
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert p.slept == pytest.approx(3.5)


def test_retry_after_in_seconds() -> None:
    assert wait_from_headers({"Retry-After": "7"}, now_epoch=0) == 7.0


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    later = datetime(2026, 3, 1, 12, 0, 30, tzinfo=timezone.utc)
    assert wait_from_headers({"Retry-After": format_datetime(later, usegmt=True)}, now_epoch=now.timestamp()) == pytest.approx(30.0)


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
