"""The common daily reminder, planned per bucket on PostgreSQL (issue 16, "The tick").

Due participants whose planning inputs differ only by their ids (same study, zone,
reminder time, language, phone, withdrawal and opt-out, enrolment, sequence, anchor event
times, recent diary dates) get the same reminders with their own keys. Per such bucket
one participant is planned by the ordinary planner (``tick.plan_one``); if its plan is
only diary reminders and nudges, with no questionnaire window near, the same rows (each
participant's own key, from ``reminder_key``) go in with one INSERT ... SELECT and the
cursors move with one UPDATE. The rule stays in the planner: SQL only copies its answer.
Everything else (windows, coordinator alerts, pending messages to re-plan or cancel) is
left due for the one-by-one path of the same tick.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from diary.db.messaging import OutboxMessage
from diary.protocol.model import ADVERSE_EVENTS
from diary.services.outbox_rows import ON_CONFLICT
from diary.services.studies import protocol_by_sha

from .batch_planner import BatchPlanner
from .loading import load_inputs, lookback
from .planner import ALERT_FOR
from .planning.model import DIARY, DIARY_NUDGE, KINDS, PARTICIPANT, reminder_key
from .tick import RECHECK, PlanStats, outbox_row, plan_one

LIMIT = 20_000
COPIED_KINDS = (DIARY, DIARY_NUDGE)
"""Kinds whose rows differ between the participants of a bucket only by id and key."""
_KINDS_SQL = ", ".join(f"'{k}'" for k in KINDS)

# One row per due cursor (claimed until commit), with everything the planner reads of
# the participant except its id; ``pending`` sends it to the one-by-one path.
CLAIM = text(f"""
    SELECT c.participant_id, p.study_id, p.timezone, p.reminder_time, p.language,
           p.phone_index IS NOT NULL, p.enrolled_at, p.sequence, p.withdrawn_at,
           p.sms_opted_out_at,
           (SELECT string_agg(concat_ws('|', e.type, e.occurred_at,
                                        coalesce(e.period::text, '-'), e.status,
                                        e.date_only), ';'
                              ORDER BY e.occurred_at, e.type, e.period, e.status, e.date_only)
              FROM anchor_events e WHERE e.participant_id = c.participant_id),
           (SELECT string_agg(d.diary_date::text, ',' ORDER BY d.diary_date)
              FROM diary_entries d WHERE d.participant_id = c.participant_id
               AND d.is_current AND d.diary_date >= :since),
           EXISTS (SELECT 1 FROM {OutboxMessage.__tablename__} o
                    WHERE o.participant_id = c.participant_id AND o.state = 'pending'
                      AND o.kind IN ({_KINDS_SQL}))
      FROM reminder_cursors c JOIN participants p ON p.id = c.participant_id
     WHERE c.next_due_at <= :now
       AND c.participant_id <> ALL (string_to_array(:skip, ','))
     ORDER BY c.next_due_at
     LIMIT :limit
       FOR UPDATE OF c SKIP LOCKED""")

COLUMNS = ("id, key, study_id, participant_id, channel, audience, kind, target, "
           "reminder_attempt, body, planned_at, due_at, expires_at, state, send_attempts, "
           "next_attempt_at, outcome_unknown")


def plan_buckets(session_factory: sessionmaker[Session], now: datetime, *,
                 limit: int = LIMIT, alert_for: timedelta = ALERT_FOR
                 ) -> PlanStats:
    """Plan every due participant that fits a bucket, ``limit`` claimed cursors per
    committed pass; the others (the exceptions) are left due."""
    total, skip = PlanStats(), []
    while True:
        with session_factory() as session:
            claimed, stats, exceptions = plan_pass(session, now, limit, skip, alert_for)
            session.commit()
        for name in ("participants", "planned", "inserted"):
            setattr(total, name, getattr(total, name) + getattr(stats, name))
        skip += exceptions
        if claimed < limit or not stats.participants:
            return total


def plan_pass(session: Session, now: datetime, limit: int, skip: list[str],
              alert_for: timedelta) -> tuple[int, PlanStats, list[str]]:
    """One pass: claim, plan each bucket's representative, copy its plan to the bucket.
    Returns how many cursors were claimed, the stats and the exceptions' ids."""
    rows = session.execute(CLAIM, {"now": now, "since": _since(session, now, alert_for),
                                   "skip": ",".join(skip), "limit": limit}).all()
    buckets: dict[tuple, list[str]] = defaultdict(list)
    exceptions = []
    for pid, *inputs, pending in rows:
        if pending or "," in pid:
            exceptions.append(pid)
        else:
            buckets[tuple(inputs)].append(pid)
    copies: list[tuple[list[str], list[dict], datetime | None]] = []
    planner, bounds = BatchPlanner(now, horizon=RECHECK, alert_for=alert_for), {}
    for members in buckets.values():
        template = _plan_representative(session, members[0], now, alert_for, planner, bounds)
        if template is None:
            exceptions += members
        else:
            copies.append((members, *template))
    stats = PlanStats()
    if copies:
        stats = _copy(session, copies, now)
    return len(rows), stats, exceptions


def _since(session: Session, now: datetime, alert_for: timedelta):
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
    """The bucket's plan from one of its participants (outbox rows without key, id and
    participant, and the next cursor instant); None if it cannot be copied."""
    inputs = load_inputs(session, [pid], now, alert_for)
    if not inputs:
        return None
    item = inputs[0]
    due, nxt, sched = plan_one(planner, item, now, bounds)
    if any(w.form != ADVERSE_EVENTS for w in sched.windows):
        return None  # window reminders are keyed on each participant's own windows
    if any(r.kind not in COPIED_KINDS or r.audience != PARTICIPANT for r in due):
        return None
    rows = []
    for r in due:
        row = outbox_row(item, r, now)
        rows.append({**row, "key": (r.kind, r.target, r.attempt)})
    return rows, nxt


def _copy(session: Session, copies: list[tuple[list[str], list[dict], datetime | None]],
          now: datetime) -> PlanStats:
    """Insert every bucket's rows for its participants and move their cursors: one
    INSERT ... SELECT and one UPDATE for all buckets of the pass."""
    templates, nexts = [], []
    pids, keys, tix, cursor_pids, gix = [], [], [], [], []
    for g, (members, rows, nxt) in enumerate(copies):
        nexts.append(nxt)
        cursor_pids += members
        gix += [str(g)] * len(members)
        for row in rows:
            t = len(templates)
            templates.append(row)
            kind, target, attempt = row["key"]
            pids += members
            keys += [reminder_key(pid, kind, target, attempt) for pid in members]
            tix += [str(t)] * len(members)
    params: dict[str, object] = {"now": now}
    inserted = 0
    if templates:
        values = []
        for t, row in enumerate(templates):
            values.append(f"({t}, :study{t}, :channel{t}, :audience{t}, :kind{t}, "
                          f":target{t}, :attempt{t}, :body{t}, CAST(:due{t} AS timestamptz), "
                          f"CAST(:expires{t} AS timestamptz))")
            params.update({f"study{t}": row["study_id"], f"channel{t}": row["channel"],
                           f"audience{t}": row["audience"], f"kind{t}": row["kind"],
                           f"target{t}": row["target"], f"attempt{t}": row["reminder_attempt"],
                           f"body{t}": row["body"], f"due{t}": row["due_at"],
                           f"expires{t}": row["expires_at"]})
        params.update({"pids": ",".join(pids), "keys": ",".join(keys),
                       "tix": ",".join(tix)})
        inserted = session.execute(text(f"""
            INSERT INTO {OutboxMessage.__tablename__} ({COLUMNS})
            SELECT gen_random_uuid()::text, m.key, k.study_id, m.pid, k.channel, k.audience,
                   k.kind, k.target, k.attempt, k.body, :now, k.due, k.expires, 'pending', 0,
                   k.due, false
              FROM unnest(string_to_array(:pids, ','), string_to_array(:keys, ','),
                          CAST(string_to_array(:tix, ',') AS int[])) AS m(pid, key, t)
              JOIN (VALUES {", ".join(values)})
                AS k(t, study_id, channel, audience, kind, target, attempt, body, due,
                     expires) ON k.t = m.t
            {ON_CONFLICT}"""), params).rowcount
    moves = ", ".join(f"({g}, CAST(:next{g} AS timestamptz))" for g in range(len(nexts)))
    session.execute(text(f"""
        UPDATE reminder_cursors c SET next_due_at = k.next, planned_at = :now
          FROM unnest(string_to_array(:cpids, ','),
                      CAST(string_to_array(:gix, ',') AS int[])) AS m(pid, g)
          JOIN (VALUES {moves}) AS k(g, next) ON k.g = m.g
         WHERE c.participant_id = m.pid"""),
        {"now": now, "cpids": ",".join(cursor_pids), "gix": ",".join(gix),
         **{f"next{g}": nxt for g, nxt in enumerate(nexts)}})
    return PlanStats(participants=len(cursor_pids), planned=len(keys), inserted=inserted)
