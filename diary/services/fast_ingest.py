"""A day's first diary entry on PostgreSQL in one round trip, a participant's new
medication intake in two; neither sends BEGIN or COMMIT (issue 20).

The connection is in autocommit mode: each statement is its own transaction.

A first entry is one statement (``STORE_FIRST_ENTRY``). It authenticates the device
token, reads the participant's zone, enrolment, withdrawal and protocol, and stores the
entry only where :class:`diary.services.open_days.OpenDays` says the diary's rules take
it: those rules run in Python, for each (zone, protocol) pair, and reach the statement as
instants. It refreshes the token's last use when due and writes the audit record
unchained to ``audit_pending`` (diary/audit_pending.py chains it later, so no request
waits on a chain head).

An intake is checked by the medication diary's own functions between two statements: one
reads what they need, the second stores only if none of it changed in between.

Anything else (unknown, idle or expired token, a rule that fails, a pair not met before,
a retry, a second entry for the day, a correction, a change in between) stores nothing
and returns None: the caller then takes the portable path, which gives the answer and the
error it always gave. Questionnaire responses and side-effect reports always take the
portable path: they may answer a window (the participant is re-planned) or raise a
safety alert.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import psycopg

from diary import audit
from diary.db.models import new_id
from diary.db.prepared import Prepared, run_prepared
from diary.db.safety_models import MedicationIntake
from diary.errors import DomainError
from diary.services import medications
from diary.services.entries import NewEntry
from diary.services.medications import NewIntake
from diary.services.open_days import OpenDays
from diary.services.principals import TOUCH_EVERY
from diary.services.studies import protocol_by_sha_opening

# Token conditions every statement here checks: not revoked, not expired, not idle too long.
_LIVE = """k.revoked_at IS NULL
    AND (k.expires_at IS NULL OR k.expires_at > %(now)s)
    AND (%(idle)s::interval IS NULL
         OR coalesce(k.last_used_at, k.created_at) + %(idle)s::interval > %(now)s)"""

# Refreshes the token ``t`` names when its last use is due (principals.TOUCH_EVERY).
_TOUCH = """touch AS (
  UPDATE api_tokens k SET last_used_at = %(now)s FROM t
  WHERE k.id = t.token_id
    AND (k.last_used_at IS NULL OR k.last_used_at + %(touch)s::interval <= %(now)s)
)"""

# The audit record of the row ``e`` inserted, unchained (diary/audit_pending.py).
_AUDIT = """a AS (
  INSERT INTO audit_pending (chain, at, actor, action, entity, entity_id, after, request_id)
  SELECT 'participant:' || e.participant_id, %(now)s, 'participant:' || e.participant_id,
         %(action)s, %(entity)s, %(id)s, %(after)s::json, %(rid)s
  FROM e
)"""

# A first entry, whole: the token's participant (``k``), kept if not withdrawn and
# enrolled before the instant OpenDays gives its (zone, protocol) pair (``t``), its entry
# and audit record. The row names the pair, so that one met for the first time is learnt;
# no row: no live token.
STORE_FIRST_ENTRY = f"""
WITH k AS (
  SELECT k.id AS token_id, p.id AS pid, p.timezone AS tz, p.enrolled_at, p.withdrawn_at,
         v.sha256
  FROM api_tokens k
  JOIN participants p ON p.id = k.participant_id
  JOIN studies s ON s.id = p.study_id
  JOIN protocol_versions v ON v.study_id = s.id AND v.version = s.current_version
  WHERE k.token_hash = %(h)s AND {_LIVE}
), t AS (
  SELECT k.token_id, k.pid FROM k
  WHERE k.withdrawn_at IS NULL
    AND k.enrolled_at < (%(windows)s::jsonb ->> (k.tz || ' ' || k.sha256))::timestamptz
), {_TOUCH}, e AS (
  INSERT INTO diary_entries (id, participant_id, diary_date, score, client_id, device_time,
                             received_at, channel, version, is_current, entry_source)
  SELECT %(id)s, t.pid, %(day)s, %(score)s, %(cid)s, %(dt)s, %(now)s, 'app', 1, true,
         'participant'
  FROM t
  ON CONFLICT DO NOTHING
  RETURNING participant_id
), {_AUDIT}
SELECT (SELECT count(*) FROM e), k.tz, k.sha256 FROM k
"""

# An intake's first round trip: authenticate the token, read what the checks need.
LOOKUP = f"""
SELECT k.id, p.id, p.timezone, p.enrolled_at, p.withdrawn_at, v.sha256, s.current_version
FROM api_tokens k
JOIN participants p ON p.id = k.participant_id
JOIN studies s ON s.id = p.study_id
JOIN protocol_versions v ON v.study_id = s.id AND v.version = s.current_version
WHERE k.token_hash = %(h)s AND {_LIVE}
"""

# Its second: the intake (every column medications.intake_row fills) and its audit
# record, only if nothing the checks read changed in between (token still live, the same
# participant facts, the same protocol version). Zero rows stored: decline.
_INTAKE_COLUMNS = [c.key for c in MedicationIntake.__table__.columns if c.key != "participant_id"]
STORE_INTAKE = f"""
WITH t AS (
  SELECT k.id AS token_id, p.id AS pid
  FROM api_tokens k
  JOIN participants p ON p.id = k.participant_id
  JOIN studies s ON s.id = p.study_id
  WHERE k.id = %(token)s AND {_LIVE}
    AND p.timezone = %(tz)s AND p.enrolled_at = %(enrolled)s
    AND p.withdrawn_at IS NOT DISTINCT FROM %(withdrawn)s
    AND s.current_version = %(version)s
), {_TOUCH}, e AS (
  INSERT INTO medication_intakes (participant_id, {", ".join(_INTAKE_COLUMNS)})
  SELECT t.pid, {", ".join(f"%(c_{c})s" for c in _INTAKE_COLUMNS)}
  FROM t
  ON CONFLICT DO NOTHING
  RETURNING participant_id
), {_AUDIT}
SELECT count(*) FROM e
"""


@dataclass(frozen=True)
class FastEntry:
    """What the response shows of an entry stored by the fast path."""

    id: str
    diary_date: date
    score: int
    client_id: str
    device_time: datetime
    received_at: datetime

    def body(self) -> dict:
        """The same fields and formats as ``EntryOut`` (diary/api/schemas.py)."""
        return {"id": self.id, "diary_date": self.diary_date.isoformat(),
                "score": self.score, "client_id": self.client_id,
                "device_time": self.device_time.isoformat(),
                "received_at": self.received_at.isoformat(), "version": 1,
                "is_current": True, "supersedes_id": None, "reason": None,
                "channel": "app", "entry_source": "participant"}


class Connections:
    """One autocommit psycopg connection per worker thread, kept open: no pool checkout
    and no pre-ping round trip per request. A broken one is dropped and reopened next time."""

    def __init__(self, url: str) -> None:
        self.url, self.mine, self.every, self.lock = url, threading.local(), [], threading.Lock()

    def get(self) -> psycopg.Connection:
        conn = getattr(self.mine, "conn", None)
        if conn is None or conn.closed:
            conn = self.mine.conn = psycopg.connect(self.url, autocommit=True)
            with self.lock:
                self.every.append(conn)
        return conn

    def drop(self) -> None:
        """Close this thread's connection (after an error)."""
        conn = getattr(self.mine, "conn", None)
        self.mine.conn = None
        if conn is not None:
            conn.close()

    def close_all(self) -> None:
        with self.lock:
            every, self.every = self.every, []
        for conn in every:
            conn.close()


def libpq_url(sqlalchemy_url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if sqlalchemy_url.startswith(prefix):
            return "postgresql://" + sqlalchemy_url[len(prefix):]
    return sqlalchemy_url


_FIRST_ENTRY = Prepared("paindiary_first_entry", STORE_FIRST_ENTRY)


def record_first_entry(conn: psycopg.Connection, open_days: OpenDays, token_hash: str,
                       e: NewEntry, *, now: datetime, request_id: str | None,
                       device_idle: timedelta | None) -> FastEntry | None:
    """Store ``e`` as a day's first entry in one statement, or return None (nothing
    stored) for anything else."""
    entry = FastEntry(entry_id := new_id(), e.diary_date, e.score, e.client_id,
                      e.device_time, now)
    # audit.plain(audit_view(entry)) of the portable path, written out: dates as str().
    after = {"id": entry_id, "diary_date": str(e.diary_date), "score": e.score,
             "version": 1, "client_id": e.client_id, "channel": "app",
             "device_time": str(e.device_time), "entry_source": "participant",
             "recorded_by": None}
    row = run_prepared(conn, _FIRST_ENTRY, {
        "h": token_hash, "now": now, "idle": device_idle, "touch": TOUCH_EVERY,
        "windows": open_days.windows(e.diary_date, now), "action": "diary_entry.create",
        "entity": "diary_entry", "id": entry_id, "after": json.dumps(after),
        "rid": request_id, "day": e.diary_date, "score": e.score, "cid": e.client_id,
        "dt": e.device_time,
    })
    if row is None:
        return None
    stored, tz, sha256 = int(row[0]), row[1].decode(), row[2].decode()
    if not stored:
        open_days.learn(tz, sha256)  # a pair met for the first time: open from now on
        return None
    return entry


def record_new_intake(conn: psycopg.Connection, protocol_session, token_hash: str,
                      n: NewIntake, *, now: datetime, request_id: str | None,
                      device_idle: timedelta | None) -> MedicationIntake | None:
    """Store ``n``, a participant's new intake (not a correction), checked and converted by
    the medication diary's own functions; None (nothing stored) for anything else."""
    if n.corrects is not None or n.reason is not None:
        return None
    looked = _look_up(conn, protocol_session, token_hash, now, device_idle)
    if looked is None:
        return None
    p, protocol, params = looked
    try:
        intake, day = medications.checked_intake(protocol, p, n, now)
    except DomainError:
        return None
    row = medications.intake_row(p, n, intake, day, None, now=now, recorded_by=None)
    stored = conn.execute(STORE_INTAKE, {
        **params, "action": "medication.create", "entity": "medication_intake",
        "id": row.id, "after": json.dumps(audit.plain(medications.audit_view(row))),
        "rid": request_id, **{f"c_{c}": getattr(row, c) for c in _INTAKE_COLUMNS},
    }, prepare=True).fetchone()[0]
    return row if stored else None


def _look_up(conn: psycopg.Connection, protocol_session, token_hash: str, now: datetime,
             device_idle: timedelta | None):
    """The token's participant (what the rules read), its protocol, and the parameters
    that make the store statement check that none of it changed; None: no live token."""
    live = {"h": token_hash, "now": now, "idle": device_idle}
    row = conn.execute(LOOKUP, live, prepare=True).fetchone()
    if row is None:
        return None
    token_id, pid, tz, enrolled_at, withdrawn_at, sha256, version = row
    p = SimpleNamespace(id=pid, timezone=tz, enrolled_at=enrolled_at,
                        withdrawn_at=withdrawn_at)
    return p, protocol_by_sha_opening(protocol_session, sha256), {
        **live, "token": token_id, "tz": tz, "enrolled": enrolled_at,
        "withdrawn": withdrawn_at, "version": version, "touch": TOUCH_EVERY}
