"""The current diary scores of a study as integer arrays, read in bulk for the export.

The database does the per-entry work (issue 3: a million entries through SQLAlchemy rows
took seconds): it turns each diary date into a day number and packs it with the score into
one integer, and, unless entry ids are wanted, joins a participant's integers into one
text value, so one row per participant crosses the wire and numpy parses them all in one
call. Entry ids (long and trace layouts) come one row per entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import (
    Connection,
    CursorResult,
    Integer,
    Select,
    String,
    cast,
    func,
    select,
    text,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement, aggregate_strings

from diary.db.models import DiaryEntry, Participant

# progress(done, total): participants read, or entries when entry ids are read too.
Progress = Callable[[int, int], None]

# Scores are 0..10 (CHECK score_range), so a score fits below 16: code = day * 16 + score.
SCORE_SLOTS = 16
CHUNK = 100_000
DATE_CHARS = len("2025-01-31")  # SQLite stores a DATE as this ISO text (SQLAlchemy)
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


@dataclass(frozen=True)
class StudyScores:
    """One item per current entry of a listed participant (any order).

    ``participant`` indexes the list given to :func:`read_scores`; ``day`` counts days
    from 1970-01-01 (the entry's diary date); ``ids`` are the entry ids when asked for.
    """

    participant: np.ndarray
    day: np.ndarray
    score: np.ndarray
    ids: np.ndarray | None = None


def _code():
    return epoch_day(DiaryEntry.diary_date) * SCORE_SLOTS + DiaryEntry.score


def read_scores(session: Session, study_id: int, participants: Sequence[str], *,
                with_ids: bool = False, progress: Progress | None = None) -> StudyScores:
    """The current entries of the study's ``participants`` (ids; others are left out)."""
    number = {pid: i for i, pid in enumerate(participants)}
    where = (CURRENT,
             DiaryEntry.participant_id.in_(select(Participant.id)
                                           .where(Participant.study_id == study_id)))
    if with_ids:
        # Counting costs a pass over the index: only for a caller showing progress.
        total = (session.scalar(select(func.count()).select_from(DiaryEntry).where(*where))
                 if progress else 0)
        owner, codes, ids = _read_rows(session, where, number, total, progress)
    else:
        # One row per participant: progress counts participants, whose number is known
        # (counting the entries first cost 0.15-0.3 s at 1.2 M entries: issue 12).
        owner, codes, ids = _read_grouped(session, where, number, progress)
    day, score = np.divmod(codes, SCORE_SLOTS)
    return StudyScores(owner, day, score.astype(np.float64), ids)


def _read_grouped(session, where, number, progress):
    """One row per participant: its entry count and its codes joined by commas."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    columns, parse = _sqlite_texts() if sqlite else _code_texts()
    stmt = (select(DiaryEntry.participant_id, func.count(), *columns)
            .where(*where).group_by(DiaryEntry.participant_id))
    owners: list[int] = []
    counts: list[int] = []
    parts: list[tuple[str, ...]] = []
    # Core, not the ORM's result layer: plain rows are all we read.
    connection = session.connection()
    result = (execute_indexed(connection, stmt, COVERING_INDEX) if sqlite
              else connection.execute(stmt.execution_options(yield_per=1000)))
    with result:
        for chunk in result.partitions():
            for pid, count, *joined in chunk:
                i = number.get(pid)
                if i is not None:  # else a participant outside the caller's sites
                    owners.append(i)
                    counts.append(count)
                    parts.append(joined)
            if progress:
                progress(len(owners), len(number))
    if progress:  # participants without entries have no row
        progress(len(number), len(number))
    n = sum(counts)
    codes = parse(*zip(*parts, strict=True)) if parts else np.zeros(0, np.int64)
    if codes.size != n:
        raise RuntimeError(f"parsed {codes.size} scores of {n} entries")
    owner = np.repeat(np.array(owners, dtype=np.int64), np.array(counts, dtype=np.int64))
    return owner, codes, None


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


def _code_texts():
    """Each entry as its code, computed by the database (PostgreSQL: a date difference)."""
    def parse(joined: Sequence[str]) -> np.ndarray:
        return np.fromstring(",".join(joined), dtype=np.int64, sep=",")

    return (aggregate_strings(cast(_code(), String), ","),), parse


def _sqlite_texts():
    """Dates as stored and scores apart, combined into codes by numpy.

    SQLite has no date type: ``julianday()`` parses each stored 'YYYY-MM-DD' text, which
    cost 0.6 s of the 1.2 s query at 1.26 M entries (issue 3). The stored texts, 10
    characters each, joined without a separator, are one array numpy parses in C.
    """
    def parse(dates: Sequence[str], scores: Sequence[str]) -> np.ndarray:
        text = "".join(dates).encode("ascii")
        if len(text) % DATE_CHARS:
            raise RuntimeError("diary dates are not all stored as 'YYYY-MM-DD'")
        day = np.frombuffer(text, dtype=f"S{DATE_CHARS}").astype("datetime64[D]")
        score = np.fromstring(",".join(scores), dtype=np.int64, sep=",")
        if score.size != day.size:
            raise RuntimeError(f"parsed {day.size} dates and {score.size} scores")
        return day.astype(np.int64) * SCORE_SLOTS + score

    # type_coerce: the stored text itself (a CAST would cost a conversion per entry).
    return (aggregate_strings(type_coerce(DiaryEntry.diary_date, String), ""),
            aggregate_strings(DiaryEntry.score, ",")), parse


def _read_rows(session, where, number, total, progress):
    """One row per entry, with its id (the ids are Python strings either way)."""
    stmt = select(DiaryEntry.participant_id, _code(), DiaryEntry.id).where(*where)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    done = 0
    result = session.connection().execute(stmt.execution_options(yield_per=CHUNK))
    with result:
        for chunk in result.partitions():
            pid_col, code_col, id_col = zip(*chunk, strict=True)
            owner = np.fromiter((number.get(pid, -1) for pid in pid_col), np.int64, len(chunk))
            keep = owner >= 0  # else a participant outside the caller's sites
            parts.append((owner[keep], np.array(code_col, dtype=np.int64)[keep],
                          np.array(id_col, dtype=object)[keep]))
            done += len(chunk)
            if progress:
                progress(done, total)
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, object)
    return tuple(np.concatenate(col) for col in zip(*parts, strict=True))
