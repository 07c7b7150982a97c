"""The common daily reminder, planned per bucket on PostgreSQL (issue 16, "The tick").

Due participants whose planning inputs differ only by their ids (same study, zone,
reminder time, language, phone, withdrawal and opt-out, enrolment, sequence, anchor event
times, recent diary dates) get the same reminders with their own keys. Per such bucket
one participant is planned by the ordinary planner (``tick.plan_one``); if its plan is
only diary reminders and nudges, with no questionnaire window near, one statement copies
the same rows to the bucket (each participant's own key: ``reminder_key_sql``) and moves
the cursors. The rule stays in the planner: SQL only copies its answer, and the claimed
participants never travel to Python (cost per bucket, not per participant, up here).
Everything else (windows, coordinator alerts, pending messages to re-plan or cancel) is
left due for the one-by-one path of the same tick.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from diary.db.messaging import OutboxMessage
from diary.protocol.model import ADVERSE_EVENTS
from diary.schedule import _json_as_is, as_is_sql
from diary.services.outbox_rows import ON_CONFLICT
from diary.services.studies import protocol_by_sha

from .batch_planner import BatchPlanner
from .loading import load_inputs, lookback
from .planner import ALERT_FOR
from .planning.model import DIARY, DIARY_NUDGE, KINDS, PARTICIPANT, reminder_key_sql
from .tick import RECHECK, PlanStats, outbox_row, plan_one

LIMIT = 20_000
SERIALIZATION_FAILURE = "40001"
log = logging.getLogger("paindiary.tick")
COPIED_KINDS = (DIARY, DIARY_NUDGE)
"""Kinds whose rows differ between the participants of a bucket only by id and key."""
_KINDS_SQL = ", ".join(f"'{k}'" for k in KINDS)
CLAIMED = "tick_claimed"  # a temporary table, private to each connection

# The due cursors, claimed until commit, each with its bucket ``g`` (everything the
# planner reads of the participant except its id) and whether it may be copied (nothing
# pending to re-plan or cancel, an id the key expression takes as it is).
CLAIM = text(f"""
    INSERT INTO {CLAIMED} (participant_id, g, copyable)
    SELECT c.participant_id,
           dense_rank() OVER (ORDER BY p.study_id, p.timezone, p.reminder_time, p.language,
                              p.phone_index IS NULL, p.enrolled_at, p.sequence,
                              p.withdrawn_at, p.sms_opted_out_at, events, dates),
           NOT pending AND {as_is_sql("c.participant_id")}
      FROM (SELECT participant_id FROM reminder_cursors
             WHERE next_due_at <= :now
               AND participant_id <> ALL (string_to_array(:skip, ','))
             ORDER BY next_due_at LIMIT :limit
               FOR UPDATE SKIP LOCKED) c
      JOIN participants p ON p.id = c.participant_id
      CROSS JOIN LATERAL (SELECT
           (SELECT array_agg(ROW(e.occurred_at, e.type, e.period, e.status, e.date_only)
                             ORDER BY e.occurred_at, e.type, e.period, e.status, e.date_only)
              FROM anchor_events e WHERE e.participant_id = c.participant_id) AS events,
           (SELECT array_agg(d.diary_date ORDER BY d.diary_date)
              FROM diary_entries d WHERE d.participant_id = c.participant_id
               AND d.is_current AND d.diary_date >= :since) AS dates,
           EXISTS (SELECT 1 FROM {OutboxMessage.__tablename__} o
                    WHERE o.participant_id = c.participant_id AND o.state = 'pending'
                      AND o.kind IN ({_KINDS_SQL})) AS pending) AS facts""")

BUCKETS = text(f"""
    SELECT g, min(participant_id) FILTER (WHERE copyable), count(*) FILTER (WHERE copyable),
           count(*)
      FROM {CLAIMED} GROUP BY g""")

COLUMNS = ("id, key, study_id, participant_id, channel, audience, kind, target, "
           "reminder_attempt, body, planned_at, due_at, expires_at, state, send_attempts, "
           "next_attempt_at, outcome_unknown")


def plan_buckets(session_factory: sessionmaker[Session], now: datetime, *,
                 limit: int = LIMIT, alert_for: timedelta = ALERT_FOR) -> PlanStats:
    """Plan every due participant that fits a bucket, ``limit`` claimed cursors per
    committed pass; the others (the exceptions) are left due."""
    total, skip = PlanStats(), []
    with session_factory() as session:
        since = _since(session, now, alert_for)
    while True:
        with session_factory() as session:
            try:
                claimed, stats, exceptions = plan_pass(session, now, since, limit, skip,
                                                       alert_for)
                session.commit()
            except OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) != SERIALIZATION_FAILURE:
                    raise
                session.rollback()  # a claimed row changed meanwhile: plan one by one
                log.info("bucket pass given up (%s); planning one by one", exc.orig)
                return total
        for name in ("participants", "planned", "inserted"):
            setattr(total, name, getattr(total, name) + getattr(stats, name))
        skip += exceptions
        if claimed < limit or not stats.participants:
            return total


def plan_pass(session: Session, now: datetime, since: date, limit: int, skip: list[str],
              alert_for: timedelta) -> tuple[int, PlanStats, list[str]]:
    """One pass: claim, plan each bucket's representative, copy its plan to the bucket.
    Returns how many cursors were claimed, the stats and the exceptions' ids.

    One snapshot for the whole pass (REPEATABLE READ): the representative is loaded as
    its bucket was formed, even if a diary entry arrives meanwhile (a claimed row that
    changes meanwhile fails the pass instead, with a serialization error).
    """
    session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
    session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {CLAIMED} (participant_id text, "
                         "g int, copyable bool) ON COMMIT DELETE ROWS"))
    # Per-row lookups: compiling them (JIT) costs more than running them.
    session.execute(text("SET LOCAL jit = off"))
    session.execute(CLAIM, {"now": now, "since": since, "skip": ",".join(skip),
                            "limit": limit})
    claimed, copies, planned = 0, {}, 0
    planner, bounds = BatchPlanner(now, horizon=RECHECK, alert_for=alert_for), {}
    for g, representative, copyable, count in session.execute(BUCKETS).all():
        claimed += count
        if representative is not None:
            template = _plan_representative(session, representative, now, alert_for,
                                            planner, bounds)
            if template is not None:
                copies[g] = template
                planned += copyable * len(template[0])
    stats = PlanStats()
    if copies:
        stats = _copy(session, copies, now)
        stats.planned = planned
    exceptions = []
    if claimed >= limit:  # another pass follows: it must not claim these again
        exceptions = list(session.scalars(
            text(f"SELECT participant_id FROM {CLAIMED} "
                 "WHERE NOT copyable OR g <> ALL (CAST(:copied AS int[]))"),
            {"copied": list(copies)}))
    return claimed, stats, exceptions


def _since(session: Session, now: datetime, alert_for: timedelta) -> date:
    """The earliest diary date a due participant's plan may read (as ``load_inputs``)."""
    shas = session.scalars(text(
        "SELECT DISTINCT v.sha256 FROM studies s JOIN protocol_versions v "
        "ON v.study_id = s.id AND v.version = s.current_version")).all()
    back = max((lookback(protocol_by_sha(session, sha), alert_for) for sha in shas),
               default=timedelta(0))
    return (now - back).date() - timedelta(days=1)


def _plan_representative(session: Session, pid: str, now: datetime, alert_for: timedelta,
                         planner: BatchPlanner, bounds: dict
                         ) -> tuple[list[dict], datetime | None] | None:
    """The bucket's plan from one of its participants (its outbox rows, and the next
    cursor instant); None if it cannot be copied."""
    inputs = load_inputs(session, [pid], now, alert_for)
    if not inputs:
        return None
    item = inputs[0]
    due, nxt, sched = plan_one(planner, item, now, bounds)
    if any(w.form != ADVERSE_EVENTS for w in sched.windows):
        return None  # window reminders are keyed on each participant's own windows
    if any(r.kind not in COPIED_KINDS or r.audience != PARTICIPANT
           or not _json_as_is(f"{r.kind}{r.target}{r.attempt}") for r in due):
        return None
    return [outbox_row(item, r, now) for r in due], nxt


KEY = reminder_key_sql("t.participant_id", "k.kind", "k.target", "k.attempt::text")


def _copy(session: Session, copies: dict[int, tuple[list[dict], datetime | None]],
          now: datetime) -> PlanStats:
    """Insert every copied bucket's rows for its participants and move their cursors, in
    one statement."""
    params: dict[str, object] = {"now": now}
    rows, moves = [], []
    for g, (template, nxt) in copies.items():
        moves.append(f"({g}, CAST(:next{g} AS timestamptz))")
        params[f"next{g}"] = nxt
        for row in template:
            n = len(rows)
            rows.append(f"({g}, :study{n}, :channel{n}, :audience{n}, :kind{n}, :target{n}, "
                        f":attempt{n}, :body{n}, CAST(:due{n} AS timestamptz), "
                        f"CAST(:expires{n} AS timestamptz))")
            params.update({f"study{n}": row["study_id"], f"channel{n}": row["channel"],
                           f"audience{n}": row["audience"], f"kind{n}": row["kind"],
                           f"target{n}": row["target"], f"attempt{n}": row["reminder_attempt"],
                           f"body{n}": row["body"], f"due{n}": row["due_at"],
                           f"expires{n}": row["expires_at"]})
    inserted = "SELECT 1 AS n WHERE false"
    if rows:
        inserted = f"""
            INSERT INTO {OutboxMessage.__tablename__} ({COLUMNS})
            SELECT gen_random_uuid()::text, {KEY}, k.study_id, t.participant_id, k.channel,
                   k.audience, k.kind, k.target, k.attempt, k.body, :now, k.due, k.expires,
                   'pending', 0, k.due, false
              FROM {CLAIMED} t
              JOIN (VALUES {", ".join(rows)}) AS k(g, study_id, channel, audience, kind,
                    target, attempt, body, due, expires) ON k.g = t.g
             WHERE t.copyable
            {ON_CONFLICT}
            RETURNING 1 AS n"""
    participants, new = session.execute(text(f"""
        WITH moved AS (
            UPDATE reminder_cursors c SET next_due_at = m.next, planned_at = :now
              FROM {CLAIMED} t JOIN (VALUES {", ".join(moves)}) AS m(g, next) ON m.g = t.g
             WHERE t.copyable AND c.participant_id = t.participant_id
            RETURNING 1 AS n
        ), inserted AS ({inserted})
        SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM inserted)"""),
        params).one()
    return PlanStats(participants=participants, inserted=new)
