"""Putting messages into the outbox exactly once, from the diary (safety alerts) and the
scheduler's tick alike: the unique idempotency key, not a prior read, decides.

A key that exists is not always the end of it (issue 16, upgrades and moved anchors): a
message never handed to the provider follows the plan. If it is pending, its text, due
time and expiry become the planned ones (a window whose end moved says the new date); if
the tick cancelled it because its task moved away, it is pending again when the task is
due again. A message ever attempted (``send_attempts`` > 0) or cancelled for any other
reason stays as it is, so nothing sent is ever sent again.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from diary.db.messaging import OutboxMessage

OUTBOX = OutboxMessage.__table__
INCOMING = "outbox_incoming"  # a temporary table, private to each connection

REPLANNED = ("body", "due_at", "expires_at", "next_attempt_at", "planned_at")
REVIVABLE = ("task no longer scheduled", "opted out")
"""Cancel reasons of a message that is sent after all when the planner returns it again:
its task moved (an upgrade, a corrected anchor), or the participant opted in again."""
_REVIVABLE_SQL = ", ".join(f"'{reason}'" for reason in REVIVABLE)
_FOLLOWS_PLAN = (
    "{t}.send_attempts = 0 AND NOT {t}.outcome_unknown AND ("
    "({t}.state = 'cancelled' AND {t}.cancel_reason IN (" + _REVIVABLE_SQL + ")) OR "
    "({t}.state = 'pending' AND ({t}.body <> excluded.body OR {t}.due_at <> excluded.due_at"
    " OR {t}.expires_at IS DISTINCT FROM excluded.expires_at)))")
_REPLAN_SET = ", ".join(f"{c} = excluded.{c}" for c in REPLANNED) + (
    ", state = 'pending', cancelled_at = NULL, cancel_reason = NULL")
ON_CONFLICT = (f"ON CONFLICT (key) DO UPDATE SET {_REPLAN_SET} "
               f"WHERE {_FOLLOWS_PLAN.format(t=OUTBOX.name)}")
"""PostgreSQL: what an insert does with a key that exists (also the tick's bucket path)."""


def insert_once(session: Session, rows: Iterable[dict]) -> int:
    """Insert outbox rows; a row whose idempotency key exists only updates a message that
    follows the plan (see the module's docstring). Returns how many were new or re-planned.
    The unique key, not a prior read, makes a repeated tick harmless."""
    rows = list(rows)
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        return _insert_copied(session, rows)
    # RETURNING counts what was new: executemany's rowcount is not reliable across drivers.
    insert = sqlite.insert(OUTBOX)
    stmt = insert.on_conflict_do_update(
        index_elements=["key"],
        set_={**{c: insert.excluded[c] for c in REPLANNED}, "state": "pending",
              "cancelled_at": None, "cancel_reason": None},
        where=text(_FOLLOWS_PLAN.format(t=OUTBOX.name).replace(" IS DISTINCT FROM ", " IS NOT ")),
    ).returning(OUTBOX.c.id)
    return len(session.execute(stmt, rows).all())


def _insert_copied(session: Session, rows: list[dict]) -> int:
    """PostgreSQL: COPY the rows into a session-private table, then one INSERT ... SELECT.
    COPY is the driver's fastest path in (no per-value query binding, which for thousands
    of rows costs more than the database's own work)."""
    names = [c.name for c in OUTBOX.columns if c.name in rows[0]]
    columns = ", ".join(names)
    cursor = session.connection().connection.dbapi_connection.cursor()
    with cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {INCOMING} "
                       f"(LIKE {OUTBOX.name} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
        with cursor.copy(f"COPY {INCOMING} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in names])
        cursor.execute(f"INSERT INTO {OUTBOX.name} ({columns}) SELECT {columns} "
                       f"FROM {INCOMING} {ON_CONFLICT}")
        inserted = cursor.rowcount
        cursor.execute(f"DELETE FROM {INCOMING}")  # a second call in this transaction
    return inserted
