"""Statements run through libpq's own prepared-statement calls (psycopg.pq), for the one
hot path where psycopg's cursor, adaptation and row layers cost more client CPU than the
call itself (bench/libpq_calls.py: 85 us per call through psycopg, 35 through libpq): the
diary's first entry (issue 20).
"""

from __future__ import annotations

import re
import weakref
from datetime import date, timedelta

import psycopg
from psycopg import pq


class Prepared:
    """A statement for libpq's own prepared-statement calls, its named parameters numbered
    in order of first use."""

    def __init__(self, name: str, sql: str) -> None:
        names: list[str] = []

        def number(m: re.Match) -> str:
            if m[1] not in names:
                names.append(m[1])
            return f"${names.index(m[1]) + 1}"

        self.name, self.names = name.encode(), names
        self.sql = re.sub(r"%\((\w+)\)s", number, sql).encode()
        self.ready: weakref.WeakSet = weakref.WeakSet()  # connections that prepared it


def text_param(value) -> bytes | None:
    """A parameter in PostgreSQL's text format (the statement's context gives its type)."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return f"{value.total_seconds()} seconds".encode()
    if isinstance(value, date):  # and datetime: ISO 8601, with the offset when aware
        return value.isoformat().encode()
    return str(value).encode()


def run_prepared(conn: psycopg.Connection, statement: Prepared,
                 params: dict) -> list[bytes | None] | None:
    """The first row of ``statement`` (its values as text), run on ``conn``'s session,
    which must be idle; None: no row. Prepared once per connection."""
    pgconn = conn.pgconn
    if pgconn not in statement.ready:
        check_status(pgconn.prepare(statement.name, statement.sql), pq.ExecStatus.COMMAND_OK)
        statement.ready.add(pgconn)
    result = pgconn.exec_prepared(statement.name,
                                  [text_param(params[n]) for n in statement.names])
    check_status(result, pq.ExecStatus.TUPLES_OK)
    if not result.ntuples:
        return None
    return [result.get_value(0, i) for i in range(result.nfields)]


def check_status(result: pq.abc.PGresult, expected: pq.ExecStatus) -> None:
    if result.status != expected:
        raise psycopg.OperationalError(result.error_message.decode(errors="replace").strip()
                                       or f"libpq status {result.status}")
