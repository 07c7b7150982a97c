"""A study's diary as scoring input: one record per participant and anchor (period).

Reads plain columns with Core selects (no ORM objects: a large study has millions of
entries), places every current entry on the study-day axis of each anchor whose
endpoint span holds it, and hands scoring one matrix. Only current versions count:
a correction replaces what it corrects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from diary.db.models import (
    STAFF_ENTERED,
    AnchorEvent,
    DiaryEntry,
    Participant,
    QuestionnaireResponse,
)
from diary.exports.entries import Progress, read_scores
from diary.exports.instants import epoch_us
from diary.exports.periods import StudyPeriods, study_periods
from diary.exports.safety_records import event_diaries, wanted
from diary.protocol.model import ENROLMENT, Protocol
from diary.schedule import CONFIRMED
from scoring.endpoints import specs_span
from scoring.matrix import DailyMatrix
from scoring.questionnaire_kind import QUESTIONNAIRES
from scoring.records import FIELDS, PeriodRecords


@dataclass(frozen=True)
class StudyRecords:
    records: PeriodRecords
    matrix: DailyMatrix
    entries: int  # current diary entries placed on at least one record
    extra: list[dict] | None = None  # per record: questionnaire scores by window
    # Ids of the current diary entries and questionnaire responses staff entered, with
    # their sources (clinician, paper, phone): the exports' ENTSRC and staff_entered.
    staff: dict[str, str] | None = None


def load_study_records(session: Session, study_id: int, protocol: Protocol, *, now,
                       sites: tuple[str, ...] | None = None, with_entry_ids: bool = False,
                       progress: Progress | None = None) -> StudyRecords:
    """Records (participant x anchor of the daily diary) and their daily-score matrix.

    ``sites`` limits the records to those sites (a site-scoped role); None means all.
    """
    span = specs_span(protocol.endpoints) or (0, 0)
    # Instants as numbers (epoch_us): study_periods converts them a column at a time.
    stmt = select(Participant.id, Participant.subject_id, Participant.site, Participant.arm,
                  Participant.sequence, Participant.timezone, epoch_us(Participant.enrolled_at),
                  epoch_us(Participant.withdrawn_at)).where(Participant.study_id == study_id)
    if sites is not None:
        stmt = stmt.where(Participant.site.in_(sites))
    # Core rows (the connection's execute): the ORM's result layer would add a pass per row.
    db = session.connection()
    participants = db.execute(stmt.order_by(Participant.subject_id)).all()
    # Endpoints derive from confirmed events only: a planned date is a booking, not a
    # fact (it moves, or is cancelled), and days counted from it would shift with it.
    events = db.execute(
        select(AnchorEvent.id, AnchorEvent.participant_id, AnchorEvent.type,
               AnchorEvent.period, epoch_us(AnchorEvent.occurred_at))
        .join(Participant).where(Participant.study_id == study_id,
                                 AnchorEvent.status == CONFIRMED)).all()
    # Assessment windows matter only to questionnaire endpoints.
    with_windows = any(spec.kind == "questionnaire" for spec in protocol.endpoints)
    periods = study_periods(protocol, participants, events, now, with_windows=with_windows)
    records = periods.records
    staff = staff_entered(session, study_id)
    # Flagging values needs the ids of the entries read; staff entries are the exception,
    # so a study without any reads its scores the fast way (no ids).
    rows, days, values, ids, placed = _place_entries(session, study_id, periods, span,
                                                     with_entry_ids or bool(staff), progress)
    matrix = DailyMatrix.from_long(rows, days, values, n_rows=len(records),
                                   first_day=span[0], last_day=span[1], entry_ids=ids)
    extra = None
    if with_windows:
        extra = _questionnaires(session, study_id, periods.owners, periods.windows)
    if any(wanted(protocol)):  # medication and side-effect diaries (issue 6)
        diaries = _event_diaries(session, study_id, protocol, periods)
        extra = diaries if extra is None else [{**e, **d} for e, d in zip(extra, diaries,
                                                                           strict=True)]
    return StudyRecords(records, matrix, placed, extra, staff)


def _event_diaries(session, study_id, protocol, periods: StudyPeriods) -> list[dict]:
    """:func:`event_diaries` of the records with an anchor; none for those without (ITT),
    whose days are unknown."""
    anchored = [i for i, e in enumerate(periods.event_id) if e is not None]
    if len(anchored) == len(periods.event_id):
        return event_diaries(session, study_id, protocol, periods.records, periods.pid,
                             periods.start_days)
    records = periods.records
    subset = PeriodRecords(**{f: [records.column(f)[i] for i in anchored] for f in FIELDS})
    start = periods.start_days
    found = event_diaries(session, study_id, protocol, subset,
                          [periods.pid[i] for i in anchored], [start[i] for i in anchored])
    out: list[dict] = [{} for _ in periods.event_id]
    for i, d in zip(anchored, found, strict=True):
        out[i] = d
    return out


def staff_entered(session: Session, study_id: int) -> dict[str, str]:
    """Id -> source of the study's current diary entries and questionnaire responses that
    staff entered for participants (few: the query reads only those rows)."""
    out: dict[str, str] = {}
    for model in (DiaryEntry, QuestionnaireResponse):
        # The term verbatim, so SQLite uses the partial index (models.STAFF_ENTERED).
        staff = text(f"{model.__tablename__}.{STAFF_ENTERED}")
        out.update(session.execute(
            select(model.id, model.entry_source)
            .join(Participant, Participant.id == model.participant_id)
            .where(Participant.study_id == study_id, model.is_current.is_(True),
                   staff)).all())
    return out


def _questionnaires(session, study_id, owners, windows) -> list[dict]:
    """Per record, ``{(assessment, occurrence, scale): (value, response id, items
    answered)}`` from the current responses to windows of the record's anchor or of
    enrolment; items answered counts the scale's own items."""
    by_event: dict[tuple[str, str], dict] = {}
    rows = session.execute(
        select(QuestionnaireResponse.participant_id, QuestionnaireResponse.window_id,
               QuestionnaireResponse.scores, QuestionnaireResponse.id,
               QuestionnaireResponse.instrument, QuestionnaireResponse.answers)
        .join(Participant).where(Participant.study_id == study_id,
                                 QuestionnaireResponse.is_current.is_(True),
                                 QuestionnaireResponse.window_id.is_not(None)))
    for pid, window_id, scores, response_id, instrument_id, answers in rows:
        w = windows.get(pid, {}).get(window_id)
        if w is None:  # a window the current protocol no longer has
            continue
        slot = by_event.setdefault((pid, w.event_id), {})
        items = _scale_items(instrument_id)
        for scale, s in scores.items():
            answered = sum(answers.get(i) is not None for i in items.get(scale, ()))
            slot[(w.assessment, w.occurrence, scale)] = (s["value"], response_id, answered)
    # A record without its anchor (ITT) reads nothing: its endpoints are all empty.
    return [{QUESTIONNAIRES: {**by_event.get((pid, ENROLMENT), {}),
                              **by_event.get((pid, event_id), {})}} if event_id else {}
            for pid, event_id in owners]


def _scale_items(instrument_id: str) -> dict[str, tuple[str, ...]]:
    """Each scale's items of an instrument (none for one no longer registered)."""
    from scoring.instruments.registry import INSTRUMENTS

    instrument = INSTRUMENTS.get(instrument_id)
    return {} if instrument is None else {s.id: s.items for s in instrument.scales}


def _place_entries(session, study_id, periods: StudyPeriods, span, with_ids, progress):
    """Current entries as (record row, study day, score[, id]) arrays, one per record whose
    span of endpoint days holds the entry's date (a date can fall in two periods)."""
    # Participants with records, in record order, and each record's participant number.
    numbers: dict[str, int] = {}
    number = np.fromiter((numbers.setdefault(pid, len(numbers)) for pid in periods.pid),
                         dtype=np.int64, count=len(periods.pid))
    pids = list(numbers)
    # Per period k (the record's ordinal) and participant number: the record row (-1: no
    # such period) and the anchor's day number, so placing is fancy indexing over all
    # entries at once.
    n_periods = int(periods.ordinal.max()) + 1 if periods.ordinal.size else 0
    rec = np.full((n_periods, len(pids)), -1, dtype=np.int64)
    anchor = np.zeros_like(rec)
    placed = periods.ordinal >= 0  # records without an anchor (ordinal -1) get no entries
    rec[periods.ordinal[placed], number[placed]] = np.arange(number.size)[placed]
    anchor[periods.ordinal[placed], number[placed]] = periods.anchor_day[placed]
    got = read_scores(session, study_id, pids, with_ids=with_ids, progress=progress)
    parts = []
    used = np.zeros(got.day.size, dtype=bool)
    for k in range(n_periods):
        row = rec[k, got.participant]
        day = got.day - anchor[k, got.participant]
        keep = (row >= 0) & (day >= span[0]) & (day <= span[1])
        used |= keep
        parts.append((row[keep], day[keep], got.score[keep],
                      got.ids[keep] if with_ids else None))
    if not parts:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0), (np.zeros(0, object) if with_ids else None), 0
    rows, days, values = (np.concatenate([p[j] for p in parts]) for j in range(3))
    ids = np.concatenate([p[3] for p in parts]) if with_ids else None
    return rows, days, values, ids, int(used.sum())
