"""A study's diary as scoring input: one record per participant and anchor (period).

Reads plain columns with Core selects (no ORM objects: a large study has millions of
entries), places every current entry on the study-day axis of each anchor whose
endpoint span holds it, and hands scoring one matrix. Only current versions count:
a correction replaces what it corrects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from diary.db.models import AnchorEvent, Participant, QuestionnaireResponse
from diary.exports.entries import Progress, read_scores
from diary.exports.safety_records import event_diaries, wanted
from diary.protocol.model import ENROLMENT, Protocol
from diary.schedule import AnchorEvent as EventRef
from diary.schedule import DiarySpan, ParticipantRef, schedule, treatment_in
from diary.timezones import local_date, zone
from scoring.endpoints import specs_span
from scoring.matrix import DailyMatrix
from scoring.questionnaire_kind import QUESTIONNAIRES
from scoring.records import PeriodRecords

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # day numbers count from 1970-01-01


@dataclass(frozen=True)
class StudyRecords:
    records: PeriodRecords
    matrix: DailyMatrix
    entries: int  # current diary entries placed on at least one record
    extra: list[dict] | None = None  # per record: questionnaire scores by window


def load_study_records(session: Session, study_id: int, protocol: Protocol, *, now,
                       sites: tuple[str, ...] | None = None, with_entry_ids: bool = False,
                       progress: Progress | None = None) -> StudyRecords:
    """Records (participant x anchor of the daily diary) and their daily-score matrix.

    ``sites`` limits the records to those sites (a site-scoped role); None means all.
    """
    span = specs_span(protocol.endpoints) or (0, 0)
    stmt = select(Participant.id, Participant.subject_id, Participant.site, Participant.arm,
                  Participant.sequence, Participant.timezone, Participant.enrolled_at,
                  Participant.withdrawn_at).where(Participant.study_id == study_id)
    if sites is not None:
        stmt = stmt.where(Participant.site.in_(sites))
    participants = session.execute(stmt.order_by(Participant.subject_id)).all()
    events: dict[str, list[EventRef]] = {}
    for event_id, pid, kind, period, at in session.execute(
            select(AnchorEvent.id, AnchorEvent.participant_id, AnchorEvent.type,
                   AnchorEvent.period, AnchorEvent.occurred_at)
            .join(Participant).where(Participant.study_id == study_id)):
        events.setdefault(pid, []).append(EventRef(event_id, kind, at, period))
    records, slots, windows, owners = _records(protocol, participants, events, now)
    rows, days, values, ids, placed = _place_entries(session, study_id, slots, span,
                                                     with_entry_ids, progress)
    matrix = DailyMatrix.from_long(rows, days, values, n_rows=len(records),
                                   first_day=span[0], last_day=span[1], entry_ids=ids)
    extra = None
    if any(spec.kind == "questionnaire" for spec in protocol.endpoints):
        extra = _questionnaires(session, study_id, owners, windows)
    if any(wanted(protocol)):  # medication and side-effect diaries (issue 6)
        diaries = event_diaries(session, study_id, protocol, records, owners)
        extra = [{**(extra[i] if extra else {}), **d} for i, d in enumerate(diaries)]
    return StudyRecords(records, matrix, placed, extra)


def _questionnaires(session, study_id, owners, windows) -> list[dict]:
    """Per record, ``{(assessment, occurrence, scale): (value, response id)}`` from the
    current responses to windows of the record's anchor or of enrolment."""
    by_event: dict[tuple[str, str], dict] = {}
    rows = session.execute(
        select(QuestionnaireResponse.participant_id, QuestionnaireResponse.window_id,
               QuestionnaireResponse.scores, QuestionnaireResponse.id)
        .join(Participant).where(Participant.study_id == study_id,
                                 QuestionnaireResponse.is_current.is_(True),
                                 QuestionnaireResponse.window_id.is_not(None)))
    for pid, window_id, scores, response_id in rows:
        w = windows.get(pid, {}).get(window_id)
        if w is None:  # a window the current protocol no longer has
            continue
        slot = by_event.setdefault((pid, w.event_id), {})
        for scale, s in scores.items():
            slot[(w.assessment, w.occurrence, scale)] = (s["value"], response_id)
    return [{QUESTIONNAIRES: {**by_event.get((pid, ENROLMENT), {}),
                              **by_event.get((pid, event_id), {})}}
            for pid, event_id in owners]


def _records(protocol, participants, events, now):
    """One record per diary span, with ``slots[k][pid]`` = (record index, anchor ordinal),
    each participant's windows by id, and each record's (participant, anchor event)."""
    # Kept as columns (PeriodRecords): scoring and the wide table read them field by field.
    cols: dict[str, list] = {f: [] for f in ("subject", "site", "treatment", "period",
                                             "sequence", "anchor_date", "today_day",
                                             "stop_day")}
    slots: list[dict[str, tuple[int, int]]] = []
    windows: dict[str, dict] = {}
    # Assessment windows matter only to questionnaire endpoints.
    with_windows = any(spec.kind == "questionnaire" for spec in protocol.endpoints)
    owners: list[tuple[str, str]] = []
    today_in: dict[str, date] = {}  # "today" per time zone (a study has few)
    for p in participants:
        ref = ParticipantRef(p.id, p.timezone, p.enrolled_at, p.sequence, p.withdrawn_at)
        mine = events.get(p.id, [])
        sched = schedule(protocol, ref, mine, with_windows=with_windows)
        if with_windows:
            windows[p.id] = {w.id: w for w in sched.windows}
        tz = zone(p.timezone)
        today = today_in.get(p.timezone)
        if today is None:
            today = today_in[p.timezone] = local_date(now, tz)
        stop = local_date(p.withdrawn_at, tz) if p.withdrawn_at else None
        for k, s in enumerate(_periods(protocol, ref, sched, mine, tz)):
            cols["subject"].append(p.subject_id)
            cols["site"].append(p.site)
            cols["treatment"].append(s.treatment or p.arm or "ALL")
            cols["period"].append(s.period if s.period is not None else k + 1)
            cols["sequence"].append(p.sequence)
            cols["anchor_date"].append(s.anchor_date)
            cols["today_day"].append((today - s.anchor_date).days)
            cols["stop_day"].append((stop - s.anchor_date).days if stop else None)
            owners.append((p.id, s.event_id))
            if len(slots) <= k:
                slots.append({})
            slots[k][p.id] = (len(owners) - 1, s.anchor_date.toordinal() - EPOCH_ORDINAL)
    return PeriodRecords(**cols), slots, windows, owners


def _periods(protocol, ref, sched, events, tz) -> list[DiarySpan]:
    """The periods a participant is scored over: its diary spans, or, for a study without
    a daily diary, one per event of its first anchor type (enrolment when it has none)."""
    if protocol.daily_diary is not None:
        return list(sched.diary_spans)
    anchor = protocol.anchors[0].key if protocol.anchors else ENROLMENT
    chosen = [e for e in events if e.type == anchor] if protocol.anchors else [
        EventRef(ENROLMENT, ENROLMENT, ref.enrolled_at)]
    periods = []
    for e in sorted(chosen, key=lambda e: e.occurred_at):
        day0 = local_date(e.occurred_at, tz)
        periods.append(DiarySpan(e.id, e.type, e.period,
                                 treatment_in(protocol, ref.sequence, e.period), day0, day0, day0))
    return periods


def _place_entries(session, study_id, slots, span, with_ids, progress):
    """Current entries as (record row, study day, score[, id]) arrays, one per record whose
    span of endpoint days holds the entry's date (a date can fall in two periods)."""
    pids = list(dict.fromkeys(pid for slot in slots for pid in slot))
    number = {pid: i for i, pid in enumerate(pids)}
    # Per period k and participant number: the record row (-1: no such period) and the
    # anchor's day number, so placing is fancy indexing over all entries at once.
    rec = np.full((len(slots), len(pids)), -1, dtype=np.int64)
    anchor = np.zeros_like(rec)
    for k, slot in enumerate(slots):
        for pid, (r, a) in slot.items():
            rec[k, number[pid]], anchor[k, number[pid]] = r, a
    got = read_scores(session, study_id, pids, with_ids=with_ids, progress=progress)
    parts = []
    used = np.zeros(got.day.size, dtype=bool)
    for k in range(len(slots)):
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
