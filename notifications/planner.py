"""The pure reminder planner: which messages are due for one participant, and when.

Plain data in (the protocol, the participant, its ``diary.schedule.Schedule``, what is
done, the current instant), plain data out (``Reminder``s with idempotency keys). No
database, no clock, no sender: the scheduler tick loads, calls ``plan`` and inserts each
reminder into the outbox, whose unique key makes a repeated tick harmless.

Rules (protocol ``reminders`` section; the issue "Reminders and SMS")
----------------------------------------------------------------------
* ``diary``: on every owed diary date without an entry, at the participant's own time
  (``reminder_time``, else ``daily_time``) on that date's wall clock; a time in a
  spring-forward gap moves forward by the gap, one in a fall-back fold is sent at its
  first occurrence. Expires at the end of that day (earlier if the late-entry deadline or
  the nudge comes first): a reminder for a day that is over is never sent.
* ``diary_nudge``: ``nudge_after`` after the reminder's nominal time if the day is still
  empty; expires at the late-entry deadline. If quiet hours push it past midnight it goes
  out when they end, provided yesterday's entry is still accepted then (the crossover
  protocol: 22:00 is quiet, so the nudge goes at 08:00 with "before Tue 12:00").
* ``window_open`` when a questionnaire window opens; ``window_closing`` when
  ``window_closing_before`` is left, unless the window is fulfilled. Only one of the two
  is ever due at a time.
* ``coordinator_missed_days`` at the late-entry deadline of the N-th consecutive missed
  day, once per streak (keyed on its first date), valid for ``alert_for``.
* Quiet hours ``[start, end)`` on the participant's wall clock: a participant message
  due inside them moves to their end if it is still useful then (before its expiry),
  otherwise it is dropped. Coordinator alerts ignore them.
* Nothing is planned for sending at or after withdrawal or follow-up completion;
  nothing to the participant after opt-out or without a phone number.

Catch-up: ``plan(..., now)`` returns what is due now (``due_at <= now < expires_at``),
including reminders a stopped scheduler missed that are still useful.

Cost: only diary dates from a few days before ``now`` (the late-entry allowance plus
``alert_for`` and the streak length) and the participant's windows are looked at, never
the whole study; ``next_due_at`` lets a caller skip participants until they are due.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from diary.protocol.model import Protocol
from diary.schedule import Schedule
from diary.timezones import local_date, zone

from .planning.messages import SMS_LIMIT, TEMPLATES, gsm7_length, render
from .planning.model import (
    COORDINATOR,
    DIARY,
    DIARY_NUDGE,
    KINDS,
    MISSED_DAYS,
    NOTHING_DONE,
    PARTICIPANT,
    WINDOW_CLOSING,
    WINDOW_OPEN,
    Completed,
    PlannerParticipant,
    Reminder,
    reminder_key,
)
from .planning.rules import Context, diary_reminders, missed_days_alert, window_reminders

__all__ = [
    "COORDINATOR", "DIARY", "DIARY_NUDGE", "KINDS", "MISSED_DAYS", "NOTHING_DONE",
    "PARTICIPANT", "SMS_LIMIT", "TEMPLATES", "WINDOW_CLOSING", "WINDOW_OPEN", "Completed",
    "PlannerParticipant", "Reminder", "gsm7_length", "next_due_at", "plan", "plan_with_next",
    "reminder_key",
    "render", "upcoming",
]

ALERT_FOR = timedelta(days=7)
"""How long a coordinator alert stays worth sending after it falls due."""


def plan(protocol: Protocol, participant: PlannerParticipant, schedule: Schedule,
         done: Completed, now: datetime, *, alert_for: timedelta = ALERT_FOR
         ) -> list[Reminder]:
    """The reminders due at ``now`` (``due_at <= now < expires_at``), by due time.

    The same call at the next tick returns the same keys until each expires or its task
    is done: the outbox's unique key sends each once.
    """
    _aware(now)
    return [r for r in _between(protocol, participant, schedule, done, now, now, alert_for)
            if r.due_at <= now < r.expires_at and _allowed(r, participant, now)]


def upcoming(protocol: Protocol, participant: PlannerParticipant, schedule: Schedule,
             done: Completed, now: datetime, *, horizon: timedelta = timedelta(days=1),
             alert_for: timedelta = ALERT_FOR) -> list[Reminder]:
    """The reminders that will fall due in ``(now, now + horizon]`` as things stand (a
    task done meanwhile cancels its reminders), by due time. For the UI and ``next_due_at``.
    """
    _aware(now)
    until = now + horizon
    return [r for r in _between(protocol, participant, schedule, done, now, until, alert_for)
            if now < r.due_at <= until and _allowed(r, participant, r.due_at)]


def next_due_at(protocol: Protocol, participant: PlannerParticipant, schedule: Schedule,
                done: Completed, now: datetime, *, horizon: timedelta = timedelta(days=2),
                alert_for: timedelta = ALERT_FOR) -> datetime | None:
    """When ``plan`` will next have something new for this participant (within
    ``horizon``): a tick can store it and skip the participant until then."""
    soon = upcoming(protocol, participant, schedule, done, now, horizon=horizon,
                    alert_for=alert_for)
    return soon[0].due_at if soon else None


def plan_with_next(protocol: Protocol, participant: PlannerParticipant, schedule: Schedule,
                   done: Completed, now: datetime, *, horizon: timedelta = timedelta(days=2),
                   alert_for: timedelta = ALERT_FOR) -> tuple[list[Reminder], datetime | None]:
    """``plan(...)`` and ``next_due_at(...)`` from one pass over the schedule (the tick's
    hot path: building reminders, hashing their keys, is the cost)."""
    _aware(now)
    until = now + horizon
    return due_and_next(_between(protocol, participant, schedule, done, now, until, alert_for),
                        participant, now, until)


def due_and_next(found: list[Reminder], participant: PlannerParticipant, now: datetime,
                 until: datetime) -> tuple[list[Reminder], datetime | None]:
    """Of ``found`` (sorted), those due at ``now``, and the first due time in ``(now, until]``."""
    due = [r for r in found if r.due_at <= now < r.expires_at and _allowed(r, participant, now)]
    later = [r.due_at for r in found
             if now < r.due_at <= until and _allowed(r, participant, r.due_at)]
    return due, min(later, default=None)


def _aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (UTC), not a naive one")


def _allowed(r: Reminder, p: PlannerParticipant, send_at: datetime) -> bool:
    stops = [p.withdrawn_at, p.follow_up_completed_at]
    if r.audience == PARTICIPANT:
        if not p.has_phone:
            return False
        stops.append(p.opted_out_at)
    return all(stop is None or send_at < stop for stop in stops)


def _between(protocol: Protocol, participant: PlannerParticipant, schedule: Schedule,
             done: Completed, start: datetime, end: datetime, alert_for: timedelta
             ) -> list[Reminder]:
    """Every reminder whose life ``[due_at, expires_at)`` may meet ``[start, end]``."""
    ctx = context(protocol, participant, schedule, done, start, end, alert_for)
    found = diary_between(ctx) + windows_between(ctx)
    found.sort(key=sort_key)
    return found


def sort_key(r: Reminder) -> tuple:
    return (r.due_at, r.kind, r.key)


def context(protocol: Protocol, participant: PlannerParticipant, schedule: Schedule,
            done: Completed, start: datetime, end: datetime, alert_for: timedelta
            ) -> Context:
    daily_time = participant.reminder_time
    return Context(protocol, participant, schedule, done, zone(participant.timezone),
                   protocol.reminders.daily_time if daily_time is None else daily_time,
                   alert_for, start, end)


def diary_between(ctx: Context) -> list[Reminder]:
    """The diary reminders and missed-days alerts of ``_between``: they read the schedule
    and what is done only through ``ctx.missed(day)``, for days in ``diary_days``."""
    protocol, tz = ctx.protocol, ctx.tz
    diary = protocol.daily_diary
    found: list[Reminder] = []
    if diary is None:
        return found
    # A date's reminders are due no earlier than its own start and expire by its
    # late-entry deadline, before the end of date + days_after.
    late = diary.late_entry.days_after if diary.late_entry else 0
    first, last = local_date(ctx.start, tz) - timedelta(late + 1), local_date(ctx.end, tz)
    for day in _days(first, last):
        found.extend(diary_reminders(ctx, day))
    if protocol.reminders.missed_days_alert is not None:
        # An alert is due at the last day's deadline and lives alert_for after it.
        since = local_date(ctx.start - ctx.alert_for, tz) - timedelta(late + 1)
        for day in _days(since, last - timedelta(late)):
            alert = missed_days_alert(ctx, day)
            if alert is not None:
                found.append(alert)
    return found


def diary_days(protocol: Protocol, tz: ZoneInfo, start: datetime, end: datetime,
               alert_for: timedelta) -> tuple[date, date]:
    """The first and last diary dates ``diary_between`` may ask ``ctx.missed`` about."""
    first = min(local_date(start - alert_for, tz), local_date(start, tz))
    return first - timedelta(days_back(protocol)), local_date(end, tz)


def days_back(protocol: Protocol) -> int:
    """How many days before the earliest date a reminder or alert is for the diary rules
    read: the late-entry allowance and one more, and a streak's length (its alert looks
    back over the streak, and one day before it for its start)."""
    diary = protocol.daily_diary
    late = diary.late_entry.days_after if diary and diary.late_entry else 0
    return late + 1 + (protocol.reminders.missed_days_alert or 0)


def windows_between(ctx: Context) -> list[Reminder]:
    """The questionnaire-window reminders of ``_between``."""
    found: list[Reminder] = []
    for window in ctx.schedule.windows:
        if window.opens_at <= ctx.end and window.closes_at > ctx.start:
            found.extend(window_reminders(ctx, window))
    return found


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]
