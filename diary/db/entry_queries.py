"""Reads of current diary entries that the database answers from its indexes alone:
the partial indexes' predicate, SQLite's INDEXED BY, and a date as a day number.

Shared by the endpoint export (diary/exports/entries.py) and diary completion
(diary/services/completion.py); no numpy here, so the API and the dashboard can use it
without the export's imports.
"""

from __future__ import annotations

from sqlalchemy import Connection, CursorResult, Integer, Select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from diary.db.models import DiaryEntry

# The partial indexes' predicate, verbatim: SQLite uses a partial index only for a query
# with that very term, and SQLAlchemy writes a boolean column as "is_current = 1" there.
CURRENT = text(f"{DiaryEntry.__tablename__}.is_current")


class epoch_day(FunctionElement):  # noqa: N801 (an SQL function, named like one)
    """Days from 1970-01-01 to a DATE, computed by the database (``date.toordinal()``
    minus 719163 in Python). Diary dates are the participant's local dates already, so no
    time zone enters here."""

    type = Integer()
    inherit_cache = True
    name = "epoch_day"


@compiles(epoch_day, "sqlite")
def _epoch_day_sqlite(element, compiler, **kw):
    # julianday() of a date is the Julian day at its midnight; 1970-01-01 is 2440587.5.
    # The difference is a whole number, exact in a double.
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


@compiles(epoch_day, "postgresql")
def _epoch_day_postgresql(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} - DATE '1970-01-01')"


@compiles(epoch_day)
def _epoch_day_other(element, compiler, **kw):
    raise NotImplementedError(f"epoch_day on {compiler.dialect.name}: SQLite and PostgreSQL only")


COVERING_INDEX = "ix_diary_entries_current_scores"


def execute_indexed(connection: Connection, stmt: Select, index: str) -> CursorResult:
    """Run ``stmt`` on SQLite reading ``diary_entries`` through ``index`` (INDEXED BY).

    SQLite's planner costs the covering index and the unique (participant, date) index
    alike and took the unique one after migration 0006 rebuilt the table: every score was
    then read from the table, 2.5 s instead of 0.3 s at 1.2 M entries (issue 12).
    """
    return connection.exec_driver_sql(*indexed_sql(connection, stmt, index))


def indexed_sql(connection: Connection, stmt: Select, index: str) -> tuple[str, tuple]:
    """SQLite text and parameters of ``stmt`` with ``INDEXED BY index`` on diary_entries.

    SQLAlchemy renders no FROM hints for SQLite, so the clause is added to the compiled
    text; a missing index is then an error, not a silently slow plan.
    """
    compiled = stmt.compile(connection, compile_kwargs={"render_postcompile": True})
    table = DiaryEntry.__tablename__
    sql = str(compiled).replace(f"FROM {table}", f"FROM {table} INDEXED BY {index}", 1)
    params = compiled.construct_params()
    return sql, tuple(params[p] for p in compiled.positiontup)
