"""Read model: a participant's tasks for today (diary completion: services/completion.py)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from diary.db.models import DiaryEntry, Participant, QuestionnaireResponse
from diary.db.safety_models import SideEffectReport
from diary.i18n import gettext, language_for
from diary.i18n.labels import window_label
from diary.protocol.model import ADVERSE_EVENTS, ENROLMENT, SIDE_EFFECTS, Protocol
from diary.schedule import Schedule, ScheduledWindow, live_events, schedule
from diary.services.completion import Completion, completion_for  # noqa: F401  (re-exported)
from diary.services.entries import late_entry_deadline
from diary.services.events import event_refs, participant_ref
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
    title: str = ""  # what it opens, in the participant's language (issue 19)


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


def tasks_for(session: Session, protocol: Protocol, p: Participant, now: datetime,
              lang: str | None = None) -> Tasks:
    """Today's tasks; each window's ``title`` in ``lang`` (default: the participant's)."""
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
    lang = language_for(lang or p.language, protocol.languages)
    windows = [] if withdrawn else _window_tasks(session, p, sched.open_windows(now),
                                                 protocol, lang)
    return Tasks(today, p.timezone, diary, windows, withdrawn)


def _window_tasks(session: Session, p: Participant, windows: list[ScheduledWindow],
                  protocol: Protocol, lang: str) -> list[WindowTask]:
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
                           w.covers_date(d) for d in checklists)),
                       title=gettext(lang, window_label(protocol, w)))
            for w in windows]
