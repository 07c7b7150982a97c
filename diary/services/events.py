"""Anchor events (surgery, infusion, dose) that start a participant's follow-up clocks.

An event is recorded when it happened (confirmed) or planned ahead (a future date,
optionally with a time): the schedule uses both, so the baseline days before a booked
surgery are owed and reminded. Later changes (diary/services/event_changes.py) add
versions; the event's id, part of every window id, never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import AnchorEvent, AnchorEventVersion, Participant
from diary.errors import Conflict, RuleViolation
from diary.protocol.model import AnchorType, Protocol
from diary.schedule import CANCELLED, CONFIRMED, PLANNED, ParticipantRef, Schedule, schedule
from diary.schedule import AnchorEvent as EventRef
from diary.services.enrolment import get_participant
from diary.services.principals import Principal
from diary.services.replanning import replan_participant
from diary.timezones import local_date, start_of_day, zone

CLOCK_SKEW = timedelta(minutes=5)
PLAN_AHEAD = timedelta(days=366)  # a booking further ahead is a typo more often than not


def participant_ref(p: Participant) -> ParticipantRef:
    return ParticipantRef(p.id, p.timezone, p.enrolled_at, p.sequence, p.withdrawn_at)


def event_ref(e: AnchorEvent) -> EventRef:
    return EventRef(e.id, e.type, e.occurred_at, e.period, e.status, e.date_only)


def event_refs(session: Session, participant_id: str) -> list[EventRef]:
    rows = session.scalars(select(AnchorEvent).where(AnchorEvent.participant_id == participant_id))
    return [event_ref(e) for e in rows]


def schedule_of(session: Session, protocol: Protocol, p: Participant) -> Schedule:
    return schedule(protocol, participant_ref(p), event_refs(session, p.id))


@dataclass(frozen=True)
class When:
    """An event's instant as stored: ``date_only`` plans keep their date's local midnight."""

    occurred_at: datetime
    date_only: bool = False


def planned_when(p: Participant, planned_date: date | None, planned_at: datetime | None,
                 now: datetime) -> When:
    """The instant of a plan (exactly one of a local date or an instant), checked: from
    today (in the participant's zone) to a year ahead, before any withdrawal."""
    tz = zone(p.timezone)
    if (planned_date is None) == (planned_at is None):
        raise RuleViolation("give either planned_date (a local date) or planned_at "
                            "(a date-time with a UTC offset)", field="planned_date")
    # Bounds are checked on the given values before any conversion: a far date with an
    # offset would overflow astimezone (PITFALLS).
    if planned_at is not None:
        field = "planned_at"
        if planned_at <= now:
            raise RuleViolation("must be in the future; record what happened with "
                                "occurred_at", field=field)
        if planned_at > now + PLAN_AHEAD:
            raise RuleViolation("is more than a year ahead", field=field)
        when = When(planned_at.astimezone(UTC))
    else:
        field, today = "planned_date", local_date(now, tz)
        if planned_date < today:
            raise RuleViolation(f"is in the past (today is {today} in {p.timezone}); "
                                "record what happened with occurred_at", field=field)
        if planned_date > local_date(now + PLAN_AHEAD, tz):
            raise RuleViolation("is more than a year ahead", field=field)
        when = When(start_of_day(planned_date, tz), True)
    if p.withdrawn_at is not None:
        raise RuleViolation("the participant has withdrawn", field=field)
    return when


def check_occurred(p: Participant, occurred_at: datetime, now: datetime) -> None:
    """What happened must be past, within a year before enrolment, and not after withdrawal."""
    if occurred_at > now + CLOCK_SKEW:
        raise RuleViolation("cannot be in the future; plan it with planned_date or "
                            "planned_at", field="occurred_at")
    if occurred_at < p.enrolled_at - timedelta(days=366):
        raise RuleViolation("is more than a year before enrolment", field="occurred_at")
    if p.withdrawn_at is not None and occurred_at > p.withdrawn_at:
        raise RuleViolation("is after the participant's withdrawal", field="occurred_at")


def known_anchor(protocol: Protocol, type: str) -> AnchorType:
    anchor = protocol.anchor(type)
    if anchor is None:
        known = ", ".join(a.key for a in protocol.anchors) or "none"
        raise RuleViolation(f"unknown event type; this protocol has: {known}", field="type")
    return anchor


def check_place(session: Session, protocol: Protocol, anchor: AnchorType, p: Participant, *,
                period: int | None, occurred_at: datetime, field: str,
                moving: str | None = None) -> None:
    """The event fits among the participant's other live (planned or confirmed) events of
    its type: its period is free and in time order, or the protocol's count allows it.
    ``moving``: the id of the event being changed (not counted against itself)."""
    others = [e for e in session.scalars(select(AnchorEvent).where(
        AnchorEvent.participant_id == p.id, AnchorEvent.type == anchor.key))
        if e.status != CANCELLED and e.id != moving]
    if anchor.per_period:
        if period is None or not 1 <= period <= protocol.periods:
            raise RuleViolation(f"must be a period from 1 to {protocol.periods}", field="period")
        if any(e.period == period for e in others):
            raise Conflict(f"period {period} already has a {anchor.key} event", field="period")
        for e in others:
            if (e.period < period) != (e.occurred_at < occurred_at):
                raise RuleViolation(f"period {period} must come "
                                    f"{'after' if e.period < period else 'before'} period "
                                    f"{e.period} ({e.occurred_at:%Y-%m-%d})", field=field)
    elif period is not None:
        raise RuleViolation(f"{anchor.key} events have no period", field="period")
    # A per-period anchor is bounded by the periods; max_count bounds the others.
    if not anchor.per_period and anchor.max_count is not None \
            and len(others) >= anchor.max_count:
        raise Conflict(f"the protocol allows {anchor.max_count} {anchor.key} event(s) and "
                       f"{len(others)} are recorded", field="type")


def audited_view(e: AnchorEvent) -> dict:
    return {"type": e.type, "period": e.period, "status": e.status, "version": e.version,
            "occurred_at": e.occurred_at, "date_only": e.date_only}


def add_version(session: Session, principal: Principal, event: AnchorEvent, *, action: str,
                reason: str | None, now: datetime, before: dict | None = None,
                signature: dict | None = None) -> None:
    """Store ``event``'s current values as its next version and audit the change; the
    participant is re-planned at the next scheduler tick (reminders follow the event)."""
    session.add(AnchorEventVersion(
        event_id=event.id, version=event.version, action=action, status=event.status,
        period=event.period, occurred_at=event.occurred_at, date_only=event.date_only,
        reason=reason, recorded_at=now, recorded_by=principal.account_id))
    session.flush()
    audit.append(session, chain=audit.participant_chain(event.participant_id),
                 actor=principal.actor, action=f"event.{action}", entity="anchor_event",
                 entity_id=event.id, at=now, before=before, after=audited_view(event),
                 reason=reason, signature=signature)
    replan_participant(session, event.participant_id, now)


def record_event(session: Session, principal: Principal, study_key: str, subject_id: str, *,
                 type: str, period: int | None, now: datetime,
                 occurred_at: datetime | None = None, planned_date: date | None = None,
                 planned_at: datetime | None = None) -> AnchorEvent:
    """Record an event that happened (``occurred_at``: confirmed) or plan one (``planned_date``
    or ``planned_at``: planned)."""
    _, protocol, p = get_participant(session, principal, study_key, subject_id, need="write")
    anchor = known_anchor(protocol, type)
    if occurred_at is None and planned_date is None and planned_at is None:
        raise RuleViolation("give occurred_at for what happened, or planned_date or "
                            "planned_at for what is planned", field="occurred_at")
    if occurred_at is not None:
        if planned_date is not None or planned_at is not None:
            raise RuleViolation("give occurred_at for what happened, or planned_date or "
                                "planned_at for what is planned, not both", field="occurred_at")
        check_occurred(p, occurred_at, now)
        when, status, field = When(occurred_at.astimezone(UTC)), CONFIRMED, "occurred_at"
    else:
        when, status = planned_when(p, planned_date, planned_at, now), PLANNED
        field = "planned_at" if planned_at is not None else "planned_date"
    check_place(session, protocol, anchor, p, period=period, occurred_at=when.occurred_at,
                field=field)
    event = AnchorEvent(participant_id=p.id, type=type, period=period,
                        occurred_at=when.occurred_at, date_only=when.date_only, status=status,
                        version=1, recorded_at=now, recorded_by=principal.account_id)
    session.add(event)
    session.flush()
    add_version(session, principal, event, action="record" if status == CONFIRMED else "plan",
                reason=None, now=now)
    session.commit()
    return event
