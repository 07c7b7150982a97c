"""A day's first diary entry, or a participant's new medication intake, on PostgreSQL in
two round trips and no BEGIN or COMMIT (issue 20).

The connection is in autocommit mode. The first statement authenticates the device token
and reads what the rules need (:func:`diary.services.entries.check_entry_rules`, or the
medication diary's own checks), so they stay in one place and run here in Python. The
second statement, its own transaction, checks again that nothing they were checked
against has changed, refreshes the token's last use when due, inserts the row, and writes
its audit record unchained to ``audit_pending`` (diary/audit_pending.py chains it later,
so no request waits on a chain head).

Anything else (unknown, idle or expired token, a rule that fails, a retry, a second entry
for the day, a correction, a change in between) stores nothing and returns None: the
caller then takes the portable path, which gives the answer and the error it always gave.
Questionnaire responses and side-effect reports always take the portable path: they may
answer a window (the participant is re-planned) or raise a safety alert.
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
from diary.db.safety_models import MedicationIntake
from diary.errors import DomainError, RuleViolation
from diary.services import medications
from diary.services.entries import NewEntry, check_entry_rules
from diary.services.medications import NewIntake
from diary.services.principals import TOUCH_EVERY
from diary.services.studies import protocol_by_sha

# Token conditions shared by both statements: not revoked, not expired, not idle too long.
_LIVE = """k.revoked_at IS NULL
    AND (k.expires_at IS NULL OR k.expires_at > %(now)s)
    AND (%(idle)s::interval IS NULL
         OR coalesce(k.last_used_at, k.created_at) + %(idle)s::interval > %(now)s)"""

# First round trip: authenticate the token and read what the diary's rules need.
LOOKUP = f"""
SELECT k.id, p.id, p.timezone, p.enrolled_at, p.withdrawn_at, v.sha256, s.current_version
FROM api_tokens k
JOIN participants p ON p.id = k.participant_id
JOIN studies s ON s.id = p.study_id
JOIN protocol_versions v ON v.study_id = s.id AND v.version = s.current_version
WHERE k.token_hash = %(h)s AND {_LIVE}
"""


def _store(insert: str) -> str:
    """The second round trip, its own transaction: ``insert`` (a CTE named ``e``, reading
    the participant's id from ``t`` and returning ``participant_id``) and its audit record,
    only if nothing the rules were checked against changed in between (token still live,
    the same participant facts, the same protocol version). Zero rows stored: decline."""
    return f"""
WITH t AS (
  SELECT k.id AS token_id, p.id AS pid
  FROM api_tokens k
  JOIN participants p ON p.id = k.participant_id
  JOIN studies s ON s.id = p.study_id
  WHERE k.id = %(token)s AND {_LIVE}
    AND p.timezone = %(tz)s AND p.enrolled_at = %(enrolled)s
    AND p.withdrawn_at IS NOT DISTINCT FROM %(withdrawn)s
    AND s.current_version = %(version)s
), touch AS (
  UPDATE api_tokens k SET last_used_at = %(now)s FROM t
  WHERE k.id = t.token_id
    AND (k.last_used_at IS NULL OR k.last_used_at + %(touch)s::interval <= %(now)s)
), e AS ({insert}
), a AS (
  INSERT INTO audit_pending (chain, at, actor, action, entity, entity_id, after, request_id)
  SELECT 'participant:' || e.participant_id, %(now)s, 'participant:' || e.participant_id,
         %(action)s, %(entity)s, %(id)s, %(after)s::json, %(rid)s
  FROM e
)
SELECT count(*) FROM e
"""


STORE_ENTRY = _store("""
  INSERT INTO diary_entries (id, participant_id, diary_date, score, client_id, device_time,
                             received_at, channel, version, is_current, entry_source)
  SELECT %(id)s, t.pid, %(day)s, %(score)s, %(cid)s, %(dt)s, %(now)s, 'app', 1, true,
         'participant'
  FROM t
  ON CONFLICT DO NOTHING
  RETURNING participant_id""")

# Every column of the row medications.intake_row builds, the participant's from ``t``.
_INTAKE_COLUMNS = [c.key for c in MedicationIntake.__table__.columns if c.key != "participant_id"]
STORE_INTAKE = _store(f"""
  INSERT INTO medication_intakes (participant_id, {", ".join(_INTAKE_COLUMNS)})
  SELECT t.pid, {", ".join(f"%(c_{c})s" for c in _INTAKE_COLUMNS)}
  FROM t
  ON CONFLICT DO NOTHING
  RETURNING participant_id""")


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


def record_first_entry(conn: psycopg.Connection, protocol_session, token_hash: str,
                       e: NewEntry, *, now: datetime, request_id: str | None,
                       device_idle: timedelta | None) -> FastEntry | None:
    """Store ``e`` as a day's first entry, or return None (nothing stored) for anything
    else. ``conn`` is in autocommit mode: each statement is its own transaction, so there
    is no BEGIN or COMMIT to send. ``protocol_session`` opens a SQLAlchemy session when a
    protocol is not cached."""
    looked = _look_up(conn, protocol_session, token_hash, now, device_idle)
    if looked is None:
        return None
    p, protocol, params = looked
    try:
        check_entry_rules(protocol, p, e, now)
    except RuleViolation:
        return None
    entry = FastEntry(audit_id := new_id(), e.diary_date, e.score, e.client_id,
                      e.device_time, now)
    # audit.plain(audit_view(entry)) of the portable path, written out: dates as str().
    after = {"id": audit_id, "diary_date": str(e.diary_date), "score": e.score,
             "version": 1, "client_id": e.client_id, "channel": "app",
             "device_time": str(e.device_time), "entry_source": "participant",
             "recorded_by": None}
    stored = conn.execute(STORE_ENTRY, {
        **params, "action": "diary_entry.create", "entity": "diary_entry", "id": audit_id,
        "after": json.dumps(after), "rid": request_id, "day": e.diary_date,
        "score": e.score, "cid": e.client_id, "dt": e.device_time,
    }, prepare=True).fetchone()[0]
    return entry if stored else None


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
    return p, _protocol(protocol_session, sha256), {
        **live, "token": token_id, "tz": tz, "enrolled": enrolled_at,
        "withdrawn": withdrawn_at, "version": version, "touch": TOUCH_EVERY}


def _protocol(protocol_session, sha256: str):
    from diary.services import studies

    if sha256 in studies._by_sha:  # parsed once per process
        return studies._by_sha[sha256]
    with protocol_session() as session:
        return protocol_by_sha(session, sha256)


