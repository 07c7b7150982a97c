"""Putting messages into the outbox exactly once, from the diary (safety alerts) and the
scheduler's tick alike: the unique idempotency key, not a prior read, decides."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from diary.db.messaging import OutboxMessage

OUTBOX = OutboxMessage.__table__
INCOMING = "outbox_incoming"  # a temporary table, private to each connection


def insert_once(session: Session, rows: Iterable[dict]) -> int:
    """Insert outbox rows, skipping any whose idempotency key exists; returns how many
    were new. The unique key, not a prior read, makes a repeated tick harmless."""
    rows = list(rows)
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        return _insert_copied(session, rows)
    # RETURNING counts what was new: executemany's rowcount is not reliable across drivers.
    stmt = (sqlite.insert(OUTBOX).on_conflict_do_nothing(index_elements=["key"])
            .returning(OUTBOX.c.id))
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
                       f"FROM {INCOMING} ON CONFLICT (key) DO NOTHING")
        inserted = cursor.rowcount
        cursor.execute(f"DELETE FROM {INCOMING}")  # a second call in this transaction
    return inserted
