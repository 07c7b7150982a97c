"""The simulated trial: a clock jumping from event to event, the real scheduler and API.

Events are participant and coordinator actions (a heap ordered by instant, then by the
order they were planned) and reminder sends (the scheduler's own next due instant, read
from its cursors). At each instant the scheduler ticks if something is due, then the
actions run through the HTTP API. A reminder that went out can prompt the person it
reached: that is how reminders raise the chance of logging.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time as timer
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from diary.clock import FrozenClock
from diary.db.messaging import OutboxMessage, ReminderCursor
from diary.protocol.loader import parse_protocol
from diary.protocol.model import Protocol
from diary.timezones import zone
from notifications.ratelimit import RateLimiter
from notifications.scheduler import make_dispatcher, tick
from notifications.transport import ConsoleTransport

from . import actions
from .models import Models
from .participants import (
    AFTER_NUDGE,
    AFTER_REMINDER,
    Person,
    delay_minutes,
    new_person,
)
from .planning import enrol
from .sandbox import Api, ApiError

# Participant actions that never bring a reminder forward (enrolment, anchor events,
# side-effect answers and withdrawals do: diary/services/replanning.py): after them the
# scheduler's next due instant need not be read again.
QUIET_ACTIONS = frozenset({"log_day", "correct_day", "rescue"})
START = date(2027, 3, 1)  # a Monday; the clocks change in the first trial months


@dataclass
class Trial:
    """A simulation's state while it runs, and what it leaves for the outputs."""

    api: Api
    clock: FrozenClock
    protocol: Protocol
    key: str
    models: Models
    seed: int
    rng: random.Random
    people: list[Person] = field(default_factory=list)
    windows: dict[str, dict] = field(default_factory=dict)      # window id -> window
    refusals: list[str] = field(default_factory=list)
    export_refusals: list[str] = field(default_factory=list)  # files the exports refused
    counts: dict[str, int] = field(default_factory=dict)
    started: datetime | None = None
    ended: datetime | None = None
    horizon: datetime | None = None  # the latest action planned so far
    transport_sent: list = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per part (bench)
    _heap: list = field(default_factory=list)
    _order: itertools.count = field(default_factory=itertools.count)

    @property
    def tz(self):
        return zone(self.protocol.timezone)

    def at(self, when: datetime, action: Callable[..., None], *args) -> None:
        when = when.astimezone(UTC)
        heapq.heappush(self._heap, (when, next(self._order), action, args))
        if self.horizon is None or when > self.horizon:
            self.horizon = when

    def local(self, day: date, clock_time: time) -> datetime:
        return datetime.combine(day, clock_time, self.tz).astimezone(UTC)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def attempt(self, what: str, call: Callable[[], object]):
        """Run one API call; a refusal is recorded (and counted), not fatal."""
        try:
            result = call()
        except ApiError as exc:
            self.refusals.append(f"{self.clock.now().isoformat()} {what}: {exc}")
            return None
        self.count(what)
        return result


def simulate(app, source: str, models: Models, *, participants: int, seed: int,
             clock: FrozenClock, progress: Callable[[float], None] | None = None) -> Trial:
    """Run a whole trial of ``participants`` people on the protocol ``source``."""
    protocol = parse_protocol(source)
    rng = random.Random(f"{seed}:trial")
    api = Api(app, clock)
    tz = zone(protocol.timezone)
    start = datetime.combine(_start(models), time(8), tz).astimezone(UTC)
    clock.set(start)
    api.create_admin()
    key = api.upload_protocol(source)
    trial = Trial(api, clock, protocol, key, models, seed, rng, started=start)
    trial.__dict__["_list_size"] = participants
    actions.set_up_study(trial)
    sites = list(protocol.sites) or ["SITE"]
    languages = list(getattr(protocol, "languages", None) or [])
    days = max(1, int(models.enrolment["days"]))
    for n in range(participants):
        person = new_person(seed, n, sites[n % len(sites)], models, languages)
        trial.people.append(person)
        day = _start(models) + timedelta(days=rng.randrange(days))
        minute = 9 * 60 + rng.randrange(8 * 60)
        trial.at(trial.local(day, time(minute // 60, minute % 60)), enrol, trial, person)
    _run(trial, app, progress)
    return trial


def _start(models: Models) -> date:
    return date.fromisoformat(str(models.enrolment.get("start") or START.isoformat()))


NEXT_DUE = select(func.min(ReminderCursor.next_due_at)).scalar_subquery()
NEXT_RETRY = (select(func.min(OutboxMessage.next_attempt_at))
              .where(OutboxMessage.state == "pending").scalar_subquery())


def _next_reminder(session_factory) -> datetime | None:
    """When the scheduler next has work: a participant's cursor, or a send to retry."""
    with session_factory() as s:
        cursor, retry = s.execute(select(NEXT_DUE.label("due"), NEXT_RETRY.label("retry"))).one()
    found = [_utc(t) for t in (cursor, retry) if t is not None]
    return min(found) if found else None


def _utc(value) -> datetime:
    """A bare aggregate skips the column's type: SQLite gives text, PostgreSQL a datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _react(trial: Trial, session_factory, now: datetime, by_id: dict[str, Person],
           sids: list[str]) -> None:
    """Reminders sent at this instant reach their person: some answer after a while.

    ``sids`` are the provider ids of the texts the transport took at this instant: the
    outbox rows sent now are found by them (an index), not by a scan of every row's
    sent time; an instant that sent no text needs no query."""
    if not sids:
        return
    sent = []
    with session_factory() as s:
        for start in range(0, len(sids), 500):
            sent += s.execute(select(OutboxMessage.participant_id, OutboxMessage.kind,
                                     OutboxMessage.target)
                              .where(OutboxMessage.provider_sid.in_(sids[start:start + 500]),
                                     OutboxMessage.sent_at == now)).all()
    sent.sort(key=lambda row: (row[0] or "", row[1] or "", row[2] or ""))
    mean = trial.models.diary["answer_delay_minutes"]
    for pid, kind, target in sent:
        person = by_id.get(pid or "")
        if person is None or kind not in ("diary", "diary_nudge"):
            continue
        try:
            day = date.fromisoformat(target)
        except ValueError:
            continue
        wanted = AFTER_REMINDER if kind == "diary" else AFTER_NUDGE
        if person.day_modes.get(day) == wanted:
            cap = 100.0 if kind == "diary" else 90.0
            trial.at(now + timedelta(minutes=delay_minutes(person, mean, cap)),
                     actions.log_day, trial, person, day)


def _took(trial: Trial, part: str, since: float) -> None:
    trial.seconds[part] = trial.seconds.get(part, 0.0) + timer.perf_counter() - since


def _run(trial: Trial, app, progress: Callable[[float], None] | None) -> None:
    runtime = app.extensions["paindiary"]
    transport = ConsoleTransport(now=trial.clock.now)
    dispatcher = make_dispatcher(runtime, transport, limiter=RateLimiter(None))
    factory = runtime.session_factory
    by_id: dict[str, Person] = {}
    idle_after = timedelta(days=3)  # reminders alone, with no action left: the trial is over
    last_action = trial.clock.now()
    first = trial.clock.now()
    reminder: datetime | None = None
    stale = True  # whether the scheduler's next due instant must be read again
    texted = 0  # texts the transport took before this tick
    while True:
        next_action = trial._heap[0][0] if trial._heap else None
        if stale:
            reminder, stale = _next_reminder(factory), False
        now = trial.clock.now()
        if reminder is not None and reminder <= now:
            reminder = now
        candidates = [t for t in (next_action, reminder) if t is not None]
        if not candidates:
            break
        at = min(candidates)
        if next_action is None and at > last_action + idle_after:
            break
        trial.clock.set(at)
        if reminder is not None and reminder <= at:
            t0 = timer.perf_counter()
            tick(runtime, dispatcher)
            trial.count("scheduler ticks")
            texts = transport.sent
            _react(trial, factory, at, by_id, [t.sid for t in texts[texted:]])
            texted = len(texts)
            _took(trial, "scheduler", t0)
            stale = True
        while trial._heap and trial._heap[0][0] <= at:
            _, _, action, args = heapq.heappop(trial._heap)
            t0 = timer.perf_counter()
            action(*args)
            _took(trial, action.__name__, t0)
            last_action = at
            if action.__name__ not in QUIET_ACTIONS and not (
                    action.__name__ == "answer_window" and args[2]["form"] != "side_effects"):
                stale = True
            if action is enrol and args[1].participant_id:
                by_id[args[1].participant_id] = args[1]
        if progress is not None and trial.horizon is not None and trial.horizon > first:
            progress(min(1.0, (at - first) / (trial.horizon - first)))
    trial.ended = max(trial.clock.now(), last_action)
    trial.transport_sent = transport.sent
