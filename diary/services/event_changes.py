"""Changes to a recorded or planned anchor event, each a new version with its reason.

A plan is confirmed (the actual instant), rescheduled or cancelled; a confirmed event is
corrected. The event keeps its id, so its windows keep theirs and reminders already sent
are not sent again (their outbox keys hold the window id or the diary date); the
participant is re-planned at the next scheduler tick. Entries keep their local diary
date: exports place them on study days from the current anchor.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from diary.db.models import AnchorEvent, AnchorEventVersion
from diary.errors import Conflict, NotFound, RuleViolation
from diary.schedule import CANCELLED, CONFIRMED, PLANNED
from diary.services.enrolment import get_participant
from diary.services.events import (
    add_version,
    audited_view,
    check_occurred,
    check_place,
    known_anchor,
    planned_when,
)
from diary.services.principals import Principal
from diary.services.signatures import sign

# What each change needs the event to be, and what to do instead otherwise.
NEEDS = {
    "confirm": (PLANNED, "only a planned event is confirmed; correct a confirmed one"),
    "reschedule": (PLANNED, "only a planned event is rescheduled; correct a confirmed one"),
    "cancel": (PLANNED, "only a planned event is cancelled; correct a confirmed one"),
    "correct": (CONFIRMED, "only a confirmed event is corrected; reschedule or confirm "
                           "a planned one"),
}


def need_reason(reason: str | None, action: str) -> str:
    """The stripped reason a change must give (refused naming ``reason`` when blank)."""
    if reason is None or not reason.strip():
        code = "correction_needs_reason" if action == "correct" else "reason_required"
        raise RuleViolation(f"a {'correction' if action == 'correct' else action} needs a "
                            "reason", field="reason", code=code)
    return reason.strip()


def _event_for_change(session: Session, principal: Principal, study_key: str,
                      subject_id: str, event_id: str, action: str):
    """The participant, protocol and event (locked), checked for ``action``."""
    _, protocol, p = get_participant(session, principal, study_key, subject_id, need="write")
    event = session.scalar(select(AnchorEvent).where(
        AnchorEvent.id == event_id, AnchorEvent.participant_id == p.id).with_for_update())
    if event is None:
        raise NotFound(f"no event {event_id!r} of participant {subject_id!r}")
    status, instead = NEEDS[action]
    if event.status != status:
        raise Conflict(f"the event is {event.status}: {instead}", field="status",
                       code=f"event_{event.status}")
    return protocol, p, event


def confirm_event(session: Session, principal: Principal, study_key: str, subject_id: str,
                  event_id: str, *, occurred_at: datetime, reason: str | None,
                  now: datetime) -> AnchorEvent:
    """A planned event happened at ``occurred_at`` (a reason is optional: the plan said
    when it would be, the confirmation says when it was)."""
    protocol, p, event = _event_for_change(session, principal, study_key, subject_id,
                                           event_id, "confirm")
    check_occurred(p, occurred_at, now)
    check_place(session, protocol, known_anchor(protocol, event.type), p, period=event.period,
                occurred_at=occurred_at, field="occurred_at", moving=event.id)
    reason = reason.strip() if reason and reason.strip() else None
    return _apply(session, principal, event, "confirm", reason, now,
                  status=CONFIRMED, occurred_at=occurred_at.astimezone(UTC), date_only=False)


def reschedule_event(session: Session, principal: Principal, study_key: str, subject_id: str,
                     event_id: str, *, planned_date: date | None, planned_at: datetime | None,
                     reason: str | None, now: datetime) -> AnchorEvent:
    """A planned event moves to another date (or instant), with a reason."""
    protocol, p, event = _event_for_change(session, principal, study_key, subject_id,
                                           event_id, "reschedule")
    reason = need_reason(reason, "reschedule")
    when = planned_when(p, planned_date, planned_at, now)
    field = "planned_at" if planned_at is not None else "planned_date"
    if (when.occurred_at, when.date_only) == (event.occurred_at, event.date_only):
        raise RuleViolation("is the planned date already", field=field)
    check_place(session, protocol, known_anchor(protocol, event.type), p, period=event.period,
                occurred_at=when.occurred_at, field=field, moving=event.id)
    return _apply(session, principal, event, "reschedule", reason, now,
                  occurred_at=when.occurred_at, date_only=when.date_only)


def cancel_event(session: Session, principal: Principal, study_key: str, subject_id: str,
                 event_id: str, *, reason: str | None, now: datetime,
                 signature: dict | None = None, ph: PasswordHasher | None = None
                 ) -> AnchorEvent:
    """A planned event will not happen: its windows and reminders go (the period or count
    it held is free again). Signed when the protocol asks for it."""
    protocol, _, event = _event_for_change(session, principal, study_key, subject_id,
                                           event_id, "cancel")
    reason = need_reason(reason, "cancel")
    signed = sign(session, principal, protocol, "anchor_cancellation", signature, ph=ph,
                  now=now)
    return _apply(session, principal, event, "cancel", reason, now, signed,
                  status=CANCELLED)


def correct_event(session: Session, principal: Principal, study_key: str, subject_id: str,
                  event_id: str, *, occurred_at: datetime, reason: str | None,
                  now: datetime, signature: dict | None = None,
                  ph: PasswordHasher | None = None) -> AnchorEvent:
    """A confirmed event's instant was recorded wrongly: a new version, with a reason;
    signed when the protocol asks for it."""
    protocol, p, event = _event_for_change(session, principal, study_key, subject_id,
                                           event_id, "correct")
    reason = need_reason(reason, "correct")
    if occurred_at == event.occurred_at:
        raise RuleViolation("is the recorded instant already", field="occurred_at")
    check_occurred(p, occurred_at, now)
    check_place(session, protocol, known_anchor(protocol, event.type), p, period=event.period,
                occurred_at=occurred_at, field="occurred_at", moving=event.id)
    signed = sign(session, principal, protocol, "anchor_correction", signature, ph=ph,
                  now=now)
    return _apply(session, principal, event, "correct", reason, now, signed,
                  occurred_at=occurred_at.astimezone(UTC))


def _apply(session: Session, principal: Principal, event: AnchorEvent, action: str,
           reason: str | None, now: datetime, signed: dict | None = None,
           **values) -> AnchorEvent:
    """Make ``values`` the event's next version, audited (with its signature), and commit."""
    before = audited_view(event)
    for name, value in values.items():
        setattr(event, name, value)
    event.version += 1
    add_version(session, principal, event, action=action, reason=reason, now=now,
                before=before, signature=signed)
    session.commit()
    return event


def versions_of(session: Session, event_ids: list[str]) -> dict[str, list[AnchorEventVersion]]:
    """Every version of these events, oldest first."""
    out: dict[str, list[AnchorEventVersion]] = {i: [] for i in event_ids}
    if event_ids:
        for v in session.scalars(select(AnchorEventVersion)
                                 .where(AnchorEventVersion.event_id.in_(event_ids))
                                 .order_by(AnchorEventVersion.event_id,
                                           AnchorEventVersion.version)):
            out[v.event_id].append(v)
    return out
