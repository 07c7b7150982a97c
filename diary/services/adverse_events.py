"""Adverse events recorded by coordinators: term, onset and resolution, severity,
seriousness and relatedness (diary.safety vocabularies), corrected as new versions.

A serious or severe event alerts the site's coordinators through the outbox once per
event and reason (diary/services/safety_alerts.py). The onset must be on or after the
enrolment date (earlier is medical history); neither onset nor resolution may be after
the participant's local today. An event may be recorded after withdrawal (follow-up of
an event is still safety reporting).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diary.db.models import Participant, new_id
from diary.db.safety_models import AdverseEventRecord
from diary.errors import Conflict, RefusedInput, RuleViolation
from diary.safety import AdverseEvent, AdverseEventError, adverse_event, alert_reasons
from diary.services.enrolment import get_participant
from diary.services.event_diary import add_version, version_fields, version_to_correct
from diary.services.paging import page_of
from diary.services.principals import Principal
from diary.services.safety_alerts import raise_alert
from diary.timezones import local_date, zone


@dataclass(frozen=True)
class NewAdverseEvent:
    term: str
    onset: date
    severity: int | str
    serious: bool
    relatedness: str
    client_id: str
    resolved: date | None = None
    corrects: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RecordedEvent:
    event: AdverseEventRecord
    created: bool
    alerted: bool = False


def _checked(n: NewAdverseEvent) -> AdverseEvent:
    try:
        return adverse_event(n.term, n.onset, severity=n.severity, serious=n.serious,
                             relatedness=n.relatedness, resolved=n.resolved)
    except AdverseEventError as exc:
        raise RefusedInput(f"{exc.field}: {exc.rule}", field=exc.field,
                           errors={exc.field: [exc.rule]}) from None


def _replay(session: Session, p: Participant, n: NewAdverseEvent,
            ae: AdverseEvent) -> RecordedEvent | None:
    row = session.scalar(select(AdverseEventRecord).where(
        AdverseEventRecord.participant_id == p.id, AdverseEventRecord.client_id == n.client_id))
    if row is None:
        return None
    if (row.term, row.onset, row.resolved, row.severity, row.serious, row.relatedness,
            row.supersedes_id) != (ae.term, ae.onset, ae.resolved, ae.severity, ae.serious,
                                   ae.relatedness, n.corrects):
        raise Conflict("this client_id was already used for a different adverse event",
                       field="client_id", code="client_id_reused")
    return RecordedEvent(row, created=False)


def record_adverse_event(session: Session, who: Principal, key: str, subject_id: str,
                         n: NewAdverseEvent, *, now: datetime) -> RecordedEvent:
    """Store an adverse event (or its correction), audit it, alert if serious or severe."""
    _, _, p = get_participant(session, who, key, subject_id, need="write")
    ae = _checked(n)
    replay = _replay(session, p, n, ae)
    if replay is not None:
        return replay
    tz = zone(p.timezone)
    today = local_date(now, tz)
    if ae.onset > today:
        raise RuleViolation("is in the future", field="onset")
    # A resolution is recorded once it happened (a correction adds it later): a date
    # after today is a typing slip (or 9999-12-31 for "not yet"), not a fact.
    if ae.resolved is not None and ae.resolved > today:
        raise RuleViolation(f"is in the future (today is {today} in {p.timezone}); leave "
                            "it empty until the event has resolved", field="resolved")
    if ae.onset < local_date(p.enrolled_at, tz):
        raise RuleViolation("is before enrolment (earlier conditions are medical history)",
                            field="onset")
    previous = version_to_correct(session, AdverseEventRecord, p.id, n.corrects, n.reason)
    row_id = new_id()
    row = AdverseEventRecord(
        participant_id=p.id, client_id=n.client_id,
        is_current=True, term=ae.term, onset=ae.onset, resolved=ae.resolved,
        severity=ae.severity, serious=ae.serious, relatedness=ae.relatedness,
        recorded_by=who.account_id, **version_fields(previous, row_id, now, n.reason))
    try:
        add_version(session, row, previous, participant_id=p.id, actor=who.actor,
                    entity="adverse_event", created="adverse_event.create",
                    corrected="adverse_event.correct", view=audit_view, now=now)
        alerted = raise_alert(session, p, series=f"adverse_event:{row.series_id}",
                              target=row.id, reasons=alert_reasons(ae),
                              what=f"adverse event, onset {ae.onset}", now=now)
        session.commit()
    except IntegrityError:
        session.rollback()
        replay = _replay(session, p, n, ae)
        if replay is not None:
            return replay
        raise Conflict("the adverse event was changed by another request; reload and retry",
                       field="corrects", code="concurrent_change") from None
    return RecordedEvent(row, created=True, alerted=alerted)


def audit_view(row: AdverseEventRecord) -> dict:
    return {"id": row.id, "series_id": row.series_id, "version": row.version,
            "term": row.term, "onset": row.onset, "resolved": row.resolved,
            "severity": row.severity, "serious": row.serious,
            "relatedness": row.relatedness, "client_id": row.client_id}


def list_adverse_events(session: Session, who: Principal, key: str, subject_id: str, *,
                        page: int, page_size: int,
                        include_superseded: bool = True) -> tuple[list, int]:
    _, _, p = get_participant(session, who, key, subject_id)
    stmt = select(AdverseEventRecord).where(AdverseEventRecord.participant_id == p.id)
    if not include_superseded:
        stmt = stmt.where(AdverseEventRecord.is_current.is_(True))
    return page_of(session, stmt, AdverseEventRecord.onset.desc(),
                   AdverseEventRecord.version.desc(), page=page, page_size=page_size)
