"""Endpoint tables for the statistician: rows and column metadata, no files.

Score once with :func:`score_records` (one vectorised pass over all
participant-periods), then lay the result out as the *wide* table (one row
per participant-period; here), the long ADaM BDS table
(:func:`scoring.adam.long_table`) or the per-arm *summary*
(:func:`scoring.report.summary_table`).  Each :class:`Table` carries its
:class:`Column` metadata: CSV/XLSX name, XPORT name (<= 8 chars), label
(<= 40 chars), type and derivation rule, i.e. its data dictionary.  Writing
CSV, XLSX or XPORT is the exporter's job.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from scoring.days import DailySeries  # noqa: F401 (doctests)
from scoring.endpoints import compute_endpoints_batch, per_row_days, specs_span
from scoring.matrix import DailyMatrix
from scoring.naming import fit_label, short_names, xport_name
from scoring.precision import round_values
from scoring.records import PeriodRecord, PeriodRecords, record_field
from scoring.results import BatchResult, dtype_label
from scoring.spec import EndpointSpec, Output

__all__ = [
    "WIDE_COUNTS",
    "Column",
    "ColumnRows",
    "PeriodRecord",
    "PeriodRecords",
    "ScoredRecords",
    "Table",
    "nan_to_none",
    "record_columns",
    "record_value_columns",
    "record_values",
    "score_records",
    "staff_sources",
    "wide_table",
]


@dataclass(frozen=True, slots=True)
class Column:
    """A column and its data-dictionary entry.

    ``type`` is ``"num"``, ``"char"`` or ``"date"`` (a local date; a numeric
    SAS date in XPORT).  ``precision``: the decimals a ``num`` column's values are
    rounded to (:mod:`scoring.precision`; 0: whole numbers), ``None`` when not rounded
    (counts, periods) or set per row (the long table's AVAL, see its derivation).
    ``codelist`` lists the values a coded column takes (define-style), empty when free;
    ``unit`` the unit of a ``num`` column's values (:mod:`scoring.units`), empty when none
    or set per row.
    """

    name: str
    xport_name: str
    label: str
    type: str
    derivation: str
    precision: int | None = None
    codelist: str = ""
    unit: str = ""

    def __post_init__(self) -> None:
        if len(self.xport_name) > 8 or len(self.label) > 40:
            raise ValueError(f"column {self.name!r} exceeds XPORT limits")
        if self.type not in ("num", "char", "date"):
            raise ValueError(f"column type must be num, char or date, got {self.type!r}")


class ColumnRows(Sequence[tuple]):
    """The rows of a table kept as its columns: a row tuple is made only when read.

    Building 30,000 row tuples of 20 cells each costs more than scoring a study
    (issue 3); a writer iterating these rows makes them a chunk at a time, and
    one reading columns (XPORT) takes them as they are.

    Examples
    --------
    >>> rows = ColumnRows([["S1", "S2"], [1.0, None]])
    >>> len(rows), rows[1], list(rows) == [("S1", 1.0), ("S2", None)]
    (2, ('S2', None), True)
    """

    __slots__ = ("columns", "_n")

    def __init__(self, columns: Sequence[Sequence]) -> None:
        self.columns = [list(c) if not isinstance(c, list) else c for c in columns]
        lengths = {len(c) for c in self.columns}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        self._n = lengths.pop() if lengths else 0

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[tuple]:
        return zip(*self.columns, strict=True) if self.columns else iter(())

    def __getitem__(self, i: int | slice) -> tuple | list[tuple]:
        if isinstance(i, slice):
            return list(zip(*(c[i] for c in self.columns), strict=True))
        return tuple(c[i] for c in self.columns)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  (mutable, like a list)

    def __repr__(self) -> str:
        return f"ColumnRows({self._n} rows x {len(self.columns)} columns)"


@dataclass(frozen=True)
class Table:
    """Rows (tuples aligned with ``columns``) plus column metadata.

    ``name`` is the dataset name (<= 8 characters for XPORT).  ``rows`` is a
    list of tuples or a :class:`ColumnRows` (a table built column by column).
    """

    name: str
    columns: tuple[Column, ...]
    rows: Sequence[tuple]

    def header(self, *, xport: bool = False) -> list[str]:
        """Column names for CSV/XLSX, or XPORT names with ``xport=True``."""
        return [c.xport_name if xport else c.name for c in self.columns]

    def column_values(self) -> list[Sequence]:
        """The cells column by column (no copy for a table built from columns)."""
        if isinstance(self.rows, ColumnRows):
            return self.rows.columns
        by_column = list(zip(*self.rows, strict=True))
        if self.rows and len(by_column) != len(self.columns):
            raise ValueError(f"rows of {self.name} have {len(by_column)} cells "
                             f"for {len(self.columns)} columns")
        return by_column or [()] * len(self.columns)

    def dicts(self) -> list[dict]:
        """Rows as dicts keyed by column name."""
        names = self.header()
        return [dict(zip(names, row, strict=True)) for row in self.rows]

    def dictionary(self) -> list[dict[str, Any]]:
        """The data dictionary (define-style): variable, name, label, type, length,
        precision, codelist, unit, derivation.

        ``length`` is 8 (bytes of a SAS number) for numbers and dates, and the
        longest value in characters (at least 1) for text.
        """
        values = self.column_values()
        return [
            {"variable": c.xport_name, "name": c.name, "label": c.label, "type": c.type,
             "length": _length(c, v), "precision": c.precision, "codelist": c.codelist,
             "unit": c.unit, "derivation": c.derivation}
            for c, v in zip(self.columns, values, strict=True)
        ]


def _length(c: Column, values: Sequence) -> int:
    if c.type != "char":
        return 8
    return max((len(str(v)) for v in values if v is not None), default=0) or 1


@dataclass(frozen=True, eq=False)
class ScoredRecords:
    """Records with every endpoint computed (row ``i`` belongs to ``records[i]``)."""

    records: Sequence[PeriodRecord]
    specs: Sequence[EndpointSpec]
    matrix: DailyMatrix
    results: dict[str, BatchResult]

    def outputs(self) -> list[tuple[EndpointSpec, Output]]:
        return [(s, o) for s in self.specs for o in s.outputs()]


def score_records(
    records: Sequence[PeriodRecord],
    specs: Sequence[EndpointSpec],
    *,
    matrix: DailyMatrix | None = None,
    extra: Sequence[Mapping[str, Any]] | None = None,
) -> ScoredRecords:
    """Compute all endpoints of all records in one batch pass.

    Parameters
    ----------
    records : sequence of PeriodRecord
    specs : sequence of EndpointSpec
        From :func:`scoring.endpoints.validate_endpoints`.
    matrix : DailyMatrix, optional
        Daily scores with row ``i`` for ``records[i]``, covering every day the
        specs read; built from ``records[i].daily`` when omitted.  Pass it when
        the scores already are arrays (the export reads them column-wise).
    extra : sequence of mapping, optional
        Per record, the data of kinds that do not read the daily series (e.g.
        ``extra[i]["questionnaires"]`` for :mod:`scoring.questionnaire_kind`).
    """
    span = specs_span(specs) or (0, 0)
    if matrix is None:
        missing = [i for i, r in enumerate(records) if r.daily is None]
        if missing:
            raise ValueError(f"records[{missing[0]}].daily is None and no matrix was given")
        matrix = DailyMatrix.from_series([r.daily for r in records],
                                         first_day=span[0], last_day=span[1])
    elif matrix.n_rows != len(records):
        raise ValueError(f"matrix has {matrix.n_rows} rows for {len(records)} records")
    elif matrix.first_day > span[0] or matrix.last_day < span[1]:
        raise ValueError(f"matrix covers days {matrix.first_day} to {matrix.last_day}; "
                         f"the endpoints read days {span[0]} to {span[1]}")
    n = len(records)
    today = per_row_days(record_field(records, "today_day"), n)
    stop = per_row_days(record_field(records, "stop_day"), n)
    start = record_field(records, "start_day")
    results = compute_endpoints_batch(specs, matrix, today_day=today, stop_day=stop,
                                      extra=extra, start_day=start)
    missing = record_field(records, "missing")
    if any(m is not None for m in missing):
        blank = np.array([m is not None for m in missing], dtype=bool)
        results = {k: _without_anchor(r, blank, missing) for k, r in results.items()}
    return ScoredRecords(records, specs, matrix, results)


def _without_anchor(r: BatchResult, blank: np.ndarray,
                    missing: Sequence[str | None]) -> BatchResult:
    """``r`` with the rows of records without an anchor empty, their reason the record's
    (``"no surgery recorded"``): no day of theirs is known, so nothing is derived."""
    inner = r.reason_of

    def reason_of(i: int) -> str:
        return missing[i] if blank[i] else inner(i)

    def cleared(a: np.ndarray | None, empty) -> np.ndarray | None:
        return None if a is None else np.where(blank, empty, a).astype(a.dtype)

    return replace(r, values=cleared(r.values, np.nan), reason_of=reason_of,
                   dtype_mask=cleared(r.dtype_mask, 0), base=cleared(r.base, np.nan),
                   n_observed=cleared(r.n_observed, 0), n_expected=cleared(r.n_expected, 0))


_ANCHOR_NOTE = "study day, anchor date = day 0"


def record_columns() -> list[Column]:
    """Identifying columns shared by the wide and long layouts."""
    return [
        Column("subject", "USUBJID", "Unique subject identifier", "char", "participant id"),
        Column("site", "SITEID", "Study site identifier", "char", "site of enrolment"),
        Column("treatment", "TRTA", "Actual treatment (arm) in period", "char",
               "arm (parallel) or the period's treatment (crossover)"),
        Column("sequence", "TRTSEQP", "Planned treatment sequence", "char",
               "crossover sequence; empty for parallel designs"),
        Column("period", "APERIOD", "Period or anchor number", "num",
               "crossover period, or ordinal of the anchor event"),
        Column("anchor_date", "ANCHDT", "Anchor event local date (day 0)", "date",
               "local date of the anchor event; day 0 of the study-day clock"),
    ]


_RECORD_FIELDS = ("subject", "site", "treatment", "sequence", "period", "anchor_date")


def record_values(r: PeriodRecord) -> tuple:
    """Values of :func:`record_columns` for one record."""
    return (r.subject, r.site, r.treatment, r.sequence, r.period, r.anchor_date)


def record_value_columns(records: Sequence[PeriodRecord]) -> list[Sequence]:
    """Values of :func:`record_columns`, column by column."""
    return [record_field(records, f) for f in _RECORD_FIELDS]


def nan_to_none(a: np.ndarray) -> list[float | None]:
    """Array to a list with ``None`` for NaN (tables never hold NaN).

    Examples
    --------
    >>> nan_to_none(np.array([1.5, np.nan]))
    [1.5, None]
    """
    out = a.tolist()
    for i in np.flatnonzero(np.isnan(a)).tolist():  # few: only the missing values
        out[i] = None
    return out


def staff_sources(ids: Sequence[str], staff: Mapping[str, str]) -> str | None:
    """The staff sources among the records ``ids`` a value was derived from, sorted and
    ';'-separated; ``None`` when the participant entered them all (issue 13).

    ``staff`` maps the id of each staff-entered record to its source.

    Examples
    --------
    >>> staff_sources(["e1", "e2", "e3"], {"e2": "phone", "e3": "clinician"})
    'clinician;phone'
    >>> staff_sources(["e1"], {"e2": "phone"}) is None
    True
    """
    found = {staff[i] for i in ids if i in staff}
    return ";".join(sorted(found)) or None


def _staff_flags(scored: ScoredRecords, staff: Mapping[str, str]) -> list[str | None]:
    """Per record, "Y" when any value of its row came from a staff-entered record."""
    n = len(scored.records)
    if not staff:  # the common case: no id to look at
        return [None] * n
    ids, first = scored.matrix.entry_ids, scored.matrix.first_day
    results = [scored.results[o.key] for _, o in scored.outputs()]
    return ["Y" if any(e in staff for r in results for e in r.entry_ids(i, ids, first))
            else None for i in range(n)]


STAFF_FLAG = Column("staff_entered", "STAFFFL", "Staff-entered source flag", "char",
                    "Y when a value of the row was derived from a diary entry or "
                    "questionnaire response entered by staff (clinician, paper, phone)",
                    codelist="Y")


#: Count columns of the wide table: suffix -> (XPORT prefix, label, type, derivation).
WIDE_COUNTS = {
    "n": ("N", "Observed days used", "num",
          "diary days with a score in the window the value reads (also when too few)"),
    "dtype": ("T", "Imputation (DTYPE)", "char",
              "INTERP interpolated interior day; NOCB/LOCF carried first/last day; joined "
              "by +; empty if none or no value"),
    "expected": ("E", "Expected diary days", "num",
                 "diary days due in the window: from enrolment, before today (today too "
                 "once filled), until withdrawal"),
    "completed": ("C", "Completed diary days", "num", "expected diary days with a score"),
}


#: The codelist of DTYPE columns (several joined by +, in this order).
DTYPE_CODES = "INTERP; NOCB; LOCF"


def _count_cells(what: str, res: BatchResult, blank: Sequence[bool]) -> list:
    """One count column's cells (``None`` for a record without its anchor)."""
    n = len(blank)
    if what == "dtype":
        masks = [0] * n if res.dtype_mask is None else res.dtype_mask.tolist()
        present = [v == v for v in res.values.tolist()]
        return [dtype_label(m) if ok else None for m, ok in zip(masks, present, strict=True)]
    counts = res.n_expected if what == "expected" else res.n_observed
    if counts is None:
        return [None] * n
    return [None if b else c for b, c in zip(blank, counts.tolist(), strict=True)]


def wide_table(scored: ScoredRecords, *,
               staff: Mapping[str, str] | None = None) -> Table:
    """One row per participant-period, one column per endpoint output plus reasons.

    Columns: the record columns, then ``<key>`` (value), the counts its kind
    declares (``<key>_n``, ``<key>_dtype``, ``<key>_expected``,
    ``<key>_completed``: :data:`WIDE_COUNTS`) and ``<key>_reason`` (why it is
    empty) for every output in declaration order.  XPORT names are derived by
    :func:`scoring.naming.short_names`; counts and reasons prefix them with a
    letter (N, T, E, C, R).

    Examples
    --------
    >>> from scoring.endpoints import validate_endpoints
    >>> specs = validate_endpoints([{"key": "auc_d1_3", "kind": "auc", "from_day": 1,
    ...                              "to_day": 3, "ends": "none"}])
    >>> recs = [PeriodRecord("S1", "01", "A", DailySeries([1, 2, 3], [2, 4, 6])),
    ...         PeriodRecord("S2", "01", "B", DailySeries([1, 2], [2, 4]))]
    >>> t = wide_table(score_records(recs, specs))
    >>> t.header()[6:], t.header(xport=True)[6:]  # doctest: +NORMALIZE_WHITESPACE
    (['auc_d1_3', 'auc_d1_3_n', 'auc_d1_3_dtype', 'auc_d1_3_reason', 'staff_entered'],
     ['AUCD13', 'NAUCD13', 'TAUCD13', 'RAUCD13', 'STAFFFL'])
    >>> [row[6:-1] for row in t.rows]                   # (2+4)/2 + (4+6)/2
    [(8.0, 3, None, None), (None, 2, None, "day 3 not observed (ends='none')")]

    The last column, ``staff_entered``, flags rows with a value derived from a record
    staff entered: ``staff`` maps such records' ids to their sources (needs the
    matrix's entry ids).
    """
    fixed = record_columns()
    outputs = scored.outputs()
    keys = [o.key for _, o in outputs]
    short = short_names(keys, reserved=[c.xport_name for c in fixed] + [STAFF_FLAG.xport_name])
    taken = {c.xport_name for c in fixed} | set(short.values())
    columns = list(fixed)
    cells = record_value_columns(scored.records)
    blank = [m is not None for m in record_field(scored.records, "missing")]
    for spec, o in outputs:
        multi = len(spec.outputs()) > 1
        label = f"{o.label}, {o.visit.lower()}" if multi else o.label
        dec = spec.decimals()
        columns.append(Column(o.key, short[o.key], fit_label(label), "num",
                              f"{spec.derivation()} [{o.visit}]", dec,
                              unit=spec.unit_text()))
        rname = xport_name("R" + short[o.key], taken)
        taken.add(rname)
        columns.append(Column(f"{o.key}_reason", rname, fit_label(f"Why {o.key} is empty"),
                              "char", "reason the value is missing; empty when present"))
        res = scored.results[o.key]
        cells.append(round_values(nan_to_none(res.values), dec))  # rounded once, here
        for what in spec.wide_counts:
            prefix, what_label, kind, rule = spec.count_meaning(what)
            name = xport_name(prefix + short[o.key], taken)
            taken.add(name)
            columns.insert(len(columns) - 1, Column(
                f"{o.key}_{what}", name, fit_label(f"{what_label}, {o.key}"), kind, rule,
                codelist=DTYPE_CODES if what == "dtype" else ""))
            cells.append(_count_cells(what, res, blank))
        cells.append(res.reasons())
    columns.append(STAFF_FLAG)
    cells.append(_staff_flags(scored, staff or {}))
    # Kept as columns: the writers make the row tuples as they go (issue 3).
    return Table("EPWIDE", tuple(columns), ColumnRows(cells))
