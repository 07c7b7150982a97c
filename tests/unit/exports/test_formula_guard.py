"""The formula-injection guard: text that could run as a formula is prefixed, numbers not."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from diary.exports.csv_xlsx import iter_csv, neutralise, write_xlsx
from scoring.tables import Column, Table


@pytest.mark.parametrize("text", ["-2", "-1.8", "0", "-2.0 ± 0.5", "-2 ± 0", "3.4 ± NA"])
def test_numbers_and_numeric_summaries_are_left_alone(text):
    assert neutralise(text) == text


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1",
                                  "-2 ± 0;=cmd", "-٣", "-1.", "-2.0 ± -0.5"])
def test_formulas_and_near_numbers_are_prefixed(text):
    assert neutralise(text) == "'" + text


COLS = (Column("mean_sd", "MEANSD", "Mean +/- SD", "char", "text"),
        Column("chg", "CHG", "Change", "num", "AVAL - BASE"))
TABLE = Table("EPSUM", COLS, [("-2 ± 0", -1.8), ("=cmd()", -2)])


def test_csv_writes_negative_numbers_and_summaries_plain():
    rows = list(csv.reader(io.StringIO(b"".join(iter_csv(TABLE)).decode())))
    assert rows[1:] == [["-2 ± 0", "-1.8"], ["'=cmd()", "-2"]]


def test_xlsx_keeps_numbers_numeric_and_summaries_unprefixed():
    buf = io.BytesIO()
    write_xlsx(TABLE, buf, provenance={"study": "X"})
    ws = openpyxl.load_workbook(buf)["EPSUM"]
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=2)] == [
        ["-2 ± 0", -1.8], ["'=cmd()", -2]]
    assert ws["B2"].data_type == "n" and ws["B3"].data_type == "n"
