"""Participant-periods to score: one :class:`PeriodRecord`, or many kept as columns.

A study export has tens of thousands of records; scoring and the wide table read them a
field at a time, so :class:`PeriodRecords` keeps one list per field and makes a
:class:`PeriodRecord` only when one is read (issue 3: per-record attribute reads cost as
much as the scoring itself).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields

from scoring.days import DailySeries

__all__ = ["PeriodRecord", "PeriodRecords", "record_field"]


@dataclass(frozen=True, slots=True)
class PeriodRecord:
    """One participant-period (or one anchor of a participant) to score.

    ``treatment`` is the arm (parallel design) or the period's treatment
    (crossover); ``period`` the crossover period or anchor number;
    ``daily`` may be ``None`` when scores come as a prebuilt matrix.
    ``today_day`` / ``stop_day``: see :func:`scoring.endpoints.compute_endpoints`.
    ``start_day``: the first day its diary was open (enrolment), for compliance.
    ``missing``: why the record has no anchor (``"no surgery recorded"``); every
    endpoint of such a record is empty with this reason (intention to treat).
    """

    subject: str
    site: str
    treatment: str
    daily: DailySeries | None
    period: int | None = None
    sequence: str | None = None
    anchor_date: dt.date | None = None
    today_day: int | None = None
    stop_day: int | None = None
    start_day: int | None = None
    missing: str | None = None


FIELDS = tuple(f.name for f in fields(PeriodRecord))


class PeriodRecords(Sequence[PeriodRecord]):
    """Records as columns: ``columns[field][i]`` is ``records[i].<field>``.

    Fields left out are ``None`` for every record (``daily`` when the scores
    come as a matrix).

    Examples
    --------
    >>> rs = PeriodRecords(subject=["S1", "S2"], site=["01", "01"], treatment=["K", "P"],
    ...                    period=[1, 1])
    >>> len(rs), rs[1].treatment, rs.column("period"), rs[0].daily is None
    (2, 'P', [1, 1], True)
    """

    __slots__ = ("_columns", "_n")

    def __init__(self, **columns: Sequence) -> None:
        unknown = set(columns) - set(FIELDS)
        if unknown:
            raise TypeError(f"PeriodRecord has no field {sorted(unknown)[0]!r}")
        lengths = {len(c) for c in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        self._n = lengths.pop() if lengths else 0
        self._columns = {f: columns.get(f, [None] * self._n) for f in FIELDS}

    def column(self, name: str) -> Sequence:
        """One field of every record, in order (not a copy: do not change it)."""
        return self._columns[name]

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return PeriodRecords(**{f: c[i] for f, c in self._columns.items()})
        return PeriodRecord(*(c[i] for c in self._columns.values()))

    def __iter__(self) -> Iterator[PeriodRecord]:
        for values in zip(*self._columns.values(), strict=True):
            yield PeriodRecord(*values)

    def __repr__(self) -> str:
        return f"PeriodRecords({self._n} records)"


def record_field(records: Sequence[PeriodRecord], name: str) -> Sequence:
    """``[r.<name> for r in records]``, without a loop when they are :class:`PeriodRecords`.

    Examples
    --------
    >>> record_field([PeriodRecord("S1", "01", "K", None, 2)], "period")
    [2]
    """
    if isinstance(records, PeriodRecords):
        return records.column(name)
    return [getattr(r, name) for r in records]
