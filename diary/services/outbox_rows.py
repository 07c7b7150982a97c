"""Putting messages into the outbox exactly once, from the diary (safety alerts) and the
scheduler's tick alike: the unique idempotency key, not a prior read, decides."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from diary.db.messaging import OutboxMessage

OUTBOX = OutboxMessage.__table__


def insert_once(session: Session, rows: Iterable[dict]) -> int:
    """Insert outbox rows, skipping any whose idempotency key exists; returns how many
    were new. The unique key, not a prior read, makes a repeated tick harmless."""
    rows = list(rows)
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        return _insert_unnest(session, rows)
    # RETURNING counts what was new: executemany's rowcount is not reliable across drivers.
    stmt = (sqlite.insert(OUTBOX).on_conflict_do_nothing(index_elements=["key"])
            .returning(OUTBOX.c.id))
    return len(session.execute(stmt, rows).all())


def _insert_unnest(session: Session, rows: list[dict]) -> int:
    """PostgreSQL: one statement with one array per column. A multi-row VALUES of thousands
    of rows spends longer in the driver's query parsing than in the database."""
    columns = [c for c in OUTBOX.columns if c.name in rows[0]]
    dialect = postgresql.dialect()
    arrays = ", ".join(f"CAST(:{c.name} AS {c.type.compile(dialect=dialect)}[])"
                       for c in columns)
    names = ", ".join(c.name for c in columns)
    stmt = text(f"INSERT INTO {OUTBOX.name} ({names}) SELECT * FROM unnest({arrays}) "
                "ON CONFLICT (key) DO NOTHING RETURNING id")
    params = {c.name: [row[c.name] for row in rows] for c in columns}
    return len(session.execute(stmt, params).all())
