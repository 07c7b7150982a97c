"""A participant's evening reminder time: their own choice, or the study's default.

Enrolment takes an optional time; coordinators (``PUT .../participants/<id>/reminder-time``)
and the participant (``PUT /me/reminder-time``) change it later; ``null`` gives it back to
the study. A time nobody chose follows the protocol: an upgrade that changes
``reminders.daily_time`` moves those participants to the new default (issue 16). Every
change is audited and re-plans the participant at the next tick.
"""

from __future__ import annotations

import re
from datetime import datetime, time

from sqlalchemy import update
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import Participant
from diary.errors import RuleViolation
from diary.protocol.model import Protocol
from diary.services.replanning import replan_participant

TIME_RE = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def default_time(protocol: Protocol) -> str:
    return protocol.reminders.daily_time.strftime("%H:%M")


def check_reminder_time(value: str | None, protocol: Protocol) -> None:
    """A local "HH:MM" outside the study's quiet hours (None: the study's default)."""
    if value is None:
        return
    if not isinstance(value, str) or not TIME_RE.fullmatch(value):
        raise RuleViolation('must be a local time "HH:MM"', field="reminder_time")
    r = protocol.reminders
    if r.quiet_start is not None and r.quiet_end is not None:
        at, start, end = time.fromisoformat(value), r.quiet_start, r.quiet_end
        if (start <= at < end) if start <= end else (at >= start or at < end):
            raise RuleViolation(f"falls in the study's quiet hours ({start:%H:%M}-"
                                f"{end:%H:%M}), when no reminder is sent",
                                field="reminder_time")


def set_reminder_time(session: Session, p: Participant, protocol: Protocol,
                      value: str | None, *, actor: audit.Actor, now: datetime) -> Participant:
    """Set (or, with None, give back to the study) a participant's time; commits."""
    check_reminder_time(value, protocol)
    before = {"reminder_time": p.reminder_time, "reminder_time_chosen": p.reminder_time_chosen}
    after = {"reminder_time": value or default_time(protocol),
             "reminder_time_chosen": value is not None}
    if after == before:
        return p
    p.reminder_time, p.reminder_time_chosen = after["reminder_time"], after[
        "reminder_time_chosen"]
    audit.append(session, chain=audit.participant_chain(p.id), actor=actor,
                 action="participant.reminder_time", entity="participant", entity_id=p.id,
                 at=now, before=before, after=after)
    replan_participant(session, p.id, now)
    session.commit()
    return p


def follow_new_default(session: Session, study_id: int, old: Protocol,
                       new: Protocol) -> int:
    """After an upgrade: everyone who never chose a time gets the new default (the
    caller audits the upgrade with the count, re-plans and commits)."""
    if default_time(old) == default_time(new):
        return 0
    return session.execute(update(Participant).where(
        Participant.study_id == study_id, Participant.reminder_time_chosen.is_(False))
        .values(reminder_time=default_time(new))).rowcount
