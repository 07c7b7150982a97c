"""A token bucket that never lets more than ``rate`` sends start in any second."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Spaces sends at least ``1/rate`` seconds apart (no burst: a bucket of one token),
    so no one-second window holds more than ``rate`` sends (an integer rate; a fractional
    one rounds up). ``rate=None`` lifts
    the limit. The clock and sleep are injectable for tests."""

    def __init__(self, rate: float | None, *, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("the send rate must be a positive number of messages per second")
        self.interval = 0.0 if rate is None else 1.0 / rate
        self._monotonic, self._sleep = monotonic, sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait until the next send may start."""
        if not self.interval:
            return
        with self._lock:  # dispatch workers share one limiter
            self._wait()

    def _wait(self) -> None:
        now = self._monotonic()
        while now < self._next:  # sleep may wake early; never send before the slot
            self._sleep(self._next - now)
            now = self._monotonic()
        # From the actual send time: a late wake-up must not let the next send catch up.
        self._next = now + self.interval
