"""The planner's plain data: who the participant is, what is done, and the reminders out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache

from diary.protocol.model import SIDE_EFFECTS
from diary.schedule import ScheduledWindow, instance_id, instance_id_sql

DIARY = "diary"
DIARY_NUDGE = "diary_nudge"
WINDOW_OPEN = "window_open"
WINDOW_CLOSING = "window_closing"
MISSED_DAYS = "coordinator_missed_days"
KINDS = (DIARY, DIARY_NUDGE, WINDOW_OPEN, WINDOW_CLOSING, MISSED_DAYS)
# Texts (not kinds) of the window messages about the side-effect checklist (issue 13).
SIDE_EFFECTS_OPEN = "side_effects_open"
SIDE_EFFECTS_CLOSING = "side_effects_closing"

PARTICIPANT = "participant"
COORDINATOR = "coordinator"


def _aware(name: str, value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{name} must be an aware datetime, not a naive one")


def parse_clock_time(value: time | str) -> time:
    """``"20:00"`` or a ``time`` -> a ``time`` (minutes only); ``ValueError`` otherwise."""
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError("a reminder time is local wall-clock time, without a zone")
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str):
        return _parse_clock_text(value)
    raise ValueError(f"reminder time {value!r} must be local wall-clock time as 'HH:MM'")


@lru_cache(maxsize=4096)  # a tick parses the same few times for thousands of participants
def _parse_clock_text(value: str) -> time:
    parts = value.strip().split(":")
    if len(parts) == 2 and all(p.isdigit() and len(p) == 2 for p in parts):
        hour, minute = int(parts[0]), int(parts[1])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ValueError(f"reminder time {value!r} must be local wall-clock time as 'HH:MM'")


@dataclass(frozen=True)
class PlannerParticipant:
    """What the planner needs to know about one participant.

    ``reminder_time`` is the participant's own evening time (local wall clock, ``"HH:MM"``
    or a ``time``); None means the protocol's ``reminders.daily_time``. Each ``*_at`` is the
    instant something happened; nothing is planned for sending at or after it
    (``opted_out_at`` and ``has_phone`` only silence participant messages: coordinator
    alerts go on, since a participant who stops texting is the one to call).
    """

    id: str
    timezone: str
    reminder_time: time | str | None = None
    has_phone: bool = True
    withdrawn_at: datetime | None = None
    opted_out_at: datetime | None = None
    follow_up_completed_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a participant needs an id")
        if self.reminder_time is not None:
            object.__setattr__(self, "reminder_time", parse_clock_time(self.reminder_time))
        for name in ("withdrawn_at", "opted_out_at", "follow_up_completed_at"):
            _aware(name, getattr(self, name))


@dataclass(frozen=True)
class Completed:
    """What is already done: diary dates with a current entry, fulfilled window ids
    (questionnaire responses), and dates with a current side-effect checklist."""

    diary_dates: frozenset[date] = field(default_factory=frozenset)
    windows: frozenset[str] = field(default_factory=frozenset)
    side_effect_dates: frozenset[date] = field(default_factory=frozenset)

    def __init__(self, diary_dates: Iterable[date] = (), windows: Iterable[str] = (),
                 side_effect_dates: Iterable[date] = ()) -> None:
        object.__setattr__(self, "diary_dates", frozenset(diary_dates))
        object.__setattr__(self, "windows", frozenset(windows))
        object.__setattr__(self, "side_effect_dates", frozenset(side_effect_dates))

    def fulfils(self, window: ScheduledWindow) -> bool:
        """Is ``window`` done: a response to it, or for a side-effect checklist window a
        checklist for one of its days (issue 13)."""
        if window.id in self.windows:
            return True
        return window.form == SIDE_EFFECTS and any(
            window.covers_date(d) for d in self.side_effect_dates)


NOTHING_DONE = Completed()


def reminder_key(participant_id: str, kind: str, target: str, attempt: int) -> str:
    """The outbox's idempotency key: a hash with unambiguous field separation.

    ``target`` is the diary date (ISO), the window id, or for a coordinator alert the
    first missed date of the streak. The send time is not part of it: a reminder moved by
    quiet hours or a changed reminder time keeps its key, so it is never sent twice.
    """
    return instance_id("reminder", participant_id, kind, target, attempt)


def reminder_key_sql(participant_id: str, kind: str, target: str, attempt: str) -> str:
    """``reminder_key`` as a PostgreSQL expression over SQL text expressions, for values
    ``instance_id`` writes as they are (``diary.schedule.as_is_sql``)."""
    return instance_id_sql("'reminder'", participant_id, kind, target, attempt)


@dataclass(frozen=True)
class Reminder:
    """One message to send once (its ``key`` is unique in the outbox).

    ``due_at`` and ``expires_at`` are UTC; send when ``due_at <= now < expires_at`` and drop
    it afterwards. ``local_time`` is ``due_at`` on the participant's wall clock;
    ``shifted_from`` the time it would have had without quiet hours (else None).
    ``attempt`` counts the messages about one task: 0 the first, 1 the follow-up
    (the nudge, the window-closing message).
    """

    key: str
    participant_id: str
    kind: str
    audience: str
    attempt: int
    due_at: datetime
    local_time: datetime
    expires_at: datetime
    template: str
    params: tuple[tuple[str, str], ...]
    diary_date: date | None = None
    window_id: str | None = None
    shifted_from: datetime | None = None

    @property
    def target(self) -> str:
        if self.window_id is not None:
            return self.window_id
        assert self.diary_date is not None
        return self.diary_date.isoformat()

    def param(self, name: str) -> str:
        return dict(self.params)[name]
