"""One injectable clock for the app, the scheduler and simulated studies.

Everything that asks "what time is it" goes through a ``Clock`` so that tests can
drive a whole study through daylight-saving changes without patching the system clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FrozenClock:
    """A clock that only moves when told to (tests, simulations, benchmarks)."""

    current: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def __post_init__(self) -> None:
        self.set(self.current)

    def now(self) -> datetime:
        return self.current

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.current = instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self.current = self.current + delta
