"""Telling the reminder scheduler to look at participants again.

The scheduler plans only participants whose cursor is due; whatever may bring a reminder
forward (enrolment, an anchor event, a protocol upgrade) makes the cursor due now, and a
withdrawal stops it. These writes join the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from diary.db.messaging import OutboxMessage, ReminderCursor
from diary.db.models import Participant


def replan_participant(session: Session, participant_id: str, now: datetime) -> None:
    cursor = session.get(ReminderCursor, participant_id)
    if cursor is None:
        session.add(ReminderCursor(participant_id=participant_id, next_due_at=now))
    else:
        cursor.next_due_at = now


def replan_study(session: Session, study_id: int, now: datetime) -> int:
    """Every active participant of the study is planned at the next tick (after an
    upgrade: new windows appear, removed ones' pending reminders get cancelled)."""
    active = select(Participant.id).where(Participant.study_id == study_id,
                                          Participant.withdrawn_at.is_(None))
    return session.execute(update(ReminderCursor).where(
        ReminderCursor.participant_id.in_(active)).values(next_due_at=now)).rowcount


def stop_reminders(session: Session, participant_id: str, now: datetime, reason: str) -> None:
    """No more planning; pending participant messages are cancelled (coordinator alerts
    already planned stay: they are about the past)."""
    session.execute(update(ReminderCursor).where(
        ReminderCursor.participant_id == participant_id).values(next_due_at=None))
    session.execute(update(OutboxMessage).where(
        OutboxMessage.participant_id == participant_id, OutboxMessage.state == "pending",
        OutboxMessage.channel == "sms").values(state="cancelled", cancelled_at=now,
                                               cancel_reason=reason))
