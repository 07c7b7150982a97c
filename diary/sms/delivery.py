"""What a Twilio error code on a message means for the participant and for the message:
the one place that sorts delivery errors (https://www.twilio.com/docs/api/errors).

* ``OPT_OUT_CODE`` (21610, unsubscribed): an opt-out like STOP (diary.sms.opt_out), at
  create time or in a status callback (a Messaging Service reports it asynchronously).
* ``PERMANENT_CODES``: no later message to this number can succeed; recorded on the
  participant as ``sms_problem`` (shown to the site; nothing is sent until it is cleared).
* ``TRANSIENT_CODES``: the carrier or Twilio could not deliver now; the same message is
  sent again with backoff while it is still useful (before its ``expires_at``).

Anything else (30004 blocked, 30007 filtered as spam...) fails the message alone: sending
the same text again would fail the same way, and the number itself may be fine.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from diary.db.models import Participant

from . import opt_out

OPT_OUT_CODE = 21610

PERMANENT_CODES: dict[int, str] = {
    21610: "recipient replied STOP to the sender (Twilio 21610)",
    21211: "invalid phone number (Twilio 21211)",
    21614: "not a mobile number (Twilio 21614)",
    30005: "unknown or inactive number (Twilio 30005)",
    30006: "landline or unreachable carrier (Twilio 30006)",
}

TRANSIENT_CODES: dict[int, str] = {
    30001: "queue overflow: sent too fast for the sender's queue",
    30003: "handset unreachable (switched off or out of coverage)",
    30008: "unknown error from the carrier",
    30017: "carrier network congestion",
    30022: "US A2P 10DLC rate limit exceeded",
}

MAX_ATTEMPTS = 8
"""Sends of one message at most (create calls, including resends after a delivery
failure), for a message without an expiry."""


def backoff(attempts: int, base: timedelta = timedelta(seconds=30),
            cap: timedelta = timedelta(minutes=30)) -> timedelta:
    """Exponential backoff after ``attempts`` failed sends: 30 s, 1 min, 2 min ... 30 min.

    >>> [int(backoff(n).total_seconds()) for n in (1, 2, 3, 7, 20)]
    [30, 60, 120, 1800, 1800]
    """
    return min(base * (2 ** max(attempts - 1, 0)), cap)


def retry_at(attempts: int, expires_at: datetime | None, now: datetime) -> datetime | None:
    """When to send again after ``attempts`` sends, or None when it is no longer useful
    (the retry would come at or after the message's expiry, or too many attempts)."""
    at = now + backoff(attempts)
    if (expires_at is not None and at >= expires_at) or (
            expires_at is None and attempts >= MAX_ATTEMPTS):
        return None
    return at


def number_refused(session: Session, participant_id: str, code: int | None, problem: str,
                   now: datetime, *, source: str) -> None:
    """A permanent refusal of this participant's number: an opt-out for 21610 (recorded
    once, for everyone with the number), and the problem shown to the site. The caller
    commits."""
    if code == OPT_OUT_CODE:
        opt_out.record_opt_out(session, opt_out.same_phone(session, participant_id), now,
                               source=source, actor=opt_out.TWILIO)
    flag_participant(session, participant_id, PERMANENT_CODES.get(code, problem), now)


def flag_participant(session: Session, participant_id: str, problem: str,
                     now: datetime) -> None:
    """Record a permanent delivery problem on the participant for the site to resolve."""
    session.execute(update(Participant).where(Participant.id == participant_id)
                    .values(sms_problem=problem[:200], sms_problem_at=now))
