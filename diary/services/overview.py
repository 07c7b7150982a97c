"""Read models: a participant's tasks for today, and diary completion for coordinators."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from diary.db.models import AnchorEvent, DiaryEntry, Participant, QuestionnaireResponse
from diary.db.safety_models import SideEffectReport
from diary.protocol.model import ADVERSE_EVENTS, ENROLMENT, SIDE_EFFECTS, Protocol
from diary.schedule import AnchorEvent as EventRef
from diary.schedule import Schedule, ScheduledWindow, live_events, schedule
from diary.services.entries import late_entry_deadline
from diary.services.events import event_ref, event_refs, participant_ref
from diary.timezones import local_date, zone
from scoring.precision import PERCENT_DECIMALS, round_half_away

RATE_DECIMALS = 4  # completion as a fraction: 0.9412 (a percent to two decimals)


@dataclass(frozen=True)
class DiaryTask:
    diary_date: date
    due: bool
    done: bool
    entry_id: str | None
    accept_until: datetime | None


@dataclass(frozen=True)
class WindowTask(ScheduledWindow):
    """An open window as the participant's task; ``form`` says what it opens."""

    done: bool = False


@dataclass(frozen=True)
class Tasks:
    today: date
    timezone: str
    diary: DiaryTask | None
    open_windows: list[WindowTask]
    withdrawn: bool


def diary_due(protocol: Protocol, sched: Schedule, day: date, has_diary_anchor: bool) -> bool:
    """A diary day is due inside a span, or before the first anchor while a baseline is owed.

    Baseline days (negative ``from_day``) come before an anchor that may not be recorded
    yet (the surgery next week): until it is recorded or planned, every day since
    enrolment is owed; once planned, the days before its baseline are not.
    """
    diary = protocol.daily_diary
    if diary is None:
        return False
    if sched.diary_due(day):
        return True
    return not has_diary_anchor and diary.from_day < 0


def tasks_for(session: Session, protocol: Protocol, p: Participant, now: datetime) -> Tasks:
    tz = zone(p.timezone)
    today = local_date(now, tz)
    events = event_refs(session, p.id)
    sched = schedule(protocol, participant_ref(p), events)
    withdrawn = p.withdrawn_at is not None
    diary = None
    if protocol.daily_diary is not None and not withdrawn:
        entry = session.scalar(select(DiaryEntry).where(
            DiaryEntry.participant_id == p.id, DiaryEntry.diary_date == today,
            DiaryEntry.is_current.is_(True)))
        anchor = protocol.daily_diary.anchor
        has_anchor = anchor == ENROLMENT or any(e.type == anchor for e in live_events(events))
        diary = DiaryTask(today, diary_due(protocol, sched, today, has_anchor),
                          entry is not None, entry.id if entry else None,
                          late_entry_deadline(protocol, today, p.timezone))
    windows = [] if withdrawn else _window_tasks(session, p, sched.open_windows(now))
    return Tasks(today, p.timezone, diary, windows, withdrawn)


def _window_tasks(session: Session, p: Participant,
                  windows: list[ScheduledWindow]) -> list[WindowTask]:
    """The participant's open windows, each done or not (issue 13): a questionnaire by a
    response to it, the side-effect checklist by a checklist for one of its days. The
    adverse-event form is entered by coordinators, so it is not the participant's task."""
    windows = [w for w in windows if w.form != ADVERSE_EVENTS]
    answered = set(session.scalars(select(QuestionnaireResponse.window_id).where(
        QuestionnaireResponse.participant_id == p.id,
        QuestionnaireResponse.window_id.in_([w.id for w in windows]),
        QuestionnaireResponse.is_current.is_(True)))) if windows else set()
    checklists: set[date] = set()
    spans = [w for w in windows if w.form == SIDE_EFFECTS]
    if spans:
        checklists = set(session.scalars(select(SideEffectReport.diary_date).where(
            SideEffectReport.participant_id == p.id, SideEffectReport.is_current.is_(True),
            SideEffectReport.diary_date >= min(w.opens_local.date() for w in spans),
            SideEffectReport.diary_date <= max(w.closes_local.date() for w in spans))))
    return [WindowTask(**{f.name: getattr(w, f.name) for f in fields(w)},
                       done=w.id in answered or (w.form == SIDE_EFFECTS and any(
                           w.covers_date(d) for d in checklists)))
            for w in windows]


@dataclass(frozen=True)
class Completion:
    """Diary days owed before today and completed. ``rate`` (a fraction, 4 decimals) and
    ``percent`` (one decimal) are rounded by the exports' one rule, half away from zero
    on the decimal value (:mod:`scoring.precision`): 1/32 -> 0.0313 and 1/16 -> 6.3 %,
    where Python's ``round`` gives 0.0312 and 6.2."""

    expected_days: int
    completed_days: int
    today_done: bool

    @property
    def rate(self) -> float | None:
        if not self.expected_days:
            return None
        return round_half_away(self.completed_days / self.expected_days, RATE_DECIMALS)

    @property
    def percent(self) -> float | None:
        if not self.expected_days:
            return None
        return round_half_away(100 * self.completed_days / self.expected_days,
                               PERCENT_DECIMALS)


def completion_for(session: Session, protocol: Protocol, participants: list[Participant],
                   now: datetime) -> dict[str, Completion]:
    """Diary days owed before today and how many have a current entry, per participant.

    Two queries for the whole page (events, entry dates), then the schedule per participant.
    """
    ids = [p.id for p in participants]
    events: dict[str, list[EventRef]] = defaultdict(list)
    for e in session.scalars(select(AnchorEvent).where(AnchorEvent.participant_id.in_(ids))):
        events[e.participant_id].append(event_ref(e))
    dates: dict[str, set[date]] = defaultdict(set)
    for pid, day in session.execute(select(DiaryEntry.participant_id, DiaryEntry.diary_date)
                                    .where(DiaryEntry.participant_id.in_(ids),
                                           DiaryEntry.is_current.is_(True))):
        dates[pid].add(day)
    out = {}
    for p in participants:
        today = local_date(now, zone(p.timezone))
        owed = schedule(protocol, participant_ref(p), events[p.id],
                        with_windows=False).diary_dates()
        before_today = [d for d in owed if d < today]
        out[p.id] = Completion(len(before_today), sum(d in dates[p.id] for d in before_today),
                               today in dates[p.id])
    return out
