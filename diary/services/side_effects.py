"""The side-effect diary: a participant's checklist for a diary date (severity 0-3 per
symptom the protocol declares, plus free text), with the pain diary's rules.

One current report per date: a second one for the same date is a correction and needs
a reason (version n+1; the earlier stays, superseded). A severe symptom alerts the
site's coordinators through the outbox (diary/services/safety_alerts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import Participant, new_id
from diary.db.safety_models import SideEffectReport
from diary.errors import Conflict, RefusedInput
from diary.protocol.model import SIDE_EFFECTS, Protocol
from diary.safety import ChecklistAnswer, ChecklistError, alert_reasons, validate_answer
from diary.services.event_diary import add_version, check_day
from diary.services.paging import page_of
from diary.services.replanning import replan_participant
from diary.services.safety_alerts import raise_alert


@dataclass(frozen=True)
class NewReport:
    diary_date: date
    answers: dict
    client_id: str
    device_time: datetime | None
    free_text: str | None = None
    reason: str | None = None
    channel: str = "app"


@dataclass(frozen=True)
class RecordedReport:
    report: SideEffectReport
    created: bool
    alerted: bool = False


def check_answers(protocol: Protocol, n: NewReport) -> ChecklistAnswer:
    checklist = protocol.side_effects
    try:
        return validate_answer(checklist, n.answers, free_text=n.free_text)
    except ChecklistError as exc:
        # Every refused item at once (issue 13): answers.<code> for each symptom.
        errors: dict[str, list[str]] = {}
        for name, rule in exc.errors:
            field = f"answers.{name}" if name in checklist.codes else name
            errors.setdefault(field, []).append(rule)
        first = next(iter(errors))
        message = "; ".join(f"{f}: {r[0]}" for f, r in errors.items())
        raise RefusedInput(message, field=first, errors=errors) from None


def _replay(session: Session, p: Participant, n: NewReport,
            answer: ChecklistAnswer | None) -> RecordedReport | None:
    row = session.scalar(select(SideEffectReport).where(
        SideEffectReport.participant_id == p.id, SideEffectReport.client_id == n.client_id))
    if row is None:
        return None
    if answer is None or (row.diary_date, row.answers, row.free_text) != (
            n.diary_date, dict(answer.severities), answer.free_text):
        raise Conflict("this client_id was already used for a different report",
                       field="client_id", code="client_id_reused")
    return RecordedReport(row, created=False)


def record_side_effects(session: Session, p: Participant, protocol: Protocol, n: NewReport,
                        *, actor: audit.Actor, now: datetime,
                        recorded_by: int | None = None) -> RecordedReport:
    """Store a day's checklist (or its correction), audit it, alert if severe; commits."""
    try:
        answer = check_answers(protocol, n)
    except RefusedInput:
        _replay(session, p, n, None)  # a report stored under this id: 409, not 422
        raise
    replay = _replay(session, p, n, answer)
    if replay is not None:
        return replay
    check_day(protocol, p, n.diary_date, now, field="diary_date")
    current = session.scalar(select(SideEffectReport).where(
        SideEffectReport.participant_id == p.id, SideEffectReport.diary_date == n.diary_date,
        SideEffectReport.is_current.is_(True)).with_for_update())
    reason = n.reason.strip() if n.reason and n.reason.strip() else None
    if current is not None and reason is None:
        raise Conflict(f"{n.diary_date} already has a side-effect report; to correct it, "
                       "send the new answers with a reason", field="reason",
                       code="correction_needs_reason")
    row = SideEffectReport(
        id=new_id(), participant_id=p.id, diary_date=n.diary_date,
        answers=dict(answer.severities), max_severity=answer.max_severity,
        free_text=answer.free_text, client_id=n.client_id, device_time=n.device_time,
        received_at=now, version=current.version + 1 if current else 1, is_current=True,
        supersedes_id=current.id if current else None,
        reason=reason if current else None, channel=n.channel, recorded_by=recorded_by)
    try:
        add_version(session, row, current, participant_id=p.id, actor=actor,
                    entity="side_effect_report", created="side_effects.create",
                    corrected="side_effects.correct", view=audit_view, now=now)
        alerted = raise_alert(session, p, series=f"side_effects:{p.id}:{n.diary_date}",
                              target=row.id, reasons=alert_reasons(answer),
                              what=f"side-effect diary for {n.diary_date}", now=now)
        if any(a.form == SIDE_EFFECTS for a in protocol.assessments):
            # It may answer a checklist window: the next tick cancels that reminder.
            replan_participant(session, p.id, now)
        session.commit()
    except IntegrityError:
        session.rollback()
        replay = _replay(session, p, n, answer)
        if replay is not None:
            return replay
        raise Conflict(f"{n.diary_date} was changed by another request; reload and retry",
                       field="diary_date", code="concurrent_change") from None
    return RecordedReport(row, created=True, alerted=alerted)


def audit_view(row: SideEffectReport) -> dict:
    return {"id": row.id, "diary_date": row.diary_date, "answers": row.answers,
            "free_text": row.free_text, "version": row.version, "client_id": row.client_id,
            "channel": row.channel}


def list_reports(session: Session, participant_id: str, *, page: int, page_size: int,
                 include_superseded: bool = True) -> tuple[list[SideEffectReport], int]:
    stmt = select(SideEffectReport).where(SideEffectReport.participant_id == participant_id)
    if not include_superseded:
        stmt = stmt.where(SideEffectReport.is_current.is_(True))
    return page_of(session, stmt, SideEffectReport.diary_date.desc(),
                   SideEffectReport.version.desc(), page=page, page_size=page_size)
