"""Twilio status callbacks: move an outbox message forward, never back.

The callback URL carries the outbox id, so a status arrives at the right row even when
the response to the create call was lost. Statuses apply monotonically: a late "sent"
after "delivered" changes nothing; the first final status (delivered or failed) wins.

A failure whose code is transient (diary.sms.delivery: 30001 queue overflow, ...) puts the
message back to pending for a resend with backoff while it is still useful; it keeps the
failed message's sid until the resend, so a repeated callback for it is recognised as old
news. 21610 is an opt-out (recorded once, audited); other permanent codes flag the
participant.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from diary.db.messaging import OutboxMessage

from . import opt_out
from .delivery import PERMANENT_CODES, TRANSIENT_CODES, flag_participant, number_refused, retry_at

__all__ = ["PERMANENT_CODES", "PROVIDER_STATES", "apply_status", "flag_participant"]

PROVIDER_STATES = {
    "accepted": "sent", "scheduled": "sent", "queued": "sent", "sending": "sent",
    "sent": "sent", "delivered": "delivered", "read": "delivered",
    "undelivered": "failed", "failed": "failed", "canceled": "cancelled",
}
RANK = {"pending": 0, "sending": 1, "sent": 2, "delivered": 3, "failed": 3, "cancelled": 3}


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
    if new is None or (m.provider_sid and sid and sid != m.provider_sid) or (
            m.state in ("pending", "sending") and m.provider_sid is not None):
        # Not sent yet but holding a sid: that message failed, and the row waits for (or
        # is in) its resend, whose own sid is recorded when Twilio accepts it.
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
            again = retry_at(m.send_attempts, m.expires_at, now) \
                if code in TRANSIENT_CODES else None
            if again is not None:
                del values["failed_at"]
                values.update(state="pending", next_attempt_at=again, claimed_by=None,
                              last_error=f"delivery failed ({status}, error {code}: "
                                         f"{TRANSIENT_CODES[code]}); sending again")
            elif code in PERMANENT_CODES and m.participant_id:
                number_refused(session, m.participant_id, code, PERMANENT_CODES[code], now,
                               source=opt_out.IN_CALLBACK)
    session.execute(update(OutboxMessage).where(OutboxMessage.id == m.id).values(**values))
    session.commit()
    return True


def _code(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None
