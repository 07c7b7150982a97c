"""SAS XPORT version 5 writer for scoring tables (via pyreadstat).

Version 5 is the transport format regulators accept (FDA Study Data Technical
Conformance Guide); its limits are checked here because pyreadstat does not
check them all (PITFALLS, Exports):

- dataset and variable names: 1-8 characters, ``A-Z 0-9 _``, not starting
  with a digit; labels <= 40 characters;
- character values <= 200 bytes: a longer one is refused with
  :class:`XportValueTooLong` naming the column and row (write CSV/XLSX, or
  the trace table for SRCIDS, instead); the data dictionary continues its long
  texts in extra columns instead (:func:`xport_dictionary_table`);
- ASCII only: text is transliterated by :func:`to_ascii` ("±" -> "+/-",
  accents dropped, anything else "?"); the 200 bytes apply after it.

Numeric and date ``None`` are SAS missing (``.``), character ``None`` is
``""``.  Dates are SAS dates (days since 1960-01-01) with format ``DATE9.``.
Files are written atomically like the other writers
(:func:`diary.exports.csv_xlsx.atomic_path`).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from diary.errors import RuleViolation
from diary.exports.csv_xlsx import atomic_path, dictionary_table
from scoring.naming import fit_label
from scoring.tables import Column, Table

__all__ = ["XPORT_CHAR_MAX", "XportValueTooLong", "continued_name", "split_text", "to_ascii",
           "write_xpt", "xport_dictionary_table"]

XPORT_CHAR_MAX = 200
SAS_EPOCH_ORDINAL = 715510                     # datetime.date(1960, 1, 1).toordinal()
_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,7}")
_TRANSLIT = str.maketrans({
    "±": "+/-", "×": "x", "÷": "/", "≤": "<=", "≥": ">=", "≠": "!=", "−": "-", "–": "-",
    "—": "-", "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "…": "...",
    "•": "*", "°": "deg", "μ": "u", "€": "EUR", "£": "GBP", "⁄": "/", "ß": "ss",
    "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Ø": "O", "ø": "o", "Ł": "L", "ł": "l",
    "Đ": "D", "đ": "d", "Þ": "Th", "þ": "th", "ı": "i",
})


class XportValueTooLong(RuleViolation):
    """A character value exceeds the 200 bytes of SAS XPORT version 5."""

    code = "xport_value_too_long"


@lru_cache(maxsize=1 << 16)
def to_ascii(text: str) -> str:
    """ASCII text for XPORT: symbols spelled out, accents dropped, the rest ``?``.

    Compatibility decomposition (NFKD) first, so "é" -> "e", "½" -> "1/2",
    "µ" -> "u"; then the table of symbols above; characters still outside
    ASCII (Greek, CJK, emoji...) become "?".

    Examples
    --------
    >>> to_ascii("185 ± 100"), to_ascii("Müller-Lüdenscheidt"), to_ascii("≥ 30 %, ½ µg, 東")
    ('185 +/- 100', 'Muller-Ludenscheidt', '>= 30 %, 1/2 ug, ?')
    """
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text).translate(_TRANSLIT)
    return "".join(c if c.isascii() else "" if unicodedata.combining(c) else "?" for c in text)


def split_text(text: str, limit: int = XPORT_CHAR_MAX) -> list[str]:
    """*text* in ASCII (:func:`to_ascii`), cut before a space into pieces of at most
    *limit* bytes (at *limit* where no space is near); joined they give it back.

    The one rule for text longer than an XPORT v5 character value (the dictionary's
    continuation columns).

    Examples
    --------
    >>> split_text("A; B; C", 4), split_text("ABCDEF", 4), split_text("± 1", 4)
    (['A;', ' B;', ' C'], ['ABCD', 'EF'], ['+/-', ' 1'])
    """
    text = to_ascii(text)
    parts = []
    while len(text) > limit:
        k = text.rfind(" ", 1, limit + 1)
        k = k if k > 0 else limit
        parts.append(text[:k])
        text = text[k:]
    return [*parts, text]


def continued_name(name: str, k: int) -> str:
    """XPORT name of the *k*-th piece (k >= 2) of column *name*: the name cut to leave
    room for the number (``DERIVATN`` -> ``DERIVAT2``, ``CODELIST`` -> ``CODELI10``)."""
    return f"{name[:8 - len(str(k))]}{k}"


def _continued(c: Column, k: int) -> Column:
    label = f"{c.label.split(' (')[0]}, continued ({k})"
    return Column(f"{c.name}_{k}", continued_name(c.xport_name, k),
                  label if len(label) <= 40 else f"{c.xport_name}, continued ({k})", "char",
                  f"{c.xport_name} text cut before a space; {c.xport_name}, then "
                  f"{continued_name(c.xport_name, 2)}... concatenated give it whole")


def xport_dictionary_table(tables: Table | Sequence[Table], *, name: str = "DICT") -> Table:
    """:func:`~diary.exports.csv_xlsx.dictionary_table` fitted to XPORT v5.

    Every text (derivation, codelist, label, unit...) is ASCII (:func:`to_ascii`) and
    cut by :func:`split_text` into pieces of at most 200 bytes: ``DERIVATN``, then
    ``DERIVAT2``, ``DERIVAT3``... (``CODELIST``, ``CODELIS2``...) right after their
    column, as many as the longest text needs; concatenated (SAS ``CAT``, not ``CATS``)
    they give the whole text back.  CSV and XLSX keep the text in one cell.

    Examples
    --------
    >>> t = Table("EPWIDE", (Column("auc", "AUC", "AUC", "num", "x" * 150 + " y" * 40),), [])
    >>> d = xport_dictionary_table(t)
    >>> d.header(xport=True)[-2:], [len(v) for v in d.rows[0][-2:]]    # 150 + 25 * 2, 15 * 2
    (['DERIVATN', 'DERIVAT2'], [200, 30])
    """
    full = dictionary_table(tables, name=name)
    cut = [[split_text(v) if c.type == "char" and v is not None else [v]
            for c, v in zip(full.columns, r, strict=True)] for r in full.rows]
    widths = [max((len(r[j]) for r in cut), default=1) for j in range(len(full.columns))]
    columns = tuple(x for c, w in zip(full.columns, widths, strict=True)
                    for x in (c, *(_continued(c, k) for k in range(2, w + 1))))
    rows = [tuple(v for pieces, w in zip(r, widths, strict=True)
                  for v in (*pieces, *(None,) * (w - len(pieces)))) for r in cut]
    return Table(name, columns, rows)


def _check_name(name: str, what: str) -> None:
    if not _NAME.fullmatch(name):
        raise ValueError(f"{what} {name!r} is not an XPORT v5 name "
                         "(1-8 characters A-Z 0-9 _, not starting with a digit)")


def _numbers(c: Column, values: tuple) -> np.ndarray:
    try:
        if c.type == "date":
            values = [None if v is None else v.toordinal() - SAS_EPOCH_ORDINAL for v in values]
        return np.array(values, dtype=np.float64)      # None -> NaN -> SAS missing
    except (AttributeError, TypeError, ValueError):
        want = (lambda v: hasattr(v, "toordinal")) if c.type == "date" else (
            lambda v: isinstance(v, int | float | np.number))
        i = next(i for i, v in enumerate(values) if v is not None and not want(v))
        raise ValueError(f"column {c.name!r} is {c.type} but table.rows[{i}] "
                         f"holds {values[i]!r}") from None


def _text(c: Column, values: tuple) -> list[str]:
    out = ["" if v is None else v if v.__class__ is str and v.isascii() else to_ascii(str(v))
           for v in values]
    if out and max(map(len, out)) > XPORT_CHAR_MAX:            # ASCII: 1 byte per character
        i = next(i for i, v in enumerate(out) if len(v) > XPORT_CHAR_MAX)
        raise XportValueTooLong(
            f"column {c.name!r} ({c.xport_name}) of table.rows[{i}] has {len(out[i])} bytes; "
            f"XPORT v5 holds at most {XPORT_CHAR_MAX} per character value "
            "(export CSV or XLSX instead)", field=c.name)
    return out


def write_xpt(table: Table, path: str | os.PathLike[str], *, label: str | None = None) -> None:
    """Write the table as a SAS XPORT v5 file, atomically (see the module notes).

    The dataset is named ``table.name``, variables ``Column.xport_name`` with
    ``Column.label``; *label* (<= 40 characters) is the dataset label.
    Raises ``ValueError`` for names outside the XPORT limits or values of the
    wrong type, :class:`XportValueTooLong` for character values over 200 bytes;
    all checks run before the file is opened.
    """
    _check_name(table.name, "dataset name")
    names = table.header(xport=True)
    for c in table.columns:
        _check_name(c.xport_name, f"column {c.name!r}: xport_name")
    if len(set(names)) < len(names):
        raise ValueError(f"duplicate XPORT names in {table.name}: {names}")
    if label is not None and len(label) > 40:
        raise ValueError(f"dataset label {label!r} is longer than 40 characters")
    by_column = table.column_values()
    data = {c.xport_name: _text(c, v) if c.type == "char" else _numbers(c, v)
            for c, v in zip(table.columns, by_column, strict=True)}

    # Imported here: pandas (the data frame pyreadstat's writer needs) takes ~0.5 s to load.
    import pandas as pd
    import pyreadstat

    # Object columns: the same under pandas 2 and 3, and ~10 % faster through pyreadstat than str.
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) if isinstance(v, list) else v
                          for k, v in data.items()})
    with atomic_path(path) as tmp:
        pyreadstat.write_xport(
            frame, os.fspath(tmp), file_format_version=5, table_name=table.name,
            file_label=fit_label(to_ascii(label or "")),
            column_labels=[fit_label(to_ascii(c.label)) for c in table.columns],
            variable_format={c.xport_name: "DATE9." for c in table.columns if c.type == "date"},
        )
