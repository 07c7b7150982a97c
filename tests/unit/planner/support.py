"""Shared helpers for the planner tests: protocols, participants and a simulated tick loop.

``run_ticks`` plays the scheduler: at every tick it calls ``plan`` and puts each reminder
into an outbox keyed by its idempotency key (as the real outbox's unique index does), so
a key is sent once, at the first tick that sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from diary.protocol.loader import build_protocol, parse_protocol
from diary.protocol.model import Protocol
from diary.schedule import AnchorEvent, ParticipantRef, Schedule, schedule
from diary.timezones import zone
from notifications.planner import Completed, PlannerParticipant, Reminder, plan

PROTOCOLS = Path(__file__).resolve().parents[3] / "protocols"


def shipped(name: str) -> Protocol:
    return parse_protocol((PROTOCOLS / f"{name}.yaml").read_text(encoding="utf-8"))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(tz: str, *args: int) -> datetime:
    """A wall-clock instant in ``tz`` (first occurrence in a fold), as UTC."""
    return datetime(*args, tzinfo=zone(tz)).astimezone(UTC)


def study(*, reminders: dict[str, Any] | None = None, diary: dict[str, Any] | None = None,
          assessments: list[dict[str, Any]] | None = None) -> Protocol:
    """A small single-group protocol: a daily diary from enrolment, optional windows."""
    data: dict[str, Any] = {
        "key": "plan", "title": "Planner test", "timezone": "UTC", "design": "single_group",
        "anchors": [{"key": "surgery"}],
        "daily_diary": {"measure": "nrs_pain", "anchor": "enrolment", "from_day": 0,
                        "to_day": 60, "late_entry": {"days_after": 1, "until": "12:00"},
                        **(diary or {})},
        "assessments": assessments or [],
        "reminders": {"daily_time": "20:00", "window_open": True, **(reminders or {})},
    }
    return build_protocol(data)


def make_schedule(protocol: Protocol, tz: str, enrolled_at: datetime,
                  events: Iterable[AnchorEvent] = (), *, pid: str = "p-001",
                  sequence: str | None = None) -> Schedule:
    return schedule(protocol, ParticipantRef(pid, tz, enrolled_at, sequence=sequence),
                    list(events))


def ticks(start: datetime, end: datetime, every: timedelta = timedelta(minutes=5),
          *, down: Iterable[tuple[datetime, datetime]] = ()) -> Iterator[datetime]:
    """Tick instants from ``start`` (inclusive) to ``end`` (exclusive), skipping each
    ``[stop, restart)`` during which the scheduler was down."""
    gaps = list(down)
    at = start
    while at < end:
        if not any(stop <= at < restart for stop, restart in gaps):
            yield at
        at += every


@dataclass(frozen=True)
class Sent:
    reminder: Reminder
    at: datetime  # the tick that first returned it

    @property
    def local(self) -> str:
        """The send time on the participant's wall clock, ``YYYY-MM-DD HH:MM``."""
        return f"{self.reminder.local_time:%Y-%m-%d %H:%M}"


def run_ticks(protocol: Protocol, participant: PlannerParticipant, sched: Schedule,
              instants: Iterable[datetime], *, entries: dict[date, datetime] | None = None,
              windows_done: dict[str, datetime] | None = None) -> list[Sent]:
    """Every reminder sent over ``instants``, once per key, in send order.

    ``entries`` maps a diary date to the instant its entry arrives; ``windows_done`` a
    window id to the instant it is fulfilled.
    """
    entries, windows_done = entries or {}, windows_done or {}
    outbox: dict[str, Sent] = {}
    for now in instants:
        done = Completed((d for d, at in entries.items() if at <= now),
                         (w for w, at in windows_done.items() if at <= now))
        for reminder in plan(protocol, participant, sched, done, now):
            assert reminder.due_at <= now < reminder.expires_at
            outbox.setdefault(reminder.key, Sent(reminder, now))
    return sorted(outbox.values(), key=lambda s: (s.at, s.reminder.kind))


def by_kind(sent: list[Sent], kind: str) -> list[Sent]:
    return [s for s in sent if s.reminder.kind == kind]


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]
