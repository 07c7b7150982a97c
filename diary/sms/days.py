"""Which diary day an SMS score is for: only a diary day, as the app's tasks count them.

A diary day is one the schedule owes (``diary.services.overview.diary_due``: inside a
span around a diary anchor, or every day since enrolment while the anchor of a baseline
diary is not known yet). "Yesterday" is the previous diary day while it is still open
(before its late-entry limit): an empty one takes the score; a filled one does when
today is no diary day (the reply then offers a correction of that day). Outside the
diary nothing is stored: the reply names the next diary day, or, after the last one's
limit, says it is too late for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from diary.db.models import Participant
from diary.protocol.model import ENROLMENT, Protocol
from diary.schedule import DiarySpan, live_events, schedule
from diary.services.entries import late_entry_deadline
from diary.services.events import event_refs, participant_ref
from diary.services.overview import diary_due
from diary.timezones import local_date, zone


@dataclass(frozen=True)
class DayChoice:
    """``day`` takes the score; when it is None nothing is stored and ``next_day`` (the
    next diary day) or ``closed_day`` with ``closed_at`` (the last one, past its limit)
    says why."""

    day: date | None
    next_day: date | None = None
    closed_day: date | None = None
    closed_at: datetime | None = None


def choose_day(today: date, now: datetime, *, today_due: bool, previous: date | None,
               following: date | None, deadline: Callable[[date], datetime],
               filled: Callable[[date], bool]) -> DayChoice:
    """The rule, on plain values: ``previous``/``following`` are the diary days before and
    after today (None if there is none), ``deadline`` a day's late-entry limit (UTC)."""
    if previous is not None and now < deadline(previous) and (
            not today_due or not filled(previous)):
        return DayChoice(previous)
    if today_due:
        return DayChoice(today)
    if following is not None:
        return DayChoice(None, next_day=following)
    if previous is not None:
        return DayChoice(None, closed_day=previous, closed_at=deadline(previous))
    return DayChoice(None)


def previous_diary_day(spans: tuple[DiarySpan, ...], today: date) -> date | None:
    days = [min(s.last, today - timedelta(1)) for s in spans if s.first < today]
    return max(days, default=None)


def next_diary_day(spans: tuple[DiarySpan, ...], today: date) -> date | None:
    days = [max(s.first, today + timedelta(1)) for s in spans if s.last > today]
    return min(days, default=None)


def reply_day(session: Session, p: Participant, protocol: Protocol, now: datetime,
              filled: Callable[[date], bool]) -> DayChoice:
    """The diary day a score texted at ``now`` is for (the study has a daily diary)."""
    tz = zone(p.timezone)
    today = local_date(now, tz)
    floor = local_date(p.enrolled_at, tz)
    events = event_refs(session, p.id)
    sched = schedule(protocol, participant_ref(p), events, with_windows=False)
    anchor = protocol.daily_diary.anchor
    has_anchor = anchor == ENROLMENT or any(e.type == anchor for e in live_events(events))

    def due(day: date) -> bool:
        return day >= floor and diary_due(protocol, sched, day, has_anchor)

    previous = previous_diary_day(sched.diary_spans, today)
    if not has_anchor and due(today - timedelta(1)):  # the baseline: every day is owed
        previous = today - timedelta(1)
    return choose_day(today, now, today_due=due(today), previous=previous,
                      following=next_diary_day(sched.diary_spans, today),
                      deadline=lambda day: late_entry_deadline(protocol, day, p.timezone),
                      filled=filled)
