"""Bulk loading of what the planner needs for a batch of participants (few queries)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ARRAY, ColumnElement, String, any_, func, literal, select
from sqlalchemy.orm import Session

from diary.db.models import (
    AnchorEvent,
    DiaryEntry,
    Participant,
    ProtocolVersion,
    QuestionnaireResponse,
    Study,
)
from diary.db.safety_models import SideEffectReport
from diary.protocol.model import SIDE_EFFECTS, Protocol
from diary.schedule import AnchorEvent as EventRef
from diary.schedule import ParticipantRef
from diary.services.studies import protocol_by_sha

from .planner import days_back
from .planning.model import NOTHING_DONE, Completed, PlannerParticipant

CHUNK = 900  # below SQLite's bound-parameter limit of old builds, and cheap on PostgreSQL


@dataclass(frozen=True)
class PlanningInput:
    """One participant as the planner sees it, plus what the tick stores with reminders."""

    study_id: int
    subject_id: str
    language: str
    protocol: Protocol
    ref: ParticipantRef
    planner: PlannerParticipant
    events: list[EventRef]
    done: Completed


def chunks(ids: Sequence[str], size: int = CHUNK):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def among(session: Session, column, ids: Sequence[str]) -> list[ColumnElement[bool]]:
    """Conditions "``column`` is one of ``ids``", one per query to run: on PostgreSQL one
    ``= ANY(array)`` (a single parameter; thousands of ``IN`` parameters cost more to bind
    than the query takes), elsewhere ``IN`` lists of at most ``CHUNK``."""
    if session.get_bind().dialect.name != "postgresql":
        return [column.in_(chunk) for chunk in chunks(ids)]
    if any("," in i for i in ids):
        return [column == any_(literal(list(ids), ARRAY(String)))]
    # Our ids are UUIDs: one comma-joined text binds at once (a list binds item by item).
    return [column == any_(func.string_to_array(literal(",".join(ids), String), ","))]


def lookback(protocol: Protocol, alert_for: timedelta) -> timedelta:
    """How far back the planner reads diary dates (``notifications.planner.diary_days``),
    in UTC with two days to spare for any zone."""
    return alert_for + timedelta(days=days_back(protocol) + 2)


def load_inputs(session: Session, ids: Sequence[str], now: datetime,
                alert_for: timedelta) -> list[PlanningInput]:
    """Participants ``ids`` with their current protocol, events and recent completions."""
    # Plain column selects, run on the session's connection: no ORM work per execution
    # (a tick runs them for every batch).
    conn = session.connection()
    rows = []
    for where in among(session, Participant.id, ids):
        rows += conn.execute(
            select(Participant.id, Participant.study_id, Participant.subject_id,
                   Participant.timezone, Participant.language, Participant.reminder_time,
                   Participant.phone_index.is_not(None), Participant.enrolled_at,
                   Participant.sequence, Participant.withdrawn_at,
                   Participant.sms_opted_out_at, ProtocolVersion.sha256)
            .join(Study, Study.id == Participant.study_id)
            .join(ProtocolVersion, (ProtocolVersion.study_id == Study.id)
                  & (ProtocolVersion.version == Study.current_version))
            .where(where)).all()
    protocols = {sha: protocol_by_sha(session, sha) for sha in {r[-1] for r in rows}}
    since = (now - max((lookback(p, alert_for) for p in protocols.values()),
                       default=timedelta(0))).date() - timedelta(days=1)
    events: dict[str, list[EventRef]] = defaultdict(list)
    dates: dict[str, set[date]] = defaultdict(set)
    windows: dict[str, set[str]] = defaultdict(set)
    checklists: dict[str, set[date]] = defaultdict(set)
    # Only studies with side-effect checklist windows need the checklists' dates.
    wants_checklists = any(a.form == SIDE_EFFECTS for protocol in protocols.values()
                           for a in protocol.assessments)
    found = [r[0] for r in rows]
    for events_of, dates_of, windows_of, checklists_of in zip(
            among(session, AnchorEvent.participant_id, found),
            among(session, DiaryEntry.participant_id, found),
            among(session, QuestionnaireResponse.participant_id, found),
            among(session, SideEffectReport.participant_id, found), strict=True):
        for pid, *event in conn.execute(
                select(AnchorEvent.participant_id, AnchorEvent.id, AnchorEvent.type,
                       AnchorEvent.occurred_at, AnchorEvent.period, AnchorEvent.status,
                       AnchorEvent.date_only).where(events_of)):
            events[pid].append(EventRef(*event))
        for pid, day in conn.execute(
                select(DiaryEntry.participant_id, DiaryEntry.diary_date)
                .where(dates_of, DiaryEntry.is_current.is_(True),
                       DiaryEntry.diary_date >= since)):
            dates[pid].add(day)
        for pid, window in conn.execute(
                select(QuestionnaireResponse.participant_id, QuestionnaireResponse.window_id)
                .where(windows_of,
                       QuestionnaireResponse.is_current.is_(True),
                       QuestionnaireResponse.window_id.is_not(None))):
            windows[pid].add(window)
        if wants_checklists:  # a checklist answers the checklist windows of its date
            for pid, day in conn.execute(
                    select(SideEffectReport.participant_id, SideEffectReport.diary_date)
                    .where(checklists_of, SideEffectReport.is_current.is_(True))):
                checklists[pid].add(day)
    out = []
    for (pid, study_id, subject, tz, language, reminder_time, has_phone, enrolled_at,
         sequence, withdrawn_at, opted_out_at, sha) in rows:
        out.append(PlanningInput(
            study_id=study_id, subject_id=subject, language=language,
            protocol=protocols[sha],
            ref=ParticipantRef(pid, tz, enrolled_at, sequence, withdrawn_at),
            planner=PlannerParticipant(pid, tz, reminder_time or None, bool(has_phone),
                                       withdrawn_at, opted_out_at),
            events=events.get(pid, []),
            done=_completed(dates.get(pid), windows.get(pid), checklists.get(pid))))
    return out


def _completed(dates: set[date] | None, windows: set[str] | None,
               checklists: set[date] | None = None) -> Completed:
    if not (dates or windows or checklists):
        return NOTHING_DONE
    return Completed(dates or (), windows or (), checklists or ())
