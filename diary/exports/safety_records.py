"""The medication and side-effect diaries as scoring input (``PeriodInputs.extra``).

Read only when the protocol declares such endpoints, so exports without them cost
nothing more. Each participant-period gets:

- ``extra["medication"]``: a :class:`~scoring.medication_kind.MedicationDays` of the
  participant's current intakes, each on the study day of its local date relative to
  the period's anchor (a patch on every wear day, by ``diary.medication.diary_rows``);
- ``extra["safety"]``: a :class:`~scoring.safety_kind.SafetyDays` with, per checklist
  symptom, the severity answered on each day, and the current adverse events by onset
  day relative to the period's anchor.

``start_day`` is the enrolment date's study day: diaries are open from enrolment, so
days before it are not "days without medication". Only current versions count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from diary.db.models import Participant
from diary.db.safety_models import AdverseEventRecord, MedicationIntake, SideEffectReport
from diary.medication import Intake, diary_rows, load_table, mme
from diary.protocol.model import Protocol
from scoring.days import DailySeries
from scoring.medication_kind import MEDICATION, MedicationDays
from scoring.records import PeriodRecord, record_field
from scoring.safety_kind import SAFETY, SafetyDays

MEDICATION_KINDS = frozenset({"mme_total", "mme_daily_mean", "rescue_days", "mme_change"})
SAFETY_KINDS = frozenset({"ae_any", "symptom_count", "symptom_max_severity"})


def wanted(protocol: Protocol) -> tuple[bool, bool]:
    """Whether the endpoints read the medication diary, and the side-effect diary."""
    kinds = {spec.kind for spec in protocol.endpoints}
    return bool(kinds & MEDICATION_KINDS), bool(kinds & SAFETY_KINDS)


def event_diaries(session: Session, study_id: int, protocol: Protocol,
                  records: Sequence[PeriodRecord], pids: Sequence[str],
                  start_days: Sequence[int | None]) -> list[dict]:
    """Per record, its ``medication`` and/or ``safety`` extra (empty dicts if neither).

    ``pids[i]`` is record ``i``'s participant, ``start_days[i]`` its enrolment date's
    study day (the loader knows both already).
    """
    medication, safety = wanted(protocol)
    out: list[dict] = [{} for _ in range(len(records))]  # not iterated: see below
    if not (medication or safety):
        return out
    by_pid: dict[str, list[int]] = defaultdict(list)
    for i, pid in enumerate(pids):
        by_pid[pid].append(i)
    # Read as a column: iterating PeriodRecords makes an object per record (issue 3).
    anchors = record_field(records, "anchor_date")
    if medication:
        rows = _intake_rows(session, study_id, anchors, by_pid)
        for i in range(len(records)):
            out[i][MEDICATION] = MedicationDays.from_rows(rows.get(i, []),
                                                          start_day=start_days[i])
    if safety:
        for i, saf in _safety(session, study_id, protocol, anchors, by_pid,
                              start_days).items():
            out[i][SAFETY] = saf
    return out


def _current(model, study_id: int):
    return (model.is_current.is_(True),
            model.participant_id.in_(select(Participant.id)
                                     .where(Participant.study_id == study_id)))


def _intake_rows(session, study_id, anchors, by_pid) -> dict[int, list[tuple]]:
    """Per record index, ``(day, MME, rescue, id, why no MME)`` rows of its intakes."""
    cache: dict[tuple, object] = {}
    out: dict[int, list[tuple]] = defaultdict(list)
    m = MedicationIntake
    for r in session.execute(select(m.id, m.participant_id, m.drug, m.route, m.dose, m.unit,
                                    m.worn_hours, m.mme_table, m.taken_date, m.rescue)
                             .where(*_current(m, study_id))):
        if r.participant_id not in by_pid:  # a site the caller does not see
            continue
        key = (r.drug, r.route, r.dose, r.unit, r.worn_hours, r.mme_table)
        if key not in cache:  # the stored canonical intake, re-read with its own table
            intake = Intake(r.drug, r.route, Decimal(r.dose), r.unit, r.mme_table,
                            r.worn_hours)
            cache[key] = mme(intake, load_table(r.mme_table))
        for i in by_pid[r.participant_id]:
            day = (r.taken_date - anchors[i]).days
            out[i].extend(diary_rows(cache[key], day=day, rescue=r.rescue, entry_id=r.id))
    return out


def _safety(session, study_id, protocol, anchors, by_pid, start) -> dict[int, SafetyDays]:
    codes = protocol.side_effects.codes
    sym: dict[int, dict[str, list[tuple[int, int, str]]]] = defaultdict(
        lambda: defaultdict(list))
    s = SideEffectReport
    for r in session.execute(select(s.id, s.participant_id, s.diary_date, s.answers)
                             .where(*_current(s, study_id))):
        for i in by_pid.get(r.participant_id, ()):
            day = (r.diary_date - anchors[i]).days
            for code, severity in r.answers.items():
                if code in codes:
                    sym[i][code].append((day, severity, r.id))
    aes: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    a = AdverseEventRecord
    for r in session.execute(select(a.series_id, a.participant_id, a.onset, a.severity)
                             .where(*_current(a, study_id))):
        for i in by_pid.get(r.participant_id, ()):
            aes[i].append(((r.onset - anchors[i]).days, r.severity, r.series_id))
    out = {}
    empty: dict[int | None, SafetyDays] = {}  # frozen: periods with no report share one
    for i in range(len(anchors)):
        if i not in sym and i not in aes:
            out[i] = empty.get(start[i]) or empty.setdefault(start[i],
                                                             SafetyDays(start_day=start[i]))
            continue
        series = {code: DailySeries([d for d, _, _ in rows], [float(v) for _, v, _ in rows],
                                    entry_ids=[e for _, _, e in rows])
                  for code, rows in sym.get(i, {}).items()}
        ev = aes.get(i, [])
        out[i] = SafetyDays(series, np.array([d for d, _, _ in ev], dtype=np.int64),
                            np.array([v for _, v, _ in ev], dtype=np.int64),
                            tuple(e for _, _, e in ev), start_day=start[i])
    return out
