"""Do the clinical tables still say what the audit trail says they were set to?

Every write of a diary entry, questionnaire response, medication intake, side-effect
report, adverse event, anchor event or enrolment appends an audit record whose ``after``
holds the row's audited fields. A score changed, a row deleted or inserted by SQL, past
the application, leaves the trail behind: this check folds each row's records (later
``after`` values over earlier ones), compares the fields they name with the row, and
reports rows with no record and recorded rows that are gone (issue 17). Participants are
read in batches, each batch's rows and its participants' chains together, so memory
follows the batch, not the study.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from diary.audit import participant_chain, plain
from diary.db.audit_models import AuditRecord
from diary.db.models import AnchorEvent, DiaryEntry, Participant, QuestionnaireResponse, Study
from diary.db.safety_models import AdverseEventRecord, MedicationIntake, SideEffectReport
from diary.services import adverse_events, entries, medications, questionnaires, side_effects
from diary.services.events import audited_view as event_view

BATCH = 500
PREFIX = participant_chain("")


def participant_view(p: Participant) -> dict:
    """The participant's fields as ``participant.*`` records state them (enrolment,
    withdrawal, unblinding, SMS opt-out); ``phone`` and ``screening_override`` are
    recorded as whether they are set."""
    return {"subject_id": p.subject_id, "site": p.site, "arm": p.arm,
            "sequence": p.sequence, "timezone": p.timezone, "language": p.language,
            "reminder_time": p.reminder_time,
            "phone": "set" if p.phone_encrypted is not None else None,
            "screening_override": p.screening_override is not None,
            "withdrawn_at": p.withdrawn_at, "sms_opted_out_at": p.sms_opted_out_at}


@dataclass(frozen=True)
class Checked:
    """A table under check: the audit entity name, the model, its audited view, and the
    column that names the participant."""

    entity: str
    model: Any
    view: Callable[[Any], dict]
    owner: Any
    # What the first record leaves unsaid because it holds for every new row
    implied: dict = field(default_factory=dict)


TABLES = (
    Checked("participant", Participant, participant_view, Participant.id,
            implied={"withdrawn_at": None, "sms_opted_out_at": None}),
    Checked("diary_entry", DiaryEntry, entries.audit_view, DiaryEntry.participant_id),
    Checked("questionnaire_response", QuestionnaireResponse, questionnaires.audit_view,
            QuestionnaireResponse.participant_id),
    Checked("medication_intake", MedicationIntake, medications.audit_view,
            MedicationIntake.participant_id),
    Checked("anchor_event", AnchorEvent, event_view, AnchorEvent.participant_id),
    Checked("side_effect_report", SideEffectReport, side_effects.audit_view,
            SideEffectReport.participant_id),
    Checked("adverse_event", AdverseEventRecord, adverse_events.audit_view,
            AdverseEventRecord.participant_id),
)
ENTITIES = tuple(t.entity for t in TABLES)


@dataclass
class CrossCheck:
    rows: int = 0
    problems: list[str] = field(default_factory=list)


def cross_check(session: Session, *, batch: int = BATCH) -> CrossCheck:
    """Compare every row of the clinical tables with its audit records."""
    out = CrossCheck()
    for ids in _batches(_participant_ids(session), batch):
        subjects = _subjects(session, ids)
        recorded, superseded = _recorded(session, ids)
        for table in TABLES:
            # Core rows, not ORM objects: the views read columns by name either way, and
            # skipping the identity map makes the check about twice as fast.
            rows = session.execute(select(table.model.__table__)
                                   .where(table.owner.in_(ids)))
            for row in rows:
                out.rows += 1
                where = f"{table.entity} {row.id}{subjects.get(_owner(table, row), '')}"
                after = recorded.pop((table.entity, row.id), None)
                out.problems.extend(f"{where}: {problem}" for problem in _row_problems(
                    table, row, after, (table.entity, row.id) in superseded))
        for (entity, entity_id), _ in sorted(recorded.items()):
            out.problems.append(f"{entity} {entity_id}: in the audit trail but not in its "
                                "table (deleted outside the application)")
    return out


def _row_problems(table: Checked, row, after: dict | None, superseded: bool) -> list[str]:
    """How one row disagrees with its folded audit values (``after``, None: no record)."""
    if after is None:
        return ["has no audit record (inserted outside the application)"]
    problems = _differences(table.view(row), {**table.implied, **after})
    if hasattr(row, "is_current"):
        problems += _currency(row, superseded)
    return problems


def _owner(table: Checked, row) -> str:
    return row.id if table.model is Participant else row.participant_id


def _participant_ids(session: Session) -> list[str]:
    """Participants in the table and participants with a chain (a deleted one has one)."""
    ids = set(session.scalars(select(Participant.id)))
    chains = session.scalars(select(AuditRecord.chain).distinct()
                             .where(AuditRecord.chain.startswith(PREFIX)))
    ids.update(c.removeprefix(PREFIX) for c in chains)
    return sorted(ids)


def _batches(ids: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _subjects(session: Session, ids: list[str]) -> dict[str, str]:
    """Participant id -> " (subject S-001, study key)", to name rows for a person."""
    rows = session.execute(select(Participant.id, Participant.subject_id, Study.key)
                           .join(Study, Study.id == Participant.study_id)
                           .where(Participant.id.in_(ids)))
    return {pid: f" (subject {subject}, study {key})" for pid, subject, key in rows}


def _recorded(session: Session, ids: list[str]) -> tuple[dict[tuple[str, str], dict],
                                                         set[tuple[str, str]]]:
    """(entity, id) -> the audited fields, later records' ``after`` over earlier ones; and
    the versions a later audited version replaced (a correction's ``before``)."""
    stmt = (select(AuditRecord.entity, AuditRecord.entity_id, AuditRecord.before,
                   AuditRecord.after)
            .where(AuditRecord.chain.in_([participant_chain(i) for i in ids]),
                   AuditRecord.entity.in_(ENTITIES))
            .order_by(AuditRecord.chain, AuditRecord.seq))
    folded: dict[tuple[str, str], dict] = {}
    superseded: set[tuple[str, str]] = set()
    for entity, entity_id, before, after in session.execute(stmt):
        folded.setdefault((entity, entity_id), {}).update(
            after if isinstance(after, dict) else {})
        if isinstance(before, dict) and before.get("id") not in (None, entity_id):
            superseded.add((entity, before["id"]))
    return folded, superseded


def _currency(row, superseded: bool) -> list[str]:
    """A version is current exactly when no audited correction replaced it: flipping
    ``is_current`` would bring back an old score without changing any audited value."""
    if row.is_current == (not superseded):
        return []
    said = "was replaced by a correction" if superseded else "is the current version"
    return [f"is_current is {row.is_current} but the audit trail says it {said} "
            "(changed outside the application)"]


def _differences(view: dict, audited: dict) -> list[str]:
    current = _normal(plain(view))
    said = _normal(audited)
    return [f"{name} is {current[name]!r} but the audit trail says {said[name]!r} "
            "(changed outside the application)"
            for name in sorted(current.keys() & said.keys()) if current[name] != said[name]]


def _normal(value: Any, key: str | None = None) -> Any:
    """One spelling per value: instants in UTC (a device time is audited with the offset
    it was sent with, stored in UTC), and a score as its value (a rescoring audits the
    full score objects, a response its values)."""
    if isinstance(value, dict):
        if key == "scores":
            value = {k: v.get("value") if isinstance(v, dict) else v for k, v in value.items()}
        return {k: _normal(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, str) and len(value) > 10 and value[4:5] == "-" and value[10] in " T":
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        if instant.tzinfo is not None:
            return instant.timestamp()
    return value
