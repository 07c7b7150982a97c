"""The last look before a message goes out: the participant's SMS state as stored now.

A batch is claimed, and its participants read, before the first of its messages is sent;
a STOP, a 21610 callback or a withdrawal may be stored while the batch is being sent. So
each message is checked again right before its send, one primary-key read, and the read
transaction is ended so none stays open across the provider's call (on SQLite it would
hold the write lock and block the webhook that records the STOP).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from diary.db.models import Participant

_P = Participant.__table__
# A Core statement on the session's connection (no ORM work): one per message sent.
_SMS_STATE = select(_P.c.sms_opted_out_at, _P.c.sms_problem, _P.c.withdrawn_at,
                    _P.c.phone_encrypted.is_(None).label("no_phone")
                    ).where(_P.c.id == bindparam("pid"))


def blocked_at_send(session: Session, participant_id: str | None, now: datetime) -> str | None:
    """Why this participant must not be texted now (the cancel reason), or None."""
    row = session.connection().execute(_SMS_STATE, {"pid": participant_id}).one_or_none() \
        if participant_id else None
    session.commit()
    if row is None:
        return "no participant"
    if row.withdrawn_at is not None and row.withdrawn_at <= now:
        return "withdrawn"
    if row.sms_opted_out_at is not None:
        return "opted out"
    if row.sms_problem is not None:
        return "sms problem"
    if row.no_phone:
        return "no phone number"
    return None
