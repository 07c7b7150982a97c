"""The send-rate limiter and the retry backoff of the outbox."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifications.outbox import backoff
from notifications.ratelimit import RateLimiter


class FakeTime:
    def __init__(self):
        self.t = 100.0
        self.sent: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.t += seconds


@given(st.integers(1, 500), st.lists(st.floats(0, 0.05), min_size=1, max_size=300))
def test_no_one_second_window_holds_more_than_the_rate(rate, gaps):
    clock = FakeTime()
    limiter = RateLimiter(rate, monotonic=clock.monotonic, sleep=clock.sleep)
    for gap in gaps:
        clock.t += gap  # the work between sends
        limiter.acquire()
        clock.sent.append(clock.t)
    for i, start in enumerate(clock.sent):
        in_window = [t for t in clock.sent[i:] if t < start + 1.0 - 1e-9]
        assert len(in_window) <= rate


def test_no_limit_never_waits():
    clock = FakeTime()
    limiter = RateLimiter(None, monotonic=clock.monotonic, sleep=clock.sleep)
    for _ in range(1000):
        limiter.acquire()
    assert clock.t == 100.0


def test_a_rate_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0)


def test_backoff_doubles_up_to_its_cap():
    seconds = [backoff(n).total_seconds() for n in range(1, 9)]
    assert seconds == [30, 60, 120, 240, 480, 960, 1800, 1800]
