"""The common daily reminder, planned per bucket on PostgreSQL (issue 16, "The tick").

Due participants whose planning inputs differ only by their ids (same study, zone,
reminder time, language, phone, withdrawal and opt-out, enrolment, sequence, anchor event
times, recent diary dates) get the same reminders with their own keys. Per such bucket
one participant is planned by the ordinary planner (``tick.plan_one``); if its plan is
only diary reminders and nudges, with no questionnaire window near, one statement copies
the same rows to the bucket (each participant's own key: ``reminder_key_sql``) and moves
the cursors. The rule stays in the planner: SQL only copies its answer, and the claimed
participants never travel to Python (cost per bucket, not per participant, up here).
A common pass takes the first due participant's bucket in a single statement (at the
evening reminder most of those due share it); bucket passes take the other buckets.
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
MIN_BUCKET = 2
"""Smaller buckets are planned one by one (in batches: cheaper than one load each)."""
CLAIMED = "tick_claimed"  # a temporary table, private to each connection
# What the planner reads of a participant, but its id: equal values, equal plans.
SIGNATURE = (
    "p.study_id", "p.timezone", "p.reminder_time", "p.language", "p.phone_index IS NULL",
    "p.enrolled_at", "coalesce(p.sequence, '')", "p.withdrawn_at", "p.sms_opted_out_at",
    "ev.at", "ev.type", "ev.period", "ev.status", "ev.date_only",
    "f.dates",  # the current diary entries' dates
)
_EVENT_ORDER = "ORDER BY occurred_at, type, period, status, date_only"


def _signed(source: str) -> str:
    """SQL: the participants of ``source`` (a subquery of ``participant_id``) with their
    signature ``sig`` and whether they may be copied (nothing pending to re-plan or
    cancel, an id the key expression takes as it is)."""
    return f"""
    SELECT c.participant_id, NOT f.pending AND {as_is_sql("c.participant_id")} AS copyable,
           ROW({", ".join(SIGNATURE)}) AS sig
      FROM {source} c
      JOIN participants p ON p.id = c.participant_id
      CROSS JOIN LATERAL (  -- in one order, so that equal events give equal arrays
           SELECT array_agg(e.occurred_at) AS at, array_agg(e.type) AS type,
                  array_agg(e.period) AS period, array_agg(e.status) AS status,
                  array_agg(e.date_only) AS date_only
             FROM (SELECT * FROM anchor_events
                    WHERE participant_id = c.participant_id {_EVENT_ORDER}) AS e) AS ev
      CROSS JOIN LATERAL (SELECT
           (SELECT array_agg(d.diary_date ORDER BY d.diary_date)
              FROM diary_entries d WHERE d.participant_id = c.participant_id
               AND d.is_current AND d.diary_date >= :since) AS dates,
           EXISTS (SELECT 1 FROM {OutboxMessage.__tablename__} o
                    WHERE o.participant_id = c.participant_id AND o.state = 'pending'
                      AND o.kind IN ({_KINDS_SQL})) AS pending) AS f
    OFFSET 0"""  # each participant's lookups once, whatever uses them after


DUE = """(SELECT participant_id FROM reminder_cursors
           WHERE next_due_at <= :now AND participant_id <> ALL (string_to_array(:skip, ','))
           ORDER BY next_due_at LIMIT :limit
             FOR UPDATE SKIP LOCKED)"""
# The due cursors, claimed until commit. Each bucket is a partition of equal signatures
# (by their hash: no sort of the signatures themselves); its first participant is the
# representative, and a participant is copied only if its signature is exactly the
# representative's (a hash collision just sends it to the one-by-one path).
CLAIM = text(f"""
    INSERT INTO {CLAIMED} (participant_id, rep, copyable)
    SELECT participant_id, first_value(participant_id) OVER bucket,
           copyable AND sig IS NOT DISTINCT FROM first_value(sig) OVER bucket
      FROM ({_signed(DUE)}) AS claimed
    WINDOW bucket AS (PARTITION BY hash_record_extended(sig, 0)
                      ORDER BY copyable DESC, participant_id COLLATE "C")""")
# The common pass: the due participants whose signature is exactly one representative's.
COMMON_MEMBERS = f"""
    claimed AS MATERIALIZED ({_signed(DUE)}),
    common AS MATERIALIZED ({_signed("(SELECT CAST(:common AS varchar) AS participant_id)")}),
    members AS (
        SELECT claimed.participant_id, CAST(:common AS text) AS rep FROM claimed, common
         WHERE claimed.copyable AND claimed.sig IS NOT DISTINCT FROM common.sig)"""
FIRST_DUE = text("SELECT participant_id FROM reminder_cursors WHERE next_due_at <= :now "
                 "ORDER BY next_due_at LIMIT 1")
CREATE_CLAIMED = text(f"CREATE TEMP TABLE IF NOT EXISTS {CLAIMED} (participant_id text, "
                      "rep text, copyable bool) ON COMMIT DELETE ROWS")
# Per bucket: its representative, how many may be copied, how many were claimed.
BUCKETS = text(f"""
    SELECT rep, count(*) FILTER (WHERE copyable), count(*) FROM {CLAIMED} GROUP BY rep""")

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
    while True:  # again while one bucket fills most of a pass (all due at 20:00)
        with session_factory() as session:
            try:
                stats = plan_common(session, now, since, limit, alert_for)
                session.commit()
            except OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) != SERIALIZATION_FAILURE:
                    raise
                session.rollback()  # a claimed row changed meanwhile: the passes below
                break
        for name in ("participants", "planned", "inserted"):
            setattr(total, name, getattr(total, name) + getattr(stats, name))
        if stats.participants < limit // 2:
            break
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


def plan_common(session: Session, now: datetime, since: date, limit: int,
                alert_for: timedelta) -> PlanStats:
    """The first due participant's bucket, in one statement: it claims the due cursors,
    copies that participant's plan to those with its signature and moves their cursors
    (no bucket table, no sort: the evening reminder is mostly one big bucket). The others
    stay due for the passes. One snapshot, as in ``plan_pass``."""
    session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
    session.execute(text("SET LOCAL jit = off"))
    first = session.scalar(FIRST_DUE, {"now": now})
    copies = _plan_representatives(session, [first], now, alert_for) if first else {}
    if not copies:
        return PlanStats()
    stats = _copy(session, copies, now, COMMON_MEMBERS,
                  {"common": first, "since": since, "limit": limit, "skip": ""})
    stats.planned = stats.participants * len(copies[first][0])
    return stats


def plan_pass(session: Session, now: datetime, since: date, limit: int, skip: list[str],
              alert_for: timedelta) -> tuple[int, PlanStats, list[str]]:
    """One pass: claim, plan each bucket's representative, copy its plan to the bucket.
    Returns how many cursors were claimed, the stats and the exceptions' ids.

    One snapshot for the whole pass (REPEATABLE READ): the representative is loaded as
    its bucket was formed, even if a diary entry arrives meanwhile (a claimed row that
    changes meanwhile fails the pass instead, with a serialization error).
    """
    session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
    session.execute(CREATE_CLAIMED)
    # Per-row lookups: compiling them (JIT) costs more than running them.
    session.execute(text("SET LOCAL jit = off"))
    session.execute(CLAIM, {"now": now, "since": since, "skip": ",".join(skip),
                            "limit": limit})
    claimed, sizes = 0, {}
    for rep, copyable, count in session.execute(BUCKETS).all():
        claimed += count
        if copyable >= MIN_BUCKET:
            sizes[rep] = copyable
    copies = _plan_representatives(session, list(sizes), now, alert_for)
    planned = sum(sizes[rep] * len(rows) for rep, (rows, _) in copies.items())
    stats = PlanStats()
    if copies:
        stats = _copy(session, copies, now, BUCKET_MEMBERS, {"reps": ",".join(copies)})
        stats.planned = planned
    exceptions = []
    if claimed >= limit:  # another pass follows: it must not claim these again
        exceptions = list(session.scalars(  # those whose cursor is still due
            text(f"SELECT t.participant_id FROM {CLAIMED} t JOIN reminder_cursors c "
                 "ON c.participant_id = t.participant_id WHERE c.next_due_at <= :now"),
            {"now": now}))
    return claimed, stats, exceptions


def _since(session: Session, now: datetime, alert_for: timedelta) -> date:
    """The earliest diary date a due participant's plan may read (as ``load_inputs``)."""
    shas = session.scalars(text(
        "SELECT DISTINCT v.sha256 FROM studies s JOIN protocol_versions v "
        "ON v.study_id = s.id AND v.version = s.current_version")).all()
    back = max((lookback(protocol_by_sha(session, sha), alert_for) for sha in shas),
               default=timedelta(0))
    return (now - back).date() - timedelta(days=1)


def _plan_representatives(session: Session, reps: list[str], now: datetime,
                          alert_for: timedelta
                          ) -> dict[str, tuple[list[dict], datetime | None]]:
    """Each bucket's plan from its representative (its outbox rows, and the next cursor
    instant), for the buckets whose plan can be copied."""
    copies: dict[str, tuple[list[dict], datetime | None]] = {}
    planner, bounds = BatchPlanner(now, horizon=RECHECK, alert_for=alert_for), {}
    for item in load_inputs(session, reps, now, alert_for) if reps else ():
        due, nxt, sched = plan_one(planner, item, now, bounds)
        if any(w.form != ADVERSE_EVENTS for w in sched.windows):
            continue  # window reminders are keyed on each participant's own windows
        if any(r.kind not in COPIED_KINDS or r.audience != PARTICIPANT
               or not _json_as_is(f"{r.kind}{r.target}{r.attempt}") for r in due):
            continue
        copies[item.ref.id] = [outbox_row(item, r, now) for r in due], nxt
    return copies


KEY = reminder_key_sql("t.participant_id", "k.kind", "k.target", "k.attempt::text")


BUCKET_MEMBERS = f"""
    members AS (
        SELECT participant_id, rep FROM {CLAIMED}
         WHERE copyable AND rep = ANY (string_to_array(:reps, ',')))"""


def _copy(session: Session, copies: dict[str, tuple[list[dict], datetime | None]],
          now: datetime, members: str, params: dict[str, object]) -> PlanStats:
    """Insert every copied bucket's rows for its participants and move their cursors, in
    one statement (``copies``: the representative's id -> its rows and next instant;
    ``members``: SQL that defines ``members`` (``participant_id``, ``rep``))."""
    params = {**params, "now": now}
    rows, moves = [], []
    for g, (rep, (template, nxt)) in enumerate(copies.items()):
        moves.append(f"(:rep{g}, CAST(:next{g} AS timestamptz))")
        params.update({f"rep{g}": rep, f"next{g}": nxt})
        for row in template:
            n = len(rows)
            rows.append(f"(:rep{g}, :study{n}, :channel{n}, :audience{n}, :kind{n}, "
                        f":target{n}, :attempt{n}, :body{n}, CAST(:due{n} AS timestamptz), "
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
              FROM members t
              JOIN (VALUES {", ".join(rows)}) AS k(rep, study_id, channel, audience, kind,
                    target, attempt, body, due, expires) ON k.rep = t.rep
            {ON_CONFLICT}
            RETURNING 1 AS n"""
    participants, new = session.execute(text(f"""
        WITH {members}, moved AS (
            UPDATE reminder_cursors c SET next_due_at = m.next, planned_at = :now
              FROM members t JOIN (VALUES {", ".join(moves)}) AS m(rep, next)
                ON m.rep = t.rep
             WHERE c.participant_id = t.participant_id
            RETURNING 1 AS n
        ), inserted AS ({inserted})
        SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM inserted)"""),
        params).one()
    return PlanStats(participants=participants, inserted=new)
