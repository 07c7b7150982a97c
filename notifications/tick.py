"""The planning half of a scheduler tick: plan the participants who are due, fill the outbox.

Only participants whose cursor says they are due are read (``reminder_cursors``), so a
tick's cost follows the number due, not the number enrolled. Each is planned with the
pure planner; reminders go into the outbox under their idempotency keys, pending ones the
planner no longer returns (task done, expired, task gone after a protocol upgrade) are
cancelled, and the cursor moves to the participant's next due instant.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from diary.db.messaging import OutboxMessage, ReminderCursor
from diary.db.models import new_id
from diary.i18n import language_for
from diary.schedule import Schedule, schedule

from .batch_planner import BatchPlanner
from .loading import PlanningInput, among, load_inputs
from .outbox import cancel, insert_once
from .planner import ALERT_FOR, COORDINATOR, KINDS, MISSED_DAYS
from .planning.messages import render_text
from .planning.model import Reminder

RECHECK = timedelta(days=2)
"""With nothing due within this horizon a participant is looked at again after it (new
anchor events and upgrades bring the cursor forward themselves)."""

CURSORS = ReminderCursor.__table__
BATCH = 2000


@dataclass
class PlanStats:
    participants: int = 0
    planned: int = 0  # reminders due now (new or already in the outbox)
    inserted: int = 0
    cancelled: int = 0
    bucketed: int = 0  # participants planned set-based, per bucket (PostgreSQL)


def due_participants(session: Session, now: datetime, limit: int) -> list[str]:
    """Claim up to ``limit`` due cursors; on PostgreSQL rows another scheduler holds are
    skipped (``FOR UPDATE SKIP LOCKED``), so two ticks never plan the same participant."""
    stmt = (select(CURSORS.c.participant_id).where(CURSORS.c.next_due_at <= now)
            .order_by(CURSORS.c.next_due_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def plan_all(session_factory: sessionmaker[Session], now: datetime, *,
             batch: int = BATCH, buckets: bool = True) -> PlanStats:
    """Plan every due participant, one committed batch at a time (short transactions; a
    second scheduler takes the batches this one has locked).

    On PostgreSQL a batch's writes run in a thread while the next batch is read and
    planned: the database's work then overlaps this process's (the claimed rows stay
    locked until their batch commits, so the next claim skips them). SQLite has one
    writer and no row locks: there the batches run one after the other.

    On PostgreSQL (``buckets``) the common daily reminder goes first, set-based per
    bucket (``bucket_planner``); this loop then plans the participants left due.
    """
    total = PlanStats()
    with session_factory() as probe:
        overlap = probe.get_bind().dialect.name == "postgresql"
    if not overlap:  # no thread to start and join at every tick: nothing would overlap
        return _plan_in_turn(session_factory, now, batch, total)
    if buckets:
        from .bucket_planner import plan_buckets  # it builds on this module

        total = plan_buckets(session_factory, now)
        total.bucketed = total.participants
    with ThreadPoolExecutor(1, thread_name_prefix="tick-writer") as writer:
        writing: Future[PlanStats] | None = None
        try:
            while True:
                session, work = _next_batch(session_factory, now, batch)
                if work is None:
                    break
                if writing is not None:
                    _add(total, writing.result())
                writing = writer.submit(_write_and_close, session, work, now)
                if work.participants < batch:
                    break
        finally:
            if writing is not None:
                _add(total, writing.result())
    return total


def _plan_in_turn(session_factory: sessionmaker[Session], now: datetime, batch: int,
                  total: PlanStats) -> PlanStats:
    """SQLite: each batch planned, then written and committed, before the next."""
    while True:
        session, work = _next_batch(session_factory, now, batch)
        if work is None:
            return total
        _add(total, _write_and_close(session, work, now))
        if work.participants < batch:
            return total


def _next_batch(session_factory: sessionmaker[Session], now: datetime,
                batch: int) -> tuple[Session, PlannedBatch | None]:
    """The next batch planned in a session of its own, which is left open for the write;
    closed here when there is nothing to plan or planning fails."""
    session = session_factory()
    try:
        work = plan_batch(session, now, limit=batch)
    except BaseException:
        session.close()
        raise
    if work is None:
        session.close()
    return session, work


def _add(total: PlanStats, stats: PlanStats) -> None:
    for name in ("participants", "planned", "inserted", "cancelled"):
        setattr(total, name, getattr(total, name) + getattr(stats, name))


def _write_and_close(session: Session, work: PlannedBatch, now: datetime) -> PlanStats:
    with session:
        return write_batch(session, work, now)


@dataclass
class PlannedBatch:
    """A claimed batch, planned: what ``write_batch`` stores."""

    inputs: list[PlanningInput]
    rows: list[dict]  # outbox rows of the reminders due now
    keys: set[str]  # their keys: pending reminders of these participants not here are stale
    cursors: list[dict]  # pid, next_due_at

    @property
    def participants(self) -> int:
        return len(self.inputs)


def plan_due(session: Session, now: datetime, *, limit: int = BATCH,
             alert_for: timedelta = ALERT_FOR) -> PlanStats:
    """Plan up to ``limit`` due participants and commit."""
    work = plan_batch(session, now, limit=limit, alert_for=alert_for)
    return PlanStats() if work is None else write_batch(session, work, now)


def plan_batch(session: Session, now: datetime, *, limit: int = BATCH,
               alert_for: timedelta = ALERT_FOR) -> PlannedBatch | None:
    """Claim up to ``limit`` due participants and plan them (None: nobody is due). The
    claim holds until ``write_batch`` commits."""
    ids = due_participants(session, now, limit)
    if not ids:
        session.rollback()
        return None
    return plan_inputs(load_inputs(session, ids, now, alert_for), now, alert_for)


def plan_inputs(inputs: list[PlanningInput], now: datetime,
                alert_for: timedelta = ALERT_FOR) -> PlannedBatch:
    """Plan loaded participants: their outbox rows, keys and cursors."""
    work = PlannedBatch(inputs, [], set(), [])
    planner, bounds = BatchPlanner(now, horizon=RECHECK, alert_for=alert_for), {}
    for item in inputs:
        due, nxt, _ = plan_one(planner, item, now, bounds)
        work.rows += [outbox_row(item, r, now) for r in due]
        work.keys.update(r.key for r in due)
        work.cursors.append({"pid": item.ref.id, "next_due_at": nxt})
    return work


def plan_one(planner: BatchPlanner, item: PlanningInput, now: datetime, bounds: dict
             ) -> tuple[list[Reminder], datetime | None, Schedule]:
    """One participant: the reminders due now, the cursor's next instant, and the
    schedule near now they came from (the bucket path checks it has no windows)."""
    # Only windows open at some point of the planning horizon can have reminders.
    sched = schedule(item.protocol, item.ref, item.events, near=(now, now + RECHECK),
                     bounds_cache=bounds)
    due, nxt = planner.plan(item.protocol, item.planner, sched, item.done)
    if item.ref.withdrawn_at is not None:
        nxt = None
    elif nxt is None:
        nxt = now + RECHECK
    return due, nxt, sched


def write_batch(session: Session, work: PlannedBatch, now: datetime) -> PlanStats:
    """Store a planned batch and commit: stale reminders cancelled, new ones inserted,
    cursors moved."""
    stats = PlanStats(participants=work.participants, planned=len(work.rows))
    # Cancelling first reads back only what earlier ticks left pending, not this one's rows.
    stats.cancelled = _cancel_unplanned(session, work.inputs, work.keys, now)
    stats.inserted = insert_once(session, work.rows)
    move_cursors(session, work.cursors, now)
    session.commit()
    return stats


def move_cursors(session: Session, cursors: list[dict], now: datetime) -> None:
    """Set each planned participant's ``next_due_at`` (rows of ``pid``, ``next_due_at``)."""
    if not cursors:
        return
    if session.get_bind().dialect.name == "postgresql":
        # One statement with two arrays: an executemany binds every row on its own.
        session.execute(text(
            "UPDATE reminder_cursors SET next_due_at = moved.due, planned_at = :now "
            "FROM unnest(CAST(:pids AS varchar[]), CAST(:dues AS timestamptz[])) "
            "AS moved(pid, due) WHERE participant_id = moved.pid"),
            {"now": now, "pids": [c["pid"] for c in cursors],
             "dues": [c["next_due_at"] for c in cursors]})
        return
    session.execute(update(CURSORS).where(CURSORS.c.participant_id == bindparam("pid"))
                    .values(next_due_at=bindparam("next_due_at"), planned_at=now), cursors)


def body_language(item: PlanningInput, audience: str) -> str:
    """The participant's language (a coordinator alert: the study's first, its sites'),
    falling back to the study's languages, then English (diary.i18n.language_for)."""
    own = None if audience == COORDINATOR else item.language
    return language_for(own, item.protocol.languages)


def outbox_row(item: PlanningInput, r: Reminder, now: datetime) -> dict:
    """The outbox row for a planned reminder; the body is rendered now, in the
    participant's language (a coordinator alert names the subject, not the internal id,
    in the study's language)."""
    params = r.params
    if r.audience == COORDINATOR:
        params = tuple((k, item.subject_id if k == "participant" else v) for k, v in params)
    return {
        "id": new_id(), "key": r.key, "study_id": item.study_id,
        "participant_id": r.participant_id,
        "channel": "alert" if r.audience == COORDINATOR else "sms",
        "audience": r.audience, "kind": r.kind, "target": r.target,
        "reminder_attempt": r.attempt,
        "body": render_text(r.template, params, body_language(item, r.audience)),
        "planned_at": now,
        "due_at": r.due_at, "expires_at": r.expires_at, "state": "pending",
        "send_attempts": 0, "next_attempt_at": r.due_at, "outcome_unknown": False,
    }


def _cancel_unplanned(session: Session, inputs: list[PlanningInput], keys: set[str],
                      now: datetime) -> int:
    """Cancel pending reminders of these participants that the planner no longer returns,
    each with the reason a coordinator will see."""
    by_id = {i.ref.id: i for i in inputs}
    stale: dict[str, list[str]] = {}
    for of_these in among(session, OutboxMessage.participant_id, list(by_id)):
        for mid, key, pid, kind, target, expires_at in session.connection().execute(
                select(OutboxMessage.id, OutboxMessage.key, OutboxMessage.participant_id,
                       OutboxMessage.kind, OutboxMessage.target, OutboxMessage.expires_at)
                .where(of_these,
                       OutboxMessage.state == "pending", OutboxMessage.kind.in_(KINDS))):
            if key not in keys:
                reason = cancel_reason(by_id[pid], kind, target, expires_at, now)
                stale.setdefault(reason, []).append(mid)
    return sum(cancel(session, mids, reason, now) for reason, mids in stale.items())


def cancel_reason(item: PlanningInput, kind: str, target: str,
                  expires_at: datetime | None, now: datetime) -> str:
    """Why a reminder is no longer due, in the order that explains it best."""
    p = item.planner
    if p.withdrawn_at is not None and p.withdrawn_at <= now:
        return "withdrawn"
    if p.opted_out_at is not None and kind != MISSED_DAYS:
        return "opted out"
    if target in item.done.windows or any(d.isoformat() == target
                                          for d in item.done.diary_dates):
        return "task done"
    if item.done.side_effect_dates and any(  # a checklist answered the window (issue 13)
            w.id == target and item.done.fulfils(w)
            for w in schedule(item.protocol, item.ref, item.events).windows):
        return "task done"
    if expires_at is not None and expires_at <= now:
        return "expired"
    return "task no longer scheduled"
