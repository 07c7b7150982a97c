"""``plan_with_next`` for many participants at once, sharing what their diaries have in common.

A tick plans thousands of participants at the same instant, and most of them share a
protocol, a time zone and a reminder time. Their diary reminders and missed-days alerts
then differ only by which recent days are owed and still empty (``Context.missed``) and by
the participant's id: so those are planned once per distinct pattern and copied, with the
participant's own key, to everyone who has it. Questionnaire windows are each
participant's own, but many open and close at the same instants: each distinct window
pattern is planned once too, and copied with the window's id. The result is exactly
``plan_with_next``'s (``tests/unit/planner/test_batch_planner.py`` checks it on random
participants).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial

from diary.protocol.model import Protocol
from diary.schedule import Schedule
from diary.timezones import zone

from .planner import ALERT_FOR, _aware, context, diary_between, diary_days, due_and_next, sort_key
from .planning.model import Completed, PlannerParticipant, Reminder, reminder_key
from .planning.rules import Context, window_reminders

Planned = tuple[list[Reminder], datetime | None]


class BatchPlanner:
    """Plans participants at one instant ``now``; keep one per tick (its memory is the
    patterns seen in that tick, and holds the protocols it was given)."""

    def __init__(self, now: datetime, *, horizon: timedelta = timedelta(days=2),
                 alert_for: timedelta = ALERT_FOR) -> None:
        _aware(now)
        self.now, self.until, self.alert_for = now, now + horizon, alert_for
        # pattern -> (whose reminders, their window, reminders due now, next due time)
        self._seen: dict[tuple, tuple[str, str | None, list[Reminder], datetime | None]] = {}
        self._days: dict[tuple[int, str], tuple[date, date]] = {}
        self._protocols: dict[int, Protocol] = {}  # keeps each id() in a pattern unique

    def plan(self, protocol: Protocol, participant: PlannerParticipant, schedule: Schedule,
             done: Completed) -> Planned:
        """What ``plan_with_next(protocol, participant, schedule, done, now, ...)`` returns."""
        self._protocols.setdefault(id(protocol), protocol)
        ctx: list[Context] = []  # built on the first pattern not seen yet

        def shared(pattern: tuple, window_id: str | None, part: Callable[[Context], list]
                   ) -> Planned:
            known = self._seen.get(pattern)
            if known is None:
                if not ctx:
                    ctx.append(context(protocol, participant, schedule, done, self.now,
                                       self.until, self.alert_for))
                due, nxt = due_and_next(sorted(part(ctx[0]), key=sort_key), participant,
                                        self.now, self.until)
                self._seen[pattern] = (participant.id, window_id, due, nxt)
                return list(due), nxt
            owner, owner_window, due, nxt = known
            if owner == participant.id and owner_window == window_id:
                return list(due), nxt
            return [_as(r, participant.id, window_id) for r in due], nxt

        who = (id(protocol), participant.timezone, participant.has_phone,
               participant.withdrawn_at, participant.opted_out_at,
               participant.follow_up_completed_at)
        first, last = self._diary_days(protocol, participant)
        parts = [shared(("diary", *who, participant.reminder_time, first,
                         _missed_mask(schedule, done, first, last)), None, diary_between)]
        for w in schedule.windows:
            if w.opens_at <= self.until and w.closes_at > self.now:
                pattern = ("window", *who, w.assessment, w.instrument, w.opens_at, w.closes_at,
                           w.form, done.fulfils(w))
                parts.append(shared(pattern, w.id, partial(window_reminders, window=w)))
        if len(parts) == 1:
            return parts[0]
        due = sorted((r for d, _ in parts for r in d), key=sort_key)
        return due, min((n for _, n in parts if n is not None), default=None)

    def _diary_days(self, protocol: Protocol, participant: PlannerParticipant
                    ) -> tuple[date, date]:
        key = (id(protocol), participant.timezone)
        days = self._days.get(key)
        if days is None:
            days = self._days[key] = diary_days(protocol, zone(participant.timezone),
                                                self.now, self.until, self.alert_for)
        return days


def _missed_mask(schedule: Schedule, done: Completed, first: date, last: date) -> int:
    """Which days of ``first..last`` are owed and have no entry (``Context.missed``), as
    bits from ``first``: all the diary rules read of the schedule and of what is done."""
    mask = 0
    for span in schedule.diary_spans:
        lo, hi = max(span.first, first), min(span.last, last)
        if lo <= hi:
            mask |= ((1 << ((hi - lo).days + 1)) - 1) << (lo - first).days
    for day in done.diary_dates:
        if first <= day <= last:
            mask &= ~(1 << (day - first).days)
    return mask


def _as(r: Reminder, participant_id: str, window_id: str | None) -> Reminder:
    """Another participant's copy of a reminder (or of one for another window with the same
    times): their id, their window, their key. (Built field by field: ``dataclasses.replace``
    costs three times as much, and a tick makes thousands.)"""
    params = r.params
    if any(name == "participant" for name, _ in params):
        params = tuple((k, participant_id if k == "participant" else v) for k, v in params)
    if r.window_id is None:
        window_id, target = None, r.target
    else:
        target = window_id
    return Reminder(reminder_key(participant_id, r.kind, target, r.attempt), participant_id,
                    r.kind, r.audience, r.attempt, r.due_at, r.local_time, r.expires_at,
                    r.template, params, r.diary_date, window_id, r.shifted_from)
