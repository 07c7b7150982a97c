"""A day's first diary entry on PostgreSQL in two round trips and no BEGIN or COMMIT
(issue 20).

The connection is in autocommit mode. The first statement authenticates the device token
and reads what :func:`diary.services.entries.check_entry_rules` needs, so the diary's
rules stay in one place and run here in Python. The second statement, its own transaction,
checks again that nothing they were checked against has changed, refreshes the token's last
use when due, inserts the entry, and writes its audit record unchained to ``audit_pending``
(diary/audit_pending.py chains it later, so no request waits on a chain head).

Anything but a clean first entry (unknown, idle or expired token, a rule that fails, a
retry, a second entry for the day, a change in between) stores nothing and returns None:
the caller then takes the portable path, which gives the answer and the error it always
gave.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import psycopg

from diary.db.models import new_id
from diary.errors import RuleViolation
from diary.services.entries import NewEntry, check_entry_rules
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

# Second round trip, its own transaction: store the entry and its audit record only if
# nothing the rules were checked against changed in between (token still live, the same
# participant facts, the same protocol version). Zero rows stored means "decline".
STORE = f"""
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
), e AS (
  INSERT INTO diary_entries (id, participant_id, diary_date, score, client_id, device_time,
                             received_at, channel, version, is_current, entry_source)
  SELECT %(id)s, t.pid, %(day)s, %(score)s, %(cid)s, %(dt)s, %(now)s, 'app', 1, true,
         'participant'
  FROM t
  ON CONFLICT DO NOTHING
  RETURNING participant_id
), a AS (
  INSERT INTO audit_pending (chain, at, actor, action, entity, entity_id, after, request_id)
  SELECT 'participant:' || e.participant_id, %(now)s, 'participant:' || e.participant_id,
         'diary_entry.create', 'diary_entry', %(id)s, %(after)s::json, %(rid)s
  FROM e
)
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


def record_first_entry(conn: psycopg.Connection, protocol_session, token_hash: str,
                       e: NewEntry, *, now: datetime, request_id: str | None,
                       device_idle: timedelta | None) -> FastEntry | None:
    """Store ``e`` as a day's first entry, or return None (nothing stored) for anything
    else. ``conn`` is in autocommit mode: each statement is its own transaction, so there
    is no BEGIN or COMMIT to send. ``protocol_session`` opens a SQLAlchemy session when a
    protocol is not cached."""
    live = {"h": token_hash, "now": now, "idle": device_idle}
    row = conn.execute(LOOKUP, live, prepare=True).fetchone()
    if row is None or not _rules_pass(protocol_session, row, e, now):
        return None
    token_id, pid, tz, enrolled_at, withdrawn_at, _sha256, version = row
    entry = FastEntry(audit_id := new_id(), e.diary_date, e.score, e.client_id,
                      e.device_time, now)
    # audit.plain(audit_view(entry)) of the portable path, written out: dates as str().
    after = {"id": audit_id, "diary_date": str(e.diary_date), "score": e.score,
             "version": 1, "client_id": e.client_id, "channel": "app",
             "device_time": str(e.device_time), "entry_source": "participant",
             "recorded_by": None}
    stored = conn.execute(STORE, {
        **live, "token": token_id, "tz": tz, "enrolled": enrolled_at,
        "withdrawn": withdrawn_at, "version": version, "touch": TOUCH_EVERY,
        "id": audit_id, "day": e.diary_date, "score": e.score, "cid": e.client_id,
        "dt": e.device_time, "after": json.dumps(after), "rid": request_id,
    }, prepare=True).fetchone()[0]
    return entry if stored else None


def _rules_pass(protocol_session, row, e: NewEntry, now: datetime) -> bool:
    _token_id, pid, tz, enrolled_at, withdrawn_at, sha256, _version = row
    p = SimpleNamespace(id=pid, timezone=tz, enrolled_at=enrolled_at,
                        withdrawn_at=withdrawn_at)
    try:
        check_entry_rules(_protocol(protocol_session, sha256), p, e, now)
    except RuleViolation:
        return False
    return True


def _protocol(protocol_session, sha256: str):
    from diary.services import studies

    if sha256 in studies._by_sha:  # parsed once per process
        return studies._by_sha[sha256]
    with protocol_session() as session:
        return protocol_by_sha(session, sha256)


