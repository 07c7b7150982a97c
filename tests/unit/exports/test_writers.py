"""CSV, XLSX and XPORT writers: read back what they wrote, refuse what a format cannot hold."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile

import openpyxl
import pyreadstat
import pytest

from diary.exports import csv_xlsx
from diary.exports.csv_xlsx import (
    ExportTooLarge,
    dictionary_table,
    iter_csv,
    write_csv,
    write_dictionary_csv,
    write_xlsx,
)
from diary.exports.xport import XportValueTooLong, to_ascii, write_xpt, xport_dictionary_table
from scoring.adam import long_table
from scoring.days import DailySeries
from scoring.endpoints import validate_endpoints
from scoring.report import summary_table
from scoring.tables import (
    Column,
    ColumnRows,
    PeriodRecord,
    Table,
    score_records,
    wide_table,
)

COLUMNS = (
    Column("subject", "USUBJID", "Unique subject identifier", "char", "participant id"),
    Column("anchor_date", "ANCHDT", "Anchor date", "date", "day 0"),
    Column("auc", "AUC", "AUC days 1-35 (score-days)", "num", "trapezoid"),
    Column("note", "NOTE", "Free text", "char", "as entered"),
)
ROWS = [
    ("S1", dt.date(2027, 1, 1), 185.5, "=HYPERLINK(\"http://x\")"),
    ("S2", None, None, None),
    ("S3", dt.date(1959, 12, 31), -3.25, "-3 vs +2 @ day 7"),
    ("S4", dt.date(2027, 2, 5), 0.1 + 0.2, "plain, \"quoted\"\nand multi-line"),
]
TABLE = Table("EPWIDE", COLUMNS, ROWS)
PROVENANCE = {"study": "KETA-X", "protocol version": "3", "sha256": "ab" * 32,
              "tzdata version": "2025b", "generated at": "2027-03-01T10:00:00Z",
              "layout": "wide"}


def read_csv(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_csv_round_trips_missing_values_dates_exact_floats_and_neutralised_formulas(tmp_path):
    write_csv(TABLE, tmp_path / "t.csv")
    assert read_csv(tmp_path / "t.csv") == [
        ["subject", "anchor_date", "auc", "note"],
        ["S1", "2027-01-01", "185.5", "'=HYPERLINK(\"http://x\")"],
        ["S2", "", "", ""],
        ["S3", "1959-12-31", "-3.25", "'-3 vs +2 @ day 7"],     # number untouched, text not
        ["S4", "2027-02-05", "0.30000000000000004", "plain, \"quoted\"\nand multi-line"],
    ]
    assert float(read_csv(tmp_path / "t.csv")[4][2]) == 0.1 + 0.2       # repr: exact, no rounding
    assert list(tmp_path.iterdir()) == [tmp_path / "t.csv"]             # no temporary file left


def test_a_table_kept_as_columns_writes_the_same_files_as_one_of_rows(tmp_path):
    by_column = Table("EPWIDE", COLUMNS, ColumnRows([list(c) for c in zip(*ROWS, strict=True)]))
    assert by_column.rows == ROWS and by_column.rows[1:3] == ROWS[1:3]
    assert b"".join(iter_csv(by_column)) == b"".join(iter_csv(TABLE))   # formulas neutralised
    assert by_column.rows.columns[3][0].startswith("=")                  # the table is untouched
    write_xpt(by_column, tmp_path / "c.xpt")
    write_xpt(TABLE, tmp_path / "r.xpt")
    assert pyreadstat.read_xport(tmp_path / "c.xpt")[0].equals(
        pyreadstat.read_xport(tmp_path / "r.xpt")[0])
    write_xlsx(by_column, tmp_path / "c.xlsx", provenance={})
    sheet = openpyxl.load_workbook(tmp_path / "c.xlsx")["EPWIDE"]
    assert [c.value for c in sheet[2]][3] == "'=HYPERLINK(\"http://x\")"
    with pytest.raises(ValueError, match="columns of different lengths"):
        ColumnRows([["S1"], []])


@pytest.mark.parametrize("cells", [
    [0.0, -0.0, 0.0, -0.0, None, None],                    # equal zeros print apart
    [1, 1.0, 1, 1.0, True, 1],                             # equal numbers of other classes
    [100 / 35 * 32, 100 / 35 * 32, 1e16, 1e16, 5e-324, 5e-324],
    [math.nan, math.nan, math.nan, float("nan"), math.inf, math.inf],  # two NaN objects
    [dt.date(2027, 3, 28)] * 3 + [dt.datetime(2027, 3, 28, 1, 30)] * 3,
    [dt.date(2027, 3, 28)] * 4 + [None, dt.date(1, 1, 1)],
    [7.0, 7.0, 7.0, 7.0, 7.0, "7.0"],
    [2.5, 2.5, 185.5, 185.5, None, 2.5],
])
def test_num_and_date_cells_of_a_column_table_are_written_as_the_csv_module_writes_them(cells):
    """The column table converts each distinct value once; the row table leaves every cell
    to csv.writer: the bytes must not differ."""
    columns = (Column("x", "X", "X", "num", ""), Column("d", "D", "D", "date", ""))
    rows = [(c, c) for c in cells]
    by_column = Table("T", columns, ColumnRows([cells, list(cells)]))
    assert b"".join(iter_csv(by_column)) == b"".join(iter_csv(Table("T", columns, rows)))


def test_iter_csv_streams_the_header_then_one_chunk_per_thousand_rows():
    big = Table("T", COLUMNS[:1], [(f"S{i}",) for i in range(2500)])
    chunks = list(iter_csv(big))
    assert len(chunks) == 3                                              # 1000 + 1000 + 500 rows
    assert chunks[0].startswith(b"subject\r\nS0\r\n")
    assert b"".join(chunks).count(b"\r\n") == 1 + 2500


def test_a_table_without_rows_is_written_as_its_header(tmp_path):
    empty = Table("T", COLUMNS, [])
    assert list(iter_csv(empty)) == [b"subject,anchor_date,auc,note\r\n"]
    write_xpt(empty, tmp_path / "t.xpt")
    frame, meta = pyreadstat.read_xport(tmp_path / "t.xpt")
    assert (len(frame), meta.column_names) == (0, ["USUBJID", "ANCHDT", "AUC", "NOTE"])


def test_csv_keeps_non_ascii_as_utf8():
    t = Table("T", COLUMNS[3:], [("185 ± 100",)])
    assert b"".join(iter_csv(t)).decode("utf-8") == "note\r\n185 ± 100\r\n"


def test_a_failed_csv_write_leaves_the_existing_file_untouched(tmp_path):
    class Unprintable:
        def __str__(self):
            raise RuntimeError("disk full, say")

    target = tmp_path / "t.csv"
    target.write_bytes(b"previous export")
    rows = [("S1", None, 1.0, "x")] * 1500 + [("S2", None, Unprintable(), "x")]
    with pytest.raises(RuntimeError):
        write_csv(Table("T", COLUMNS, rows), target)
    assert target.read_bytes() == b"previous export"
    assert list(tmp_path.iterdir()) == [target]


def test_the_dictionary_is_a_table_written_like_any_other(tmp_path):
    write_dictionary_csv(TABLE, tmp_path / "dict.csv")
    lines = read_csv(tmp_path / "dict.csv")
    assert lines[0] == ["dataset", "variable", "name", "label", "type", "length", "precision",
                        "codelist", "unit", "derivation"]
    assert lines[2] == ["EPWIDE", "ANCHDT", "anchor_date", "Anchor date", "date", "8", "", "",
                        "", "day 0"]
    write_xpt(dictionary_table(TABLE), tmp_path / "dict.xpt")
    frame, meta = pyreadstat.read_xport(tmp_path / "dict.xpt")
    assert meta.table_name == "DICT"
    assert list(frame["VARIABLE"]) == ["USUBJID", "ANCHDT", "AUC", "NOTE"]


def test_long_derivations_are_cut_into_200_byte_columns_of_the_xport_dictionary(tmp_path):
    rule = "linear trapezoidal rule ± interpolation " * 12                # 40 * 12 = 480 chars
    t = Table("EPWIDE", (*COLUMNS[:2], Column("auc", "AUC", "AUC", "num", rule)), [])
    with pytest.raises(XportValueTooLong, match="'derivation' .* of table.rows.2. has 504"):
        write_xpt(dictionary_table(t), tmp_path / "dict.xpt")         # 480 + 12 * (3 - 1) bytes
    write_xpt(xport_dictionary_table(t), tmp_path / "dict.xpt")
    frame, meta = pyreadstat.read_xport(tmp_path / "dict.xpt")
    assert list(frame.columns) == ["DATASET", "VARIABLE", "NAME", "LABEL", "TYPE", "LENGTH",
                                   "PRECISN", "CODELIST", "UNIT", "DERIVATN", "DERIVAT2",
                                   "DERIVAT3"]
    assert list(frame["DERIVAT2"]) == ["", "", frame["DERIVAT2"][2]]
    assert max(len(frame[c][2]) for c in ("DERIVATN", "DERIVAT2", "DERIVAT3")) <= 200
    parts = "".join(frame[c][2] for c in ("DERIVATN", "DERIVAT2", "DERIVAT3"))
    assert parts == to_ascii(rule).rstrip()            # SAS pads, so the trailing blank is lost


def test_xlsx_has_a_data_sheet_a_dictionary_and_the_provenance(tmp_path):
    write_xlsx(TABLE, tmp_path / "t.xlsx", provenance=PROVENANCE)
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert wb.sheetnames == ["EPWIDE", "dictionary", "about"]
    data = [[c.value for c in row] for row in wb["EPWIDE"].iter_rows()]
    assert data[0] == ["subject", "anchor_date", "auc", "note"]
    assert data[1] == ["S1", dt.datetime(2027, 1, 1), 185.5, "'=HYPERLINK(\"http://x\")"]
    assert data[2] == ["S2", None, None, None]
    assert data[3] == ["S3", dt.datetime(1959, 12, 31), -3.25, "'-3 vs +2 @ day 7"]
    assert data[4][2] == pytest.approx(0.1 + 0.2, rel=1e-15)    # openpyxl writes "%.16g"
    assert (wb["EPWIDE"]["B2"].is_date, wb["EPWIDE"]["B2"].number_format) == (True, "yyyy-mm-dd")
    with zipfile.ZipFile(tmp_path / "t.xlsx") as z:                  # a serial number, not text
        serial = (dt.date(2027, 1, 1) - dt.date(1899, 12, 30)).days
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert re.search(f'<c r="B2"[^>]* t="n"[^>]*><v>{serial}</v>', sheet)
    assert [[c.value for c in row] for row in wb["dictionary"].iter_rows()][1] == [
        "EPWIDE", "USUBJID", "subject", "Unique subject identifier", "char", 2, None, None,
        None, "participant id"]
    about = [[c.value for c in row] for row in wb["about"].iter_rows()]
    assert about == [["key", "value"], *map(list, PROVENANCE.items())]


def test_xlsx_goes_to_a_binary_stream_with_one_sheet_per_table():
    stream = io.BytesIO()
    other = Table("EPSUM", COLUMNS[:1], [("S9",)])
    write_xlsx([TABLE, other], stream, provenance={"layout": "wide+summary"})
    wb = openpyxl.load_workbook(io.BytesIO(stream.getvalue()))
    assert wb.sheetnames == ["EPWIDE", "EPSUM", "dictionary", "about"]
    assert wb["dictionary"].max_row == 1 + len(COLUMNS) + 1


def test_xlsx_refuses_a_table_over_the_excel_row_limit_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_xlsx, "MAX_XLSX_ROWS", 1 + 3)      # header + 3 rows
    target = tmp_path / "t.xlsx"
    target.write_bytes(b"previous export")
    with pytest.raises(ExportTooLarge, match="EPWIDE has 4 rows; an Excel sheet holds 3"):
        write_xlsx(TABLE, target, provenance={})
    assert target.read_bytes() == b"previous export"
    assert list(tmp_path.iterdir()) == [target]
    write_xlsx(Table("EPWIDE", COLUMNS, ROWS[:3]), target, provenance={})   # exactly the limit
    assert openpyxl.load_workbook(target)["EPWIDE"].max_row == 4


def test_xpt_reads_back_with_names_labels_values_missing_values_and_sas_dates(tmp_path):
    write_xpt(TABLE, tmp_path / "t.xpt", label="Endpoints, wide")
    frame, meta = pyreadstat.read_xport(tmp_path / "t.xpt")
    assert (meta.table_name, meta.file_label) == ("EPWIDE", "Endpoints, wide")
    assert list(frame.columns) == ["USUBJID", "ANCHDT", "AUC", "NOTE"]
    assert meta.column_labels == [c.label for c in COLUMNS]
    assert sas_format(meta.original_variable_types["ANCHDT"]) == ("DATE", 9, None)
    assert list(frame["USUBJID"]) == ["S1", "S2", "S3", "S4"]
    assert list(frame["ANCHDT"][[0, 2, 3]]) == [dt.date(2027, 1, 1), dt.date(1959, 12, 31),
                                                dt.date(2027, 2, 5)]
    assert frame["ANCHDT"].isna()[1] and math.isnan(frame["AUC"][1])        # SAS "."
    assert list(frame["AUC"][[0, 2, 3]]) == [185.5, -3.25, 0.1 + 0.2]
    assert list(frame["NOTE"]) == ["=HYPERLINK(\"http://x\")", "", "-3 vs +2 @ day 7",
                                   "plain, \"quoted\"\nand multi-line"]   # None -> "", as is


def sas_format(spelling: str) -> tuple[str, int | None, int | None]:
    """A SAS format as (name, width, decimals), whatever the reader's spelling.

    pyreadstat 1.3.7 reports DATE9 as ``DATE9``, 1.3.8 as ``DATE9.``: compare meaning.
    """
    m = re.fullmatch(r"(\$?[A-Z_](?:[A-Z0-9_]*[A-Z_])?)(\d*)(?:\.(\d*))?", spelling.upper())
    assert m, f"not a SAS format: {spelling!r}"
    name, width, decimals = m.groups()
    return name, int(width) if width else None, int(decimals) if decimals else None


@pytest.mark.parametrize(("spelling", "meaning"), [
    ("DATE9", ("DATE", 9, None)), ("DATE9.", ("DATE", 9, None)), ("date9.", ("DATE", 9, None)),
    ("DATE", ("DATE", None, None)), ("BEST12.", ("BEST", 12, None)), ("F8.2", ("F", 8, 2)),
    ("$CHAR20.", ("$CHAR", 20, None)), ("E8601DA10.", ("E8601DA", 10, None)),
])
def test_sas_format_reads_every_spelling_of_a_format(spelling, meaning):
    assert sas_format(spelling) == meaning


def test_sas_format_refuses_what_is_not_a_format():
    for spelling in ("", "9", "DATE9..", "DATE 9"):
        with pytest.raises(AssertionError, match="not a SAS format"):
            sas_format(spelling)


def test_xpt_dates_are_days_since_1960(tmp_path):
    write_xpt(TABLE, tmp_path / "t.xpt")
    frame, _ = pyreadstat.read_xport(tmp_path / "t.xpt", disable_datetime_conversion=True)
    assert frame["ANCHDT"][2] == -1                               # 1959-12-31
    assert frame["ANCHDT"][0] == (dt.date(2027, 1, 1) - dt.date(1960, 1, 1)).days


@pytest.mark.parametrize(("text", "ascii_text"), [
    ("185 ± 100", "185 +/- 100"),
    ("Müller, Ærø, Łódź", "Muller, AEro, Lodz"),
    ("≥ 30 % – “relief”", ">= 30 % - \"relief\""),
    ("½ µg", "1/2 ug"),
    ("痛み 😖", "?? ?"),
])
def test_xpt_text_is_transliterated_to_ascii(tmp_path, text, ascii_text):
    assert to_ascii(text) == ascii_text
    write_xpt(Table("T", COLUMNS[3:], [(text,)]), tmp_path / "t.xpt")
    assert pyreadstat.read_xport(tmp_path / "t.xpt")[0]["NOTE"][0] == ascii_text


@pytest.mark.parametrize("existing", [None, b"previous export"])
def test_xpt_refuses_a_character_value_over_200_bytes_and_leaves_no_file(tmp_path, existing):
    target = tmp_path / "t.xpt"
    if existing is not None:
        target.write_bytes(existing)
    rows = [*ROWS, ("S5", None, None, "x" * 200), ("S6", None, None, "±" + "x" * 198)]
    with pytest.raises(XportValueTooLong, match=r"'note' \(NOTE\) of table.rows\[5\] has 201"):
        write_xpt(Table("EPWIDE", COLUMNS, rows), target)       # "±" is 3 bytes as "+/-"
    assert list(tmp_path.iterdir()) == ([] if existing is None else [target])
    if existing is not None:
        assert target.read_bytes() == existing
    write_xpt(Table("EPWIDE", COLUMNS, rows[:5]), target)           # 200 bytes fit
    assert pyreadstat.read_xport(target)[0]["NOTE"][4] == "x" * 200


@pytest.mark.parametrize(("table_name", "xport_name", "message"), [
    ("EPWIDE", "aval", "column 'c': xport_name 'aval' is not an XPORT v5 name"),
    ("EPWIDE", "1AVAL", "is not an XPORT v5 name"),
    ("EPWIDE", "AV-AL", "is not an XPORT v5 name"),
    ("ENDPOINTS", "AVAL", "dataset name 'ENDPOINTS' is not an XPORT v5 name"),
])
def test_xpt_names_outside_version_5_are_refused(tmp_path, table_name, xport_name, message):
    t = Table(table_name, (Column("c", xport_name, "C", "num", ""),), [(1.0,)])
    with pytest.raises(ValueError, match=message):
        write_xpt(t, tmp_path / "t.xpt")
    assert list(tmp_path.iterdir()) == []


def test_a_value_of_the_wrong_type_is_named_with_its_row(tmp_path):
    t = Table("T", COLUMNS[:3], [("S1", dt.date(2027, 1, 1), 1.0), ("S2", "2027-01-02", 2.0)])
    with pytest.raises(ValueError, match=r"'anchor_date' is date but table.rows\[1\]"):
        write_xpt(t, tmp_path / "t.xpt")


def scored_tables() -> tuple[Table, Table, Table]:
    specs = validate_endpoints([
        {"key": "bl", "kind": "baseline"},
        {"key": "auc_d1_7", "kind": "auc", "from_day": 1, "to_day": 7},
        {"key": "pain_d7", "kind": "timepoint", "day": 7},
        {"key": "pchg_d7", "kind": "percent_change", "of": "pain_d7"},
        {"key": "resp30", "kind": "responder", "of": "pchg_d7", "reduction_percent": 30},
    ])
    days = list(range(-7, 0)) + list(range(1, 8))

    def series(tag: str, before: float, after: float) -> DailySeries:
        return DailySeries(days, [before if d < 0 else after for d in days],
                           [f"{tag}{d}" for d in days])

    records = [PeriodRecord("S1", "01", "K", series("a", 6.0, 3.0), 1, "KP", dt.date(2027, 1, 4)),
               PeriodRecord("S2", "02", "P", series("b", 6.0, 5.0), 1, "PK", None)]
    scored = score_records(records, specs)
    return wide_table(scored), long_table(scored), summary_table(scored, decimals=1)


def test_tables_built_by_scoring_are_written_to_all_three_formats(tmp_path):
    wide, long, summary = scored_tables()
    for table in (wide, long, summary):
        write_csv(table, tmp_path / f"{table.name}.csv")
        write_xpt(table, tmp_path / f"{table.name}.xpt")
        write_csv(dictionary_table(table), tmp_path / f"{table.name}.dictionary.csv")
        write_xpt(xport_dictionary_table(table), tmp_path / f"{table.name}_dict.xpt")
    write_xlsx([wide, long, summary], tmp_path / "endpoints.xlsx", provenance=PROVENANCE)

    row = dict(zip(*read_csv(tmp_path / "EPWIDE.csv")[:2], strict=True))
    assert (row["subject"], row["anchor_date"], row["bl"]) == ("S1", "2027-01-04", "6.0")
    assert (row["auc_d1_7"], row["pchg_d7"]) == (str(3.0 * (7 - 1)), str(100 * (3 - 6) / 6))
    frame, meta = pyreadstat.read_xport(tmp_path / "ADEP.xpt")
    assert list(frame.columns) == long.header(xport=True)
    assert len(frame) == len(long.rows)
    assert frame["ANCHDT"][0] == dt.date(2027, 1, 4) and frame["ANCHDT"].isna().iloc[-1]
    first = long.dicts()[0]
    assert (frame["PARAMCD"][0], frame["AVAL"][0], frame["SRCIDS"][0]) == (
        first["PARAMCD"], first["AVAL"], first["SRCIDS"])
    summary_xpt = pyreadstat.read_xport(tmp_path / "EPSUM.xpt")[0]
    assert summary_xpt["MEANSD"][0] == "6.0 +/- NA"                 # "±" in CSV/XLSX only
    assert read_csv(tmp_path / "EPSUM.csv")[1][-6] == "6.0 ± NA"      # n = 1: no SD
    wb = openpyxl.load_workbook(tmp_path / "endpoints.xlsx")
    assert wb.sheetnames == ["EPWIDE", "ADEP", "EPSUM", "dictionary", "about"]
    assert [c.value for c in wb["ADEP"][2]][:8] == [*long.rows[0][:5], dt.datetime(2027, 1, 4),
                                                    1, first["PARAMCD"]]
    assert wb["ADEP"].max_row == 1 + len(long.rows)
