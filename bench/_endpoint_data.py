"""Synthetic crossover diaries for bench/endpoints.py, written in bulk (set-up only).

One participant: time zone Europe/Paris, sequence S1..S6 in turn, site CFD01 or LYO02,
enrolled 10 days before the first infusion. Three ``infusion`` anchor events (periods
1..3) 42 days apart (the protocol asks for >= 35), at 09:30 local time; first infusions
spread over 8 weeks of recruitment. Diary days -6..35 of each period (42 days, so the
periods do not share dates and a participant has up to 126 dates), scores 0..10: a
participant level, a treatment effect fading after the infusion, daily noise.
Missingness: each day missing with probability 4.5 %, plus 1 % of periods losing a run of
10 days inside days 5..34 (those fall below the 80 % coverage rule: AUC with a reason).
Corrections: 1 % of the kept days have two versions, the first superseded
(``is_current`` false) and the second current with ``supersedes_id`` pointing back.

Rows go in the order the server would have received them: by diary date, participants
interleaved (so a participant's entries are spread over the table, as in production).
SQLite: ``executemany`` of plain tuples in batches of 100,000 (values formatted as
SQLAlchemy stores them); PostgreSQL: ``COPY ... FROM STDIN`` on the raw psycopg connection.
Participants and events (small) go through Core ``insert``. No audit records are written
for the bulk rows: the export does not read them.

"now" is fixed three days after the last participant's day 35 of period 3, so no endpoint
is pending.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import insert, text

from diary.db.models import AnchorEvent, DiaryEntry, Participant

TZ_NAME = "Europe/Paris"
TZ = ZoneInfo(TZ_NAME)
FIRST_INFUSION = date(2025, 1, 6)  # the earliest first infusion
RECRUITMENT_DAYS = 56
PERIOD_GAP = 42
PERIODS = 3
DIARY_DAYS = np.arange(-6, 36)  # 42 days per period
P_MISSING = 0.045
P_GAP_PERIOD, GAP_LEN = 0.01, 10
P_CORRECTION = 0.01
SITES = ("CFD01", "LYO02")
SEQUENCES = {"S1": ("K", "KM", "P"), "S2": ("KM", "P", "K"), "S3": ("P", "K", "KM"),
             "S4": ("K", "P", "KM"), "S5": ("KM", "K", "P"), "S6": ("P", "KM", "K")}
EFFECT = {"K": -1.8, "KM": -2.4, "P": -0.4}  # fading from day 1 on
BATCH = 100_000
ENTRY_COLUMNS = ("id", "participant_id", "diary_date", "score", "client_id", "device_time",
                 "received_at", "version", "is_current", "supersedes_id", "reason", "channel",
                 "recorded_by")
EPOCH = date(1970, 1, 1)


@dataclass
class Populated:
    participants: int
    events: int
    current_entries: int
    superseded_entries: int
    now: datetime
    seconds_generate: float
    seconds_insert: float
    seconds_analyze: float


def _local(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=TZ).astimezone(UTC)


def populate(engine, study_id: int, n: int, *, seed: int = 1) -> Populated:
    """Write ``n`` participants with their events and diaries; return counts and "now"."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    seq_keys = list(SEQUENCES)
    pids = [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)]
    start = rng.integers(0, RECRUITMENT_DAYS, n)  # first infusion, days after FIRST_INFUSION
    first = np.array([(FIRST_INFUSION - EPOCH).days], dtype=np.int64) + start
    participants = [
        dict(id=pids[i], study_id=study_id, subject_id=f"{SITES[i % 2]}-{i + 1:05d}",
             site=SITES[i % 2], arm=None, sequence=seq_keys[i % 6], timezone=TZ_NAME,
             language="fr", reminder_time="20:00",
             enrolled_at=_local(EPOCH + timedelta(int(first[i]) - 10), 10), enrolled_by=None)
        for i in range(n)]
    events = []
    for i in range(n):
        for k in range(PERIODS):
            at = _local(EPOCH + timedelta(int(first[i]) + PERIOD_GAP * k), 9, 30)
            events.append(dict(id=str(uuid.UUID(bytes=rng.bytes(16), version=4)),
                               participant_id=pids[i], type="infusion", period=k + 1,
                               occurred_at=at, recorded_at=at + timedelta(hours=1),
                               recorded_by=None))
    # Daily grid (participant, period, day) -> score, kept or not.
    shape = (n, PERIODS, DIARY_DAYS.size)
    day_ord = (first[:, None, None] + PERIOD_GAP * np.arange(PERIODS)[None, :, None]
               + DIARY_DAYS[None, None, :])
    kept = rng.random(shape) >= P_MISSING
    gap = rng.random((n, PERIODS)) < P_GAP_PERIOD
    gap_start = rng.integers(5, 36 - GAP_LEN, (n, PERIODS))
    in_gap = ((DIARY_DAYS[None, None, :] >= gap_start[..., None])
              & (DIARY_DAYS[None, None, :] < gap_start[..., None] + GAP_LEN) & gap[..., None])
    kept &= ~in_gap
    effect = np.array([[EFFECT[t] for t in SEQUENCES[seq_keys[i % 6]]] for i in range(n)])
    fade = np.where(DIARY_DAYS >= 1, np.exp(-np.maximum(DIARY_DAYS, 0) / 25.0), 0.0)
    level = rng.uniform(3.0, 8.0, n)
    raw = (level[:, None, None] + effect[:, :, None] * fade[None, None, :]
           + rng.normal(0.0, 1.2, shape))
    score = np.clip(np.rint(raw), 0, 10).astype(np.int64)
    p_idx = np.broadcast_to(np.arange(n)[:, None, None], shape)[kept]
    d_ord = day_ord[kept]
    s_cur = score[kept]
    corrected = rng.random(s_cur.size) < P_CORRECTION
    s_old = np.clip(s_cur + rng.choice([-2, -1, 1, 2], s_cur.size), 0, 10)
    # Arrival order: by date, participants interleaved (a fixed shuffle of them).
    shuffle = rng.permutation(n)
    order = np.lexsort((shuffle[p_idx], d_ord))
    p_idx, d_ord, s_cur, s_old, corrected = (x[order] for x in (p_idx, d_ord, s_cur, s_old,
                                                                 corrected))
    last = int(first.max()) + PERIOD_GAP * (PERIODS - 1) + 35
    now = datetime.combine(EPOCH + timedelta(last + 3), datetime.min.time(), UTC) \
        + timedelta(hours=12)
    t1 = time.perf_counter()

    dialect = engine.dialect.name
    prefix = uuid.UUID(bytes=os.urandom(16), version=4).hex
    id_head = f"{prefix[:8]}-{prefix[8:12]}-{prefix[12:16]}-{prefix[16:20]}-"

    def rows():
        """Entry rows in arrival order (a corrected day: its superseded version first)."""
        fmt = _formats(dialect, int(d_ord.min()), int(d_ord.max()) + 2)
        k = 0
        for p, d, s, old, c in zip(p_idx.tolist(), d_ord.tolist(), s_cur.tolist(),
                                   s_old.tolist(), corrected.tolist(), strict=True):
            day, sent, later = fmt[d], fmt[d][1], fmt[d + 1][1]
            pid = pids[p]
            if c:
                old_id = f"{id_head}{k:012x}"
                k += 1
                yield (old_id, pid, day[0], old, old_id, sent, sent, 1, fmt["f"], None, None,
                       "app", None)
                eid = f"{id_head}{k:012x}"
                k += 1
                yield (eid, pid, day[0], s, eid, None, later, 2, fmt["t"], old_id,
                       "bench: corrected score", "web", None)
            else:
                eid = f"{id_head}{k:012x}"
                k += 1
                yield (eid, pid, day[0], s, eid, sent, sent, 1, fmt["t"], None, None, "app",
                       None)

    with engine.begin() as conn:
        conn.execute(insert(Participant), participants)
        conn.execute(insert(AnchorEvent), events)
        if dialect == "postgresql":
            _copy_entries(conn, rows())
        else:
            conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB, this connection
            sql = (f"INSERT INTO {DiaryEntry.__tablename__} ({', '.join(ENTRY_COLUMNS)}) "
                   f"VALUES ({', '.join('?' * len(ENTRY_COLUMNS))})")
            batch = []
            for row in rows():
                batch.append(row)
                if len(batch) >= BATCH:
                    conn.exec_driver_sql(sql, batch)
                    batch = []
            if batch:
                conn.exec_driver_sql(sql, batch)
    t2 = time.perf_counter()
    # What autovacuum / a DBA would have done long before an export of an old study.
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    t3 = time.perf_counter()
    n_corr = int(corrected.sum())
    return Populated(n, len(events), int(s_cur.size), n_corr, now, t1 - t0, t2 - t1, t3 - t2)


def _formats(dialect: str, lo: int, hi: int) -> dict:
    """Per day ordinal: (date, evening instant) as the driver wants them; booleans."""
    out: dict = {}
    for d in range(lo, hi + 1):
        day = EPOCH + timedelta(d)
        sent = _local(day, 20, 30)
        if dialect == "postgresql":
            out[d] = (day.isoformat(), sent.isoformat())
        else:  # SQLAlchemy's SQLite storage formats: naive UTC
            out[d] = (day.isoformat(), sent.strftime("%Y-%m-%d %H:%M:%S.%f"))
    out["t"], out["f"] = (True, False) if dialect == "postgresql" else (1, 0)
    return out


def _copy_text(v) -> str:
    if v is None:
        return "\\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    s = str(v)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _copy_entries(conn, rows) -> None:
    """COPY in text format on the session's psycopg connection (same transaction)."""
    raw = conn.connection.driver_connection
    cols = ", ".join(ENTRY_COLUMNS)
    with raw.cursor() as cur, cur.copy(f"COPY {DiaryEntry.__tablename__} ({cols}) "
                                       "FROM STDIN") as copy:
        buf = []
        for row in rows:
            buf.append("\t".join(map(_copy_text, row)))
            if len(buf) >= BATCH:
                copy.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            copy.write("\n".join(buf) + "\n")


def scan(engine) -> dict[str, int]:
    """Counts as stored (a check of the set-up)."""
    with engine.connect() as conn:
        return dict(conn.execute(text(
            "SELECT (SELECT count(*) FROM participants) AS participants, "
            "(SELECT count(*) FROM anchor_events) AS events, "
            "(SELECT count(*) FROM diary_entries WHERE is_current) AS current_entries, "
            "(SELECT count(*) FROM diary_entries WHERE NOT is_current) AS superseded"))
            .mappings().one())
