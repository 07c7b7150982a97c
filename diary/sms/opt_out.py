"""Opt-out and opt-in, whatever their source: recorded once, audited with the source.

Sources: the participant's STOP/START keywords (``keyword``), Twilio's Advanced Opt-Out
``OptOutType`` on an inbound message (``twilio_advanced_opt_out``), and Twilio's error
21610 (recipient unsubscribed) when a message is created (``twilio_21610_at_send``) or in
a delivery status callback (``twilio_21610_in_callback``). One person, one phone: every
enrolment with the number is silenced. Each change is a guarded UPDATE (only a participant
not yet opted out is opted out), so two sources racing record it once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import Participant
from diary.services.replanning import replan_participant

KEYWORD = "keyword"
ADVANCED_OPT_OUT = "twilio_advanced_opt_out"
REFUSED_AT_SEND = "twilio_21610_at_send"
IN_CALLBACK = "twilio_21610_in_callback"
TWILIO = audit.Actor("twilio")
"""The actor of an opt-out Twilio reported (the participant texted STOP to Twilio)."""


def same_phone(session: Session, participant_id: str) -> list[str]:
    """Ids of everyone enrolled with this participant's number (at least the participant)."""
    index = session.scalar(select(Participant.phone_index)
                           .where(Participant.id == participant_id))
    if index is None:
        return [participant_id]
    return list(session.scalars(select(Participant.id)
                                .where(Participant.phone_index == index)))


def record_opt_out(session: Session, participant_ids: list[str], now: datetime, *,
                   source: str, actor: audit.Actor | None = None) -> int:
    """Opt these participants out (those not already); audited; the caller commits.
    Returns how many changed."""
    changed = 0
    for pid in participant_ids:
        if session.execute(update(Participant).where(
                Participant.id == pid, Participant.sms_opted_out_at.is_(None))
                .values(sms_opted_out_at=now)).rowcount:
            changed += 1
            audit.append(session, chain=audit.participant_chain(pid),
                         actor=actor or audit.Actor(f"participant:{pid}"),
                         action="sms.opt_out", entity="participant", entity_id=pid, at=now,
                         before={"sms_opted_out_at": None},
                         after={"sms_opted_out_at": now, "source": source})
    _refresh(session, participant_ids)
    return changed


def record_opt_in(session: Session, participant_ids: list[str], now: datetime, *,
                  source: str, actor: audit.Actor | None = None) -> int:
    """Opt these participants in again; their recorded SMS problem is cleared too (they
    texted from the number, and Twilio lifts its own block on START); they are planned
    again at the next tick. Audited; the caller commits. Returns how many changed."""
    changed = 0
    for pid in participant_ids:
        before = session.execute(select(Participant.sms_opted_out_at, Participant.sms_problem)
                                 .where(Participant.id == pid)).one_or_none()
        if before is None or (before.sms_opted_out_at is None and before.sms_problem is None):
            continue
        if not session.execute(update(Participant).where(
                Participant.id == pid, or_(Participant.sms_opted_out_at.is_not(None),
                                           Participant.sms_problem.is_not(None)))
                .values(sms_opted_out_at=None, sms_problem=None,
                        sms_problem_at=None)).rowcount:
            continue
        changed += 1
        audit.append(session, chain=audit.participant_chain(pid),
                     actor=actor or audit.Actor(f"participant:{pid}"),
                     action="sms.opt_in", entity="participant", entity_id=pid, at=now,
                     before={"sms_opted_out_at": before.sms_opted_out_at,
                             "sms_problem": before.sms_problem},
                     after={"sms_opted_out_at": None, "sms_problem": None, "source": source})
        replan_participant(session, pid, now)  # skipped while opted out: look again now
    _refresh(session, participant_ids)
    return changed


def _refresh(session: Session, participant_ids: list[str]) -> None:
    """Participants already loaded in the session see the guarded updates."""
    for p in session.identity_map.values():
        if isinstance(p, Participant) and p.id in participant_ids:
            session.expire(p, ["sms_opted_out_at", "sms_problem", "sms_problem_at"])
