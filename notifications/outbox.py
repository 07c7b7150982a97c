"""The durable outbox: inserting planned messages once, and moving them through states.

Every state change is a single UPDATE guarded by the state it expects, so a late status
callback or a second scheduler can never move a message backwards or send it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from diary.db.messaging import OutboxMessage
from diary.services.outbox_rows import insert_once
from diary.sms.delivery import backoff  # the one retry schedule (also for delivery failures)

OUTBOX = OutboxMessage.__table__
__all__ = ["OUTBOX", "Sent", "backoff", "cancel", "insert_once", "mark_all_sent", "mark_failed",
           "mark_sent_without_sid", "record_acceptances", "recorded_sids", "relaxed_commit",
           "retry_later", "store_acceptances"]

log = logging.getLogger("paindiary.dispatch")


def cancel(session: Session, ids: Iterable[str], reason: str, now: datetime) -> int:
    """Cancel messages that have not been handed to the provider yet."""
    ids = list(ids)
    if not ids:
        return 0
    return session.execute(
        update(OUTBOX).where(OUTBOX.c.id.in_(ids), OUTBOX.c.state.in_(("pending",)))
        .values(state="cancelled", cancelled_at=now, cancel_reason=reason)).rowcount


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


def mark_sent_without_sid(session: Session, outcome: Sent, *, error: str) -> None:
    """Record an acceptance whose provider id cannot be stored (another message holds it,
    or it does not fit): the provider has the message, so the row is sent and never sent
    again; ``last_error`` keeps the id, and status callbacks still find the row by the
    outbox id in their URL."""
    session.execute(
        update(OUTBOX).where(OUTBOX.c.id == outcome.message_id, OUTBOX.c.state == "sending")
        .values(state="sent", sent_at=outcome.at, provider_sid=None,
                provider_status=outcome.provider_status, outcome_unknown=False,
                last_error=error[:500]))


def recorded_sids(session: Session, sids: Iterable[str]) -> set[str]:
    """Which of these provider ids a message already holds."""
    sids = list(sids)
    if not sids:
        return set()
    return set(session.scalars(select(OUTBOX.c.provider_sid)
                               .where(OUTBOX.c.provider_sid.in_(sids))))


def record_acceptances(session: Session, accepted: list[Sent]) -> None:
    """Record a claimed batch's acceptances at its end, whatever happened in the batch.

    Every other outcome is committed where it happens, so whatever is still uncommitted
    (a statement that failed mid-batch) is rolled back first and cannot take the
    acceptances with it. One write for the batch, as safe as one each: if it is lost
    in a crash or the database is gone, the rows stay claimed until the lease ends, then
    are reconciled before any new attempt (notifications.dispatch
    ``release_stale_claims``), never stuck.
    """
    session.rollback()
    store_acceptances(session, accepted)


def store_acceptances(session: Session, accepted: list[Sent]) -> None:
    """Write and commit acceptances; a refused one never leaves its row ``sending``.

    If the write is refused (a provider id already held by another message: the console
    transport's per-process counter did that, issue 12), each is written alone, and one
    whose id cannot be stored is recorded sent without it (``mark_sent_without_sid``):
    the provider has the message, so sending it again would duplicate it.
    """
    if not accepted:
        return
    try:
        mark_all_sent(session, accepted)
        relaxed_commit(session)
        return
    except (IntegrityError, DataError):
        session.rollback()
    for outcome in accepted:
        try:
            mark_all_sent(session, [outcome])
            session.commit()
        except (IntegrityError, DataError) as exc:
            session.rollback()
            error = (f"sent, but its provider id {outcome.sid} could not be stored: "
                     f"{str(exc.orig).splitlines()[0]}")
            mark_sent_without_sid(session, outcome, error=error)
            session.commit()
            log.warning("message %s: %s", outcome.message_id, error)


def relaxed_commit(session: Session) -> None:
    """Commit an outcome without waiting for the disk on PostgreSQL. Safe here: if a crash
    loses it, the row is still claimed, and a stale claim is reconciled with the provider
    before any new attempt; only the claim itself must be durable before sending."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    session.commit()


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
