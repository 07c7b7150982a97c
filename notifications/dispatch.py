"""The sending half of a scheduler tick: claim due outbox rows, check them, send, record.

A row is claimed (state ``sending``) and committed before the provider is called, so a
crash never leaves a message that might be re-sent blindly: a claim older than the lease
is treated as "maybe sent" and reconciled with the provider's message list first (the
console transport only knows its own process's messages, so after a restart it logs such
a message again: see notifications/transport/console.py). Each outcome of a failure is
committed right after its call; the acceptances of a claimed batch are recorded together
at its end, in a transaction of their own (``record_acceptances``).

Claims are short leases (``LEASE``, 30 s) that a sender renews while it works through its
batch, so another scheduler takes over a killed one's rows within a minute (issue 16).
A row is never sent by two: a sender sends only within ``renew_after`` of a renewal that
found the row still its own, and that plus the transport's timeout ends before the lease
can lapse, so a scheduler that takes the row over later finds the first copy when it
reconciles.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from diary.db.messaging import OutboxMessage
from diary.db.models import DiaryEntry, Participant, QuestionnaireResponse
from diary.security import PhoneVault
from diary.sms.delivery import number_refused
from diary.sms.opt_out import REFUSED_AT_SEND

from .outbox import (
    OUTBOX,
    Sent,
    backoff,
    mark_failed,
    record_acceptances,
    recorded_sids,
    retry_later,
    store_acceptances,
)
from .planner import DIARY, DIARY_NUDGE, WINDOW_CLOSING, WINDOW_OPEN
from .ratelimit import RateLimiter
from .send_check import blocked_at_send
from .transport import RECIPIENT, OutgoingSms, SendError, Transport

log = logging.getLogger("paindiary.dispatch")

LEASE = timedelta(seconds=30)
"""How long a claim holds without renewal; a longer-silent claim belongs to a dead sender."""
LEASE_MARGIN = timedelta(seconds=5)
"""Slack between the end of the latest possible send and the end of the lease (clocks)."""
MAX_ATTEMPTS = 8


@dataclass
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    reconciled: int = 0
    lost_claims: int = 0  # rows another scheduler took over after this one stalled
    cancelled: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Dispatcher:
    """Everything a dispatch run needs; ``status_url`` builds a message's callback URL."""

    session_factory: sessionmaker[Session]
    transport: Transport
    vault: PhoneVault
    now: Callable[[], datetime]
    limiter: RateLimiter
    worker: str = "scheduler"
    batch: int = 100
    status_url: Callable[[str], str | None] = lambda message_id: None
    workers: int = 1
    monotonic: Callable[[], float] = time.monotonic
    """Elapsed seconds for the lease's renewals (tests tie it to their frozen clock)."""

    def run(self, *, until: datetime | None = None) -> DispatchStats:
        """Send what is due, batch by batch, until nothing is left (or ``until``).

        With ``workers`` > 1 (PostgreSQL) that many threads claim and send batches side by
        side, so the provider's round trips overlap; the rate limiter is shared.
        """
        with self.session_factory() as session:
            release_stale_claims(session, self.now())
        if self.workers <= 1:
            return self._loop(self.worker, until)
        with ThreadPoolExecutor(self.workers) as pool:
            parts = list(pool.map(lambda n: self._loop(f"{self.worker}/{n}", until),
                                  range(self.workers)))
        total = DispatchStats()
        for part in parts:
            for name in ("claimed", "sent", "retried", "failed", "reconciled", "lost_claims"):
                setattr(total, name, getattr(total, name) + getattr(part, name))
            for reason, n in part.cancelled.items():
                total.cancelled[reason] = total.cancelled.get(reason, 0) + n
        return total

    @property
    def renew_after(self) -> float:
        """Seconds after a renewal within which a send may start: it then reaches the
        provider (at most the transport's timeout later) before the lease can lapse."""
        timeout = float(getattr(self.transport, "timeout", 0) or 0)
        window = (LEASE - LEASE_MARGIN).total_seconds() - timeout
        return max(0.0, min(window, LEASE.total_seconds() / 3))

    def _loop(self, worker: str, until: datetime | None) -> DispatchStats:
        stats = DispatchStats()
        fresh = True  # run() has just released the stale claims: not again at once
        while until is None or self.now() < until:
            with self.session_factory() as session:
                if not fresh:
                    release_stale_claims(session, self.now())
                fresh = False
                claimed = claim(session, self.now(), worker, self.batch)
                if not claimed:
                    if until is not None and self._wait_for_stale_claims(session, until):
                        continue
                    break
                stats.claimed += len(claimed)
                lease = Lease(worker, {m.id for m in claimed}, self.monotonic())
                people, done = batch_context(session, claimed)
                session.commit()  # ends the read: no transaction is held across the sends
                accepted: list[Sent] = []
                try:
                    for row in claimed:
                        self._handle(session, row, people.get(row.participant_id),
                                     (row.participant_id, row.target) in done, stats,
                                     accepted, lease)
                finally:
                    record_acceptances(session, accepted)
        return stats

    def _wait_for_stale_claims(self, session: Session, until: datetime) -> bool:
        """Nothing to claim: if another sender's claims lapse before ``until`` (it died),
        sleep a little and say so, to take them over at once rather than a tick later."""
        mine = or_(OUTBOX.c.claimed_by == self.worker,
                   OUTBOX.c.claimed_by.like(f"{self.worker}/%"))
        oldest = session.scalar(select(func.min(OUTBOX.c.claimed_at))
                                .where(OUTBOX.c.state == "sending", ~mine))
        session.rollback()
        if oldest is None or oldest + LEASE >= until:
            return False
        before = self.now()
        time.sleep(min(max((oldest + LEASE - before).total_seconds(), 0.05), 1.0))
        return self.now() > before  # a frozen clock never lets a lease lapse: stop

    def _handle(self, session: Session, m: OutboxMessage, p: Participant | None,
                done: bool, stats: DispatchStats, accepted: list[Sent], lease: Lease
                ) -> None:
        now = self.now()
        reason = why_not_send(m, p, now, done)
        if reason is not None:
            _cancel(session, m, reason, now, stats)
            return
        if m.channel == "alert":  # shown in the coordinators' view: delivered on arrival
            session.execute(update(OUTBOX).where(OUTBOX.c.id == m.id)
                            .values(state="delivered", sent_at=now, delivered_at=now))
            session.commit()
            stats.sent += 1
            return
        to = self.vault.decrypt(p.phone_encrypted)
        if not self._still_mine(session, lease, m.id, stats):
            return
        if m.outcome_unknown and self._reconcile(session, m, to, now, accepted):
            stats.reconciled += 1
            return
        self.limiter.acquire()
        if not self._still_mine(session, lease, m.id, stats):  # the wait may have been long
            return
        reason = blocked_at_send(session, m.participant_id, now)  # stored since the claim?
        if reason is not None:
            _cancel(session, m, reason, now, stats)
            return
        try:
            receipt = self.transport.send(OutgoingSms(to, m.body, self.status_url(m.id)))
        except SendError as exc:
            self._failed(session, m, p, exc, stats)
            return
        accepted.append(Sent(m.id, receipt.sid, receipt.status, now))
        stats.sent += 1

    def _still_mine(self, session: Session, lease: Lease, message_id: str,
                    stats: DispatchStats) -> bool:
        """Whether the claim on ``message_id`` holds for a send starting now: the batch's
        claims are renewed when the last renewal is ``renew_after`` old."""
        if self.monotonic() - lease.renewed > self.renew_after:
            lease.ids = renew_claims(session, lease.ids, lease.worker, self.now())
            lease.renewed = self.monotonic()
        if message_id in lease.ids:
            return True
        stats.lost_claims += 1
        log.warning("message %s: claim lapsed and was taken over; not sent here", message_id)
        return False

    def _reconcile(self, session: Session, m: OutboxMessage, to: str, now: datetime,
                   accepted: list[Sent]) -> bool:
        """After a lost response: if the provider has the message, record it as sent.

        A message whose id another row already holds (or this batch just got) is that
        row's, same text to the same number: it is skipped, never taken as this one's."""
        try:
            found = [r for r in self.transport.find_sent(to, m.due_at - timedelta(minutes=1))
                     if r.body == m.body]
        except SendError as exc:
            retry_later(session, m.id, error=f"reconcile: {exc.message}", code=exc.code,
                        at=now + backoff(m.send_attempts), unknown=True)
            session.commit()
            return True
        taken = recorded_sids(session, [r.sid for r in found]) | {a.sid for a in accepted}
        found = [r for r in found if r.sid not in taken]
        if not found:
            session.commit()  # ends the read: no transaction stays open across the send
            return False
        store_acceptances(session, [Sent(m.id, found[0].sid, found[0].status, now)])
        return True

    def _failed(self, session: Session, m: OutboxMessage, p: Participant, exc: SendError,
                stats: DispatchStats) -> None:
        now = self.now()
        error = f"{exc.code or exc.http_status}: {exc.message}"
        retry_at = now + backoff(m.send_attempts)
        if exc.permanent or m.send_attempts >= MAX_ATTEMPTS or (
                m.expires_at is not None and retry_at >= m.expires_at):
            mark_failed(session, m.id, error=error, code=exc.code, now=now)
            if exc.permanent and exc.kind == RECIPIENT:  # the number: 21610 is an opt-out
                number_refused(session, p.id, exc.code, f"message refused: {exc.message}",
                               now, source=REFUSED_AT_SEND)
            stats.failed += 1
        else:
            retry_later(session, m.id, error=error, code=exc.code, at=retry_at,
                        unknown=exc.outcome_unknown)
            stats.retried += 1
        session.commit()
        log.warning("sending %s failed (%s)", m.id, error)


def _cancel(session: Session, m: OutboxMessage, reason: str, now: datetime,
            stats: DispatchStats) -> None:
    session.execute(update(OUTBOX).where(OUTBOX.c.id == m.id)
                    .values(state="cancelled", cancelled_at=now, cancel_reason=reason))
    session.commit()
    stats.cancelled[reason] = stats.cancelled.get(reason, 0) + 1


@dataclass
class Lease:
    """A sender's claims on one batch, and when they were last renewed (monotonic)."""

    worker: str
    ids: set[str]
    renewed: float


def renew_claims(session: Session, ids: set[str], worker: str, now: datetime) -> set[str]:
    """Renew ``worker``'s claims on ``ids`` and commit; returns the ids still its own (a
    claim that lapsed may have been taken over: that row is no longer this sender's)."""
    if not ids:
        return set()
    held = set(session.scalars(
        update(OUTBOX).where(OUTBOX.c.id.in_(ids), OUTBOX.c.state == "sending",
                             OUTBOX.c.claimed_by == worker)
        .values(claimed_at=now).returning(OUTBOX.c.id)))
    session.commit()  # durable: a renewal lost in a crash would shorten the lease
    return held


def release_stale_claims(session: Session, now: datetime) -> int:
    """Claims older than the lease belong to a scheduler that died mid-send: back to
    pending, marked as possibly sent, so the next attempt reconciles first."""
    count = session.execute(
        update(OUTBOX).where(OUTBOX.c.state == "sending", OUTBOX.c.claimed_at < now - LEASE)
        .values(state="pending", outcome_unknown=True, next_attempt_at=now,
                claimed_by=None)).rowcount
    session.commit()
    return count


def claim(session: Session, now: datetime, worker: str, limit: int) -> list[OutboxMessage]:
    """Claim due pending rows and commit the claim before anything is sent. PostgreSQL
    skips rows another scheduler is claiming; the state guard makes a lost race a no-op."""
    stmt = (select(OUTBOX.c.id).where(OUTBOX.c.state == "pending",
                                      OUTBOX.c.next_attempt_at <= now)
            .order_by(OUTBOX.c.next_attempt_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.scalars(stmt))
    if not ids:
        session.rollback()
        return []
    session.execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids), OUTBOX.c.state == "pending")
                    .values(state="sending", claimed_at=now, claimed_by=worker,
                            send_attempts=OUTBOX.c.send_attempts + 1))
    session.commit()
    return list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.id.in_(ids), OutboxMessage.state == "sending",
        OutboxMessage.claimed_by == worker).order_by(OutboxMessage.next_attempt_at)))


def why_not_send(m: OutboxMessage, p: Participant | None, now: datetime,
                 task_done: bool) -> str | None:
    """The reason a claimed message must not go out now, or None to send it."""
    if m.expires_at is not None and now >= m.expires_at:
        return "expired"
    if p is None:
        return None if m.channel == "alert" else "no participant"
    if p.withdrawn_at is not None and p.withdrawn_at <= now:
        return "withdrawn"
    if m.channel == "alert":
        return None
    if p.sms_opted_out_at is not None:
        return "opted out"
    if p.phone_encrypted is None:
        return "no phone number"
    if task_done:
        return "task done"
    return None


def batch_context(session: Session, rows: list[OutboxMessage]
                  ) -> tuple[dict[str, Participant], set[tuple[str, str]]]:
    """The participants of a claimed batch, and which of its reminded tasks are done now
    (``(participant id, diary date or window id)``): two queries per batch, not per row."""
    pids = {m.participant_id for m in rows if m.participant_id}
    people = {p.id: p for p in session.scalars(
        select(Participant).where(Participant.id.in_(pids)))} if pids else {}
    days = {date.fromisoformat(m.target) for m in rows if m.kind in (DIARY, DIARY_NUDGE)}
    windows = {m.target for m in rows if m.kind in (WINDOW_OPEN, WINDOW_CLOSING)}
    done: set[tuple[str, str]] = set()
    if days:
        done.update((pid, day.isoformat()) for pid, day in session.execute(
            select(DiaryEntry.participant_id, DiaryEntry.diary_date).where(
                DiaryEntry.participant_id.in_(pids), DiaryEntry.diary_date.in_(days),
                DiaryEntry.is_current.is_(True))))
    if windows:
        done.update((pid, window) for pid, window in session.execute(
            select(QuestionnaireResponse.participant_id, QuestionnaireResponse.window_id)
            .where(QuestionnaireResponse.participant_id.in_(pids),
                   QuestionnaireResponse.window_id.in_(windows),
                   QuestionnaireResponse.is_current.is_(True))))
    return people, done
