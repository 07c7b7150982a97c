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
    String,
    cast,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import aggregate_strings

from diary.db.entry_queries import (  # noqa: F401  (re-exported: tests import them here)
    COVERING_INDEX,
    CURRENT,
    epoch_day,
    execute_indexed,
    indexed_sql,
)
from diary.db.models import DiaryEntry, Participant

# progress(done, total): participants read, or entries when entry ids are read too.
Progress = Callable[[int, int], None]

# Scores are 0..10 (CHECK score_range), so a score fits below 16: code = day * 16 + score.
SCORE_SLOTS = 16
CHUNK = 100_000
DATE_CHARS = len("2025-01-31")  # SQLite stores a DATE as this ISO text (SQLAlchemy)


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
