"""The durable outbox: inserting planned messages once, and moving them through states.

Every state change is a single UPDATE guarded by the state it expects, so a late status
callback or a second scheduler can never move a message backwards or send it twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from diary.db.messaging import OutboxMessage
from diary.services.outbox_rows import insert_once

OUTBOX = OutboxMessage.__table__
__all__ = ["OUTBOX", "Sent", "backoff", "cancel", "insert_once", "mark_all_sent", "mark_failed",
           "mark_sent", "retry_later"]


def cancel(session: Session, ids: Iterable[str], reason: str, now: datetime) -> int:
    """Cancel messages that have not been handed to the provider yet."""
    ids = list(ids)
    if not ids:
        return 0
    return session.execute(
        update(OUTBOX).where(OUTBOX.c.id.in_(ids), OUTBOX.c.state.in_(("pending",)))
        .values(state="cancelled", cancelled_at=now, cancel_reason=reason)).rowcount


def mark_sent(session: Session, message_id: str, *, sid: str, provider_status: str,
              now: datetime) -> None:
    mark_all_sent(session, [Sent(message_id, sid, provider_status, now)])


@dataclass(frozen=True)
class Sent:
    """A provider's acceptance of one claimed message."""

    message_id: str
    sid: str
    provider_status: str
    at: datetime


def mark_all_sent(session: Session, outcomes: list[Sent]) -> None:
    """Record acceptances in one round trip. Only rows still claimed change: a status
    callback that came first has already moved the row on (and set its sid and sent time)."""
    if outcomes:
        session.execute(
            update(OUTBOX).where(OUTBOX.c.id == bindparam("message_id"),
                                 OUTBOX.c.state == "sending")
            .values(state="sent", sent_at=bindparam("at"), provider_sid=bindparam("sid"),
                    provider_status=bindparam("status"), outcome_unknown=False,
                    last_error=None),
            [{"message_id": o.message_id, "sid": o.sid, "status": o.provider_status,
              "at": o.at} for o in outcomes])


def retry_later(session: Session, message_id: str, *, error: str, code: int | None,
                at: datetime, unknown: bool) -> None:
    """Back to pending for another attempt at ``at``; ``unknown`` means the provider may
    have the message already, so the next attempt reconciles before sending."""
    values = {"state": "pending", "next_attempt_at": at, "last_error": error[:500],
              "last_error_code": code, "claimed_by": None}
    if unknown:
        values["outcome_unknown"] = True
    session.execute(update(OUTBOX).where(OUTBOX.c.id == message_id,
                                         OUTBOX.c.state == "sending").values(**values))


def mark_failed(session: Session, message_id: str, *, error: str, code: int | None,
                now: datetime) -> None:
    session.execute(
        update(OUTBOX).where(OUTBOX.c.id == message_id, OUTBOX.c.state == "sending")
        .values(state="failed", failed_at=now, last_error=error[:500], last_error_code=code))


def backoff(attempts: int, base: timedelta = timedelta(seconds=30),
            cap: timedelta = timedelta(minutes=30)) -> timedelta:
    """Exponential backoff after ``attempts`` failed sends: 30 s, 1 min, 2 min ... 30 min.

    >>> [int(backoff(n).total_seconds()) for n in (1, 2, 3, 7, 20)]
    [30, 60, 120, 1800, 1800]
    """
    return min(base * (2 ** max(attempts - 1, 0)), cap)
