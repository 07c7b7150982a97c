"""Read models: a participant's tasks for today, and diary completion for coordinators."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

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


RECENT_DAYS = 7  # "the last 7 days" of the coordinators' dashboard (issue 15)


@dataclass(frozen=True)
class Completion:
    """Diary days owed before today and done; the same for the last ``RECENT_DAYS`` days
    before today; and whether today is owed and done."""

    expected_days: int
    completed_days: int
    today_done: bool
    today_due: bool = False
    recent_expected: int = 0
    recent_completed: int = 0

    @property
    def rate(self) -> float | None:
        return round(self.completed_days / self.expected_days, 4) if self.expected_days else None

    @property
    def recent_rate(self) -> float | None:
        return (round(self.recent_completed / self.recent_expected, 4)
                if self.recent_expected else None)


@dataclass(frozen=True)
class DayCompletion:
    """One diary date across participants: how many owed it (as a past day) and did it."""

    diary_date: date
    expected: int
    completed: int


def completion_for(session: Session, protocol: Protocol, participants: list[Participant],
                   now: datetime) -> dict[str, Completion]:
    """Diary days owed before today and how many have a current entry, per participant.

    Two queries for the whole page (events, entry dates), then the schedule per participant.
    """
    return study_completion(session, protocol, participants, now, trend_days=0)[0]


def study_completion(session: Session, protocol: Protocol, participants: list[Participant],
                     now: datetime, *, trend_days: int = 28,
                     ) -> tuple[dict[str, Completion], list[DayCompletion]]:
    """Per participant as ``completion_for``, and per diary date over the ``trend_days``
    dates before today (in the study's zone): owed by how many participants, done by how
    many. Each participant's days count only before their own local today."""
    ids = [p.id for p in participants]
    events: dict[str, list[EventRef]] = defaultdict(list)
    for e in session.scalars(select(AnchorEvent).where(AnchorEvent.participant_id.in_(ids))):
        events[e.participant_id].append(event_ref(e))
    dates: dict[str, set[date]] = defaultdict(set)
    for pid, day in session.execute(select(DiaryEntry.participant_id, DiaryEntry.diary_date)
                                    .where(DiaryEntry.participant_id.in_(ids),
                                           DiaryEntry.is_current.is_(True))):
        dates[pid].add(day)
    study_today = local_date(now, zone(protocol.timezone))
    first_trend_day = study_today - timedelta(days=trend_days)
    owed_by_day: Counter[date] = Counter()
    done_by_day: Counter[date] = Counter()
    out = {}
    for p in participants:
        today = local_date(now, zone(p.timezone))
        recent_from = today - timedelta(days=RECENT_DAYS)
        owed = schedule(protocol, participant_ref(p), events[p.id],
                        with_windows=False).diary_dates()
        done = dates[p.id]
        n_before = bisect_left(owed, today)  # owed is sorted
        before_today = owed[:n_before]
        recent = before_today[bisect_left(before_today, recent_from):]
        today_due = n_before < len(owed) and owed[n_before] == today
        out[p.id] = Completion(len(before_today), sum(d in done for d in before_today),
                               today in done, today_due, len(recent),
                               sum(d in done for d in recent))
        if trend_days:
            for d in before_today:
                if d >= first_trend_day:
                    owed_by_day[d] += 1
                    done_by_day[d] += d in done
    trend = [DayCompletion(d, owed_by_day[d], done_by_day[d])
             for d in (first_trend_day + timedelta(days=i) for i in range(trend_days))]
    return out, trend
