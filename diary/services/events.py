"""Anchor events (surgery, infusion, dose) that start a participant's follow-up clocks."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import AnchorEvent, Participant
from diary.errors import Conflict, RuleViolation
from diary.protocol.model import Protocol
from diary.schedule import AnchorEvent as EventRef
from diary.schedule import ParticipantRef, Schedule, schedule
from diary.services.enrolment import get_participant
from diary.services.principals import Principal
from diary.services.replanning import replan_participant

CLOCK_SKEW = timedelta(minutes=5)


def participant_ref(p: Participant) -> ParticipantRef:
    return ParticipantRef(p.id, p.timezone, p.enrolled_at, p.sequence, p.withdrawn_at)


def event_refs(session: Session, participant_id: str) -> list[EventRef]:
    rows = session.scalars(select(AnchorEvent).where(AnchorEvent.participant_id == participant_id))
    return [EventRef(e.id, e.type, e.occurred_at, e.period) for e in rows]


def schedule_of(session: Session, protocol: Protocol, p: Participant) -> Schedule:
    return schedule(protocol, participant_ref(p), event_refs(session, p.id))


def record_event(session: Session, principal: Principal, study_key: str, subject_id: str, *,
                 type: str, occurred_at: datetime, period: int | None,
                 now: datetime) -> AnchorEvent:
    _, protocol, p = get_participant(session, principal, study_key, subject_id, need="write")
    anchor = protocol.anchor(type)
    if anchor is None:
        known = ", ".join(a.key for a in protocol.anchors) or "none"
        raise RuleViolation(f"unknown event type; this protocol has: {known}", field="type")
    if occurred_at > now + CLOCK_SKEW:
        raise RuleViolation("cannot be in the future", field="occurred_at")
    if occurred_at < p.enrolled_at - timedelta(days=366):
        raise RuleViolation("is more than a year before enrolment", field="occurred_at")
    if p.withdrawn_at is not None and occurred_at > p.withdrawn_at:
        raise RuleViolation("is after the participant's withdrawal", field="occurred_at")
    existing = session.scalars(select(AnchorEvent).where(
        AnchorEvent.participant_id == p.id, AnchorEvent.type == type)).all()
    if anchor.per_period:
        if period is None or not 1 <= period <= protocol.periods:
            raise RuleViolation(f"must be a period from 1 to {protocol.periods}", field="period")
        if any(e.period == period for e in existing):
            raise Conflict(f"period {period} already has a {type} event", field="period")
        for e in existing:
            if (e.period < period) != (e.occurred_at < occurred_at):
                raise RuleViolation(f"period {period} must come "
                                    f"{'after' if e.period < period else 'before'} period "
                                    f"{e.period} ({e.occurred_at:%Y-%m-%d})",
                                    field="occurred_at")
    elif period is not None:
        raise RuleViolation(f"{type} events have no period", field="period")
    # A per-period anchor is bounded by the periods; max_count bounds the others.
    if not anchor.per_period and anchor.max_count is not None \
            and len(existing) >= anchor.max_count:
        raise Conflict(f"the protocol allows {anchor.max_count} {type} event(s) and "
                       f"{len(existing)} are recorded", field="type")
    event = AnchorEvent(participant_id=p.id, type=type, period=period, occurred_at=occurred_at,
                        recorded_at=now, recorded_by=principal.account_id)
    session.add(event)
    session.flush()
    audit.append(session, chain=audit.participant_chain(p.id), actor=principal.actor,
                 action="event.record", entity="anchor_event", entity_id=event.id, at=now,
                 after={"type": type, "period": period, "occurred_at": occurred_at})
    replan_participant(session, p.id, now)
    session.commit()
    return event
