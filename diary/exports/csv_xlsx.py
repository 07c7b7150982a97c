"""CSV and XLSX writers for scoring tables, and the rules all file writers share.

A :class:`scoring.tables.Table` in, bytes or a file out; no Flask, no
SQLAlchemy (the SAS writer is :mod:`diary.exports.xport`).  Conventions:

- *Missing values* (``None``) are empty cells.
- *Dates* are ISO ``YYYY-MM-DD`` in CSV and real Excel dates (``yyyy-mm-dd``)
  in XLSX.  Floats are written by ``repr`` (shortest form); the tables hold them
  already rounded to their declared precision (:mod:`scoring.precision`), and
  whole-number columns (flags, counts) hold ``int``.
- *Formula injection* (OWASP, "CSV Injection"): a string cell of a ``char``
  column starting with ``= + - @``, tab or carriage return gets a leading
  ``'``, unless the whole text is a number (``-3``, ``-1.8``) or a numeric
  summary ``mean ± SD`` (``-2.0 ± 0.5``, :data:`NUMERIC_TEXT`): no spreadsheet
  evaluates those.  Numbers (``num`` cells) are never altered.
- *Text* is UTF-8 (no byte-order mark): "±" stays "±".
- *Files* are written to a temporary file in the target's directory, fsynced,
  then moved into place with :func:`os.replace`, so a failed write leaves no
  partial file and an existing file untouched (PITFALLS, Exports).  A new
  file comes from :func:`tempfile.mkstemp`: readable by its owner only.
- *The data dictionary* is a table too (:func:`dictionary_table`): formats
  holding one table per file (CSV, XPORT) write it with the same writers;
  XLSX puts it on its own ``dictionary`` sheet.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cache
from itertools import islice
from pathlib import Path
from typing import BinaryIO

import numpy as np

from diary.errors import RuleViolation
from scoring.tables import Column, ColumnRows, Table

__all__ = [
    "CSV_CHUNK_ROWS",
    "MAX_XLSX_ROWS",
    "ExportTooLarge",
    "atomic_path",
    "dictionary_table",
    "iter_csv",
    "neutralise",
    "write_csv",
    "write_dictionary_csv",
    "write_xlsx",
]

CSV_CHUNK_ROWS = 1000
# Excel's sheet limit, header row included; openpyxl's write-only mode writes past it.
MAX_XLSX_ROWS = 1_048_576
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Text that is a number, a "mean ± SD" of numbers, or the summary's report line "mean ± SD
# (unit), n = N": safe although it may start with "-" ("±" is no operator of any
# spreadsheet, and a unit holds no = @ " or control character: scoring.params).
NUMERIC_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?( ± ([0-9]+(\.[0-9]+)?|NA))?"
                          r"( \([^=@\"\x00-\x1f]+\))?(, n = [0-9]+)?")
_SHEET_FORBIDDEN = set("[]:*?/\\")


class ExportTooLarge(RuleViolation):
    """The table does not fit the format (an Excel sheet holds 1,048,576 rows)."""

    code = "export_too_large"


def _is_formula(value: str) -> bool:
    """Does a spreadsheet risk reading *value* as a formula?  It starts with one of
    :data:`FORMULA_START` and is not, as a whole, a number or numeric summary."""
    return value.startswith(FORMULA_START) and NUMERIC_TEXT.fullmatch(value) is None


def neutralise(value: str) -> str:
    """Prefix ``'`` to a string a spreadsheet would read as a formula.

    Examples
    --------
    >>> neutralise("=HYPERLINK(1)"), neutralise("-3"), neutralise("a-b")
    ("'=HYPERLINK(1)", '-3', 'a-b')
    >>> neutralise("-2.0 ± 0.5"), neutralise("-2+3"), neutralise("-1 ± 2;=cmd")
    ('-2.0 ± 0.5', "'-2+3", "'-1 ± 2;=cmd")
    >>> neutralise("-8.5 ± 9.2 (EQ VAS 0-100), n = 2"), neutralise("-8 (=cmd), n = 2")
    ('-8.5 ± 9.2 (EQ VAS 0-100), n = 2', "'-8 (=cmd), n = 2")
    """
    return "'" + value if _is_formula(value) else value


def _safe_column(values: Sequence) -> Sequence:
    """A char column with :func:`neutralise` applied to its strings (itself if none needs it)."""
    try:  # distinct values only: a column repeats sites, treatments, reasons
        distinct = set(values)
    except TypeError:  # an unhashable cell: look at them all
        distinct = values
    if not any(v.__class__ is str and _is_formula(v) for v in distinct):
        return values
    return [neutralise(v) if v.__class__ is str else v for v in values]


_REPEATABLE = frozenset({float, int, date})  # equal values of the class print alike


def _csv_column(values: Sequence) -> Sequence:
    """A num or date column as the text ``csv.writer`` makes of its cells (``repr`` of a
    float, ``str`` of anything else, ``None`` left empty), each distinct value converted once.

    Issue 3: the writer converting 30,000 cells per column was most of writing a study's
    wide table; a column repeats few values (scores, percentages of 35 days, dates). Only a
    column of one class whose equal values print alike (float, int, date) is converted, and
    only when values repeat: ``1 == 1.0 == True`` print apart, and so do ``-0.0 == 0.0``
    (a float column holding -0.0 is left to the writer). A NaN is found by identity, as
    dicts look keys up.

    Examples
    --------
    >>> _csv_column([1.5, None, 1.5, 0.0, 1.5, 1.5, 0.0])
    ['1.5', None, '1.5', '0.0', '1.5', '1.5', '0.0']
    >>> _csv_column([1, 1.0, 1, 1]), _csv_column([0.0, -0.0, 0.0, 0.0])
    ([1, 1.0, 1, 1], [0.0, -0.0, 0.0, 0.0])
    """
    classes = set(map(type, values)) - {type(None)}
    cls = classes.pop() if len(classes) == 1 else None
    if cls not in _REPEATABLE:
        return values
    distinct = set(values)
    if len(distinct) > len(values) // 2:  # barely repeats: nothing to save
        return values
    if cls is float and 0.0 in distinct:
        as_array = np.array(values, dtype=np.float64)  # None -> NaN
        if np.signbit(as_array[as_array == 0]).any():
            return values
    text = {v: None if v is None else repr(v) if cls is float else str(v) for v in distinct}
    return list(map(text.__getitem__, values))


def _safe_rows(table: Table) -> Iterator[tuple]:
    """``table.rows`` with :func:`neutralise` applied to the strings of char columns (and,
    in a table kept as columns, num and date cells already as text: :func:`_csv_column`)."""
    if isinstance(table.rows, ColumnRows):  # column by column, rows made as they are read
        return iter(ColumnRows([_safe_column(v) if c.type == "char" else _csv_column(v)
                                for c, v in zip(table.columns, table.rows.columns,
                                                strict=True)]))
    return _safe_row_tuples(table)


def _safe_row_tuples(table: Table) -> Iterator[tuple]:
    idx = [j for j, c in enumerate(table.columns) if c.type == "char"]
    for row in table.rows:
        for j in idx:
            v = row[j]
            if v.__class__ is str and _is_formula(v):
                row = (*row[:j], "'" + v, *row[j + 1:])
        yield row


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside *path*; on success fsync it and move it onto *path*.

    On any exception the temporary file is removed and *path* is left as it was.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        yield Path(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def iter_csv(table: Table, *, chunk_rows: int = CSV_CHUNK_ROWS) -> Iterator[bytes]:
    """The table as UTF-8 CSV, header (``Column.name``) first, one chunk per *chunk_rows* rows.

    Meant for a streamed HTTP response (``Response(iter_csv(t), mimetype="text/csv")``).

    Examples
    --------
    >>> import datetime as dt
    >>> cols = (Column("s", "S", "S", "char", ""), Column("d", "D", "D", "date", ""),
    ...         Column("x", "X", "X", "num", ""))
    >>> t = Table("T", cols, [("=1+1", dt.date(2024, 3, 1), -0.5), (None, None, None)])
    >>> b"".join(iter_csv(t))
    b"s,d,x\\r\\n'=1+1,2024-03-01,-0.5\\r\\n,,\\r\\n"
    """
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(table.header())
    rows = _safe_rows(table)
    while chunk := list(islice(rows, chunk_rows)):
        writer.writerows(chunk)
        yield buf.getvalue().encode("utf-8")
        buf.seek(0)
        buf.truncate()
    if buf.tell():                                  # header of a table without rows
        yield buf.getvalue().encode("utf-8")


def write_csv(table: Table, path: str | os.PathLike[str]) -> None:
    """Write the table as a UTF-8 CSV file, atomically (see the module notes)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        for chunk in iter_csv(table):
            f.write(chunk)


DICTIONARY_COLUMNS = (
    Column("dataset", "DATASET", "Dataset (table) name", "char", "Table.name"),
    Column("variable", "VARIABLE", "Variable name in XPORT", "char", "Column.xport_name"),
    Column("name", "NAME", "Column name in CSV and XLSX", "char", "Column.name"),
    Column("label", "LABEL", "Variable label", "char", "Column.label"),
    Column("type", "TYPE", "Type: num, char or date", "char",
           "date: a local date; a SAS date (DATE9.) in XPORT"),
    Column("length", "LENGTH", "Length (bytes; longest text)", "num",
           "8 for numbers and dates; the longest value in characters for text"),
    Column("precision", "PRECISN", "Decimals of a num column", "num",
           "values rounded half away from zero to this many decimals (scoring.precision); "
           "empty: not rounded, or per row as the derivation says", 0),
    Column("codelist", "CODELIST", "Codelist (values taken)", "char",
           "the values of a coded variable, '; '-separated; empty when free"),
    Column("unit", "UNIT", "Unit of a num column's values", "char",
           "the endpoint's declared unit, else its kind's default (scoring.units); empty "
           "when none or set per row"),
    Column("derivation", "DERIVATN", "Derivation rule", "char", "Column.derivation"),
)


def dictionary_table(tables: Table | Sequence[Table], *, name: str = "DICT") -> Table:
    """The data dictionary of one or more tables, as a table with one row per column.

    Examples
    --------
    >>> t = Table("EPWIDE", (Column("subject", "USUBJID", "Subject", "char", "id"),), [])
    >>> d = dictionary_table(t)
    >>> d.name, d.header()[5:]
    ('DICT', ['length', 'precision', 'codelist', 'unit', 'derivation'])
    >>> d.rows
    [('EPWIDE', 'USUBJID', 'subject', 'Subject', 'char', 1, None, None, None, 'id')]
    """
    tables = [tables] if isinstance(tables, Table) else list(tables)
    rows = [(t.name, d["variable"], d["name"], d["label"], d["type"], d["length"],
             d["precision"], d["codelist"] or None, d["unit"] or None, d["derivation"])
            for t in tables for d in t.dictionary()]
    return Table(name, DICTIONARY_COLUMNS, rows)


def write_dictionary_csv(table: Table, path: str | os.PathLike[str]) -> None:
    """Write the data dictionary of *table* as its own CSV file."""
    write_csv(dictionary_table(table), path)


@cache
def _illegal_xlsx_characters() -> re.Pattern[str]:
    # openpyxl (~0.2 s to import) only for XLSX: CSV and XPORT need not pay (issue 12).
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE


def _xlsx_text(value: str) -> str:
    # Control characters other than tab/newline are invalid in XLSX (openpyxl raises).
    return neutralise(_illegal_xlsx_characters().sub("?", value))


def _xlsx_rows(table: Table) -> Iterator[list]:
    idx = [j for j, c in enumerate(table.columns) if c.type == "char"]
    for row in table.rows:
        row = list(row)
        for j in idx:
            if row[j].__class__ is str:
                row[j] = _xlsx_text(row[j])
        yield row


def _check_sheets(tables: Sequence[Table]) -> None:
    seen = {"dictionary", "about"}
    for t in tables:
        name = t.name
        if not 0 < len(name) <= 31 or _SHEET_FORBIDDEN & set(name) or name.lower() in seen:
            raise ValueError(f"table name {name!r} cannot name an Excel sheet "
                             "(1-31 characters, none of []:*?/\\, unique, not dictionary/about)")
        seen.add(name.lower())
        if len(t.rows) + 1 > MAX_XLSX_ROWS:
            raise ExportTooLarge(
                f"table {name} has {len(t.rows):,} rows; an Excel sheet holds "
                f"{MAX_XLSX_ROWS - 1:,} below its header: export CSV or XPORT instead")


def write_xlsx(
    tables: Table | Sequence[Table],
    target: str | os.PathLike[str] | BinaryIO,
    *,
    provenance: Mapping[str, object],
) -> None:
    """Write tables to an XLSX workbook with openpyxl's write-only mode.

    Sheets: one per table (named ``Table.name``, header ``Column.name``), then
    ``dictionary`` (:func:`dictionary_table` of all tables) and ``about``
    (*provenance* as key/value rows, in the caller's order: study, protocol
    version, sha256, tzdata version, generated at, layout...).

    *target* is a path (written atomically) or a binary stream.  Raises
    :class:`ExportTooLarge`, before writing anything, for a table of more
    than ``MAX_XLSX_ROWS - 1`` rows.
    """
    tables = [tables] if isinstance(tables, Table) else list(tables)
    _check_sheets(tables)
    from openpyxl import Workbook  # imported for XLSX only (issue 12)

    wb = Workbook(write_only=True)
    for t in [*tables, dictionary_table(tables, name="dictionary")]:
        ws = wb.create_sheet(t.name)
        ws.append(t.header())
        for row in _xlsx_rows(t):
            ws.append(row)
    ws = wb.create_sheet("about")
    ws.append(["key", "value"])
    for key, value in provenance.items():
        ws.append([_xlsx_text(key), _xlsx_text(value) if isinstance(value, str) else value])
    if isinstance(target, str | os.PathLike):
        with atomic_path(target) as tmp:
            wb.save(tmp)
    else:
        wb.save(target)
