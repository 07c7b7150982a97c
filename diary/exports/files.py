"""An endpoint export as files: data plus data dictionary, in CSV, XLSX or SAS XPORT."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from diary.exports.csv_xlsx import dictionary_table, iter_csv, write_csv, write_xlsx
from diary.exports.service import EndpointExport
from diary.exports.xport import write_xpt, xport_dictionary_table
from scoring.tables import Table

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xpt": "application/x-sas-xport",
    "png": "image/png",
    "svg": "image/svg+xml",
}


def dictionary_path(path: Path, fmt: str) -> Path:
    """Where the data dictionary goes beside a CSV or XPT file (XLSX holds its own)."""
    suffix = "_dict" if fmt == "xpt" else ".dictionary"  # XPT file names stay SAS-friendly
    return path.with_name(f"{path.stem}{suffix}{path.suffix}")


def export_dictionary(export: EndpointExport, fmt: str) -> Table:
    """The data dictionary; in XPORT a text over 200 bytes continues in the next columns
    (CODELIS2, DERIVAT2, ...: :func:`~diary.exports.xport.xport_dictionary_table`)."""
    if fmt == "xpt":
        return xport_dictionary_table(export.table)
    return dictionary_table(export.table)


def write_export(export: EndpointExport, fmt: str, path: str | os.PathLike[str]) -> list[Path]:
    """Write the data and its dictionary; returns the files written (each atomically)."""
    path = Path(path)
    if fmt == "xlsx":
        write_xlsx(export.table, path, provenance=export.provenance)
        return [path]
    dictionary = export_dictionary(export, fmt)
    writer = write_csv if fmt == "csv" else write_xpt
    writer(export.table, path)
    writer(dictionary, dictionary_path(path, fmt))
    return [path, dictionary_path(path, fmt)]


def filename(export: EndpointExport, fmt: str, part: str = "data") -> str:
    stem = f"{export.study}_{export.layout}"
    if part == "dictionary" and fmt != "xlsx":
        return dictionary_path(Path(f"{stem}.{fmt}"), fmt).name
    return f"{stem}.{fmt}"


def render(export: EndpointExport, fmt: str, part: str = "data") -> Iterator[bytes]:
    """The bytes of one file of the export, for an HTTP response (CSV streams as it goes)."""
    table = export_dictionary(export, fmt) if part == "dictionary" else export.table
    if fmt == "csv":
        return iter_csv(table)
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(export.table, buffer, provenance=export.provenance)
        return iter([buffer.getvalue()])
    # pyreadstat writes files only: write to a temporary one and hand its bytes over.
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "export.xpt"
        write_xpt(table, target)
        return iter([target.read_bytes()])
