"""Twilio status callbacks: move an outbox message forward, never back.

The callback URL carries the outbox id, so a status arrives at the right row even when
the response to the create call was lost. Statuses apply monotonically: a late "sent"
after "delivered" changes nothing; the first final status (delivered or failed) wins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from diary.db.messaging import OutboxMessage
from diary.db.models import Participant

PROVIDER_STATES = {
    "accepted": "sent", "scheduled": "sent", "queued": "sent", "sending": "sent",
    "sent": "sent", "delivered": "delivered", "read": "delivered",
    "undelivered": "failed", "failed": "failed", "canceled": "cancelled",
}
RANK = {"pending": 0, "sending": 1, "sent": 2, "delivered": 3, "failed": 3, "cancelled": 3}

# Error codes that mean no later message to this number can succeed: the site must act.
PERMANENT_CODES = {
    21610: "recipient replied STOP to the sender (Twilio 21610)",
    21211: "invalid phone number (Twilio 21211)",
    21614: "not a mobile number (Twilio 21614)",
    30003: "handset unreachable (Twilio 30003)",
    30005: "unknown or inactive number (Twilio 30005)",
    30006: "landline or unreachable carrier (Twilio 30006)",
}


def apply_status(session: Session, outbox_id: str, form: dict[str, str],
                 now: datetime) -> bool:
    """Apply one callback; False when no such message (the caller answers 2xx anyway, so
    Twilio does not retry a callback that can never match)."""
    m = session.get(OutboxMessage, outbox_id, with_for_update=True)
    if m is None:
        session.rollback()
        return False
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    new = PROVIDER_STATES.get(status)
    sid = form.get("MessageSid") or form.get("SmsSid")
    if new is None or (m.provider_sid and sid and sid != m.provider_sid):
        session.rollback()
        return True
    values: dict = {"provider_status": status}
    if m.provider_sid is None and sid:
        values["provider_sid"] = sid  # the create response was lost; the callback says
    if RANK[new] > RANK[m.state]:
        values["state"] = new
        values["outcome_unknown"] = False
        values["sent_at"] = m.sent_at or now
        if new == "delivered":
            values["delivered_at"] = now
        if new == "failed":
            values["failed_at"] = now
            code = _code(form.get("ErrorCode"))
            values["last_error_code"] = code
            values["last_error"] = f"delivery failed ({status}, error {code})"
            if code in PERMANENT_CODES and m.participant_id:
                flag_participant(session, m.participant_id, PERMANENT_CODES[code], now)
    session.execute(update(OutboxMessage).where(OutboxMessage.id == m.id).values(**values))
    session.commit()
    return True


def _code(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def flag_participant(session: Session, participant_id: str, problem: str,
                     now: datetime) -> None:
    """Record a permanent delivery problem on the participant for the site to resolve."""
    session.execute(update(Participant).where(Participant.id == participant_id)
                    .values(sms_problem=problem[:200], sms_problem_at=now))
