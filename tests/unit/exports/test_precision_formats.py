"""Issue 14 defects, one test per defect and format: float noise, stray apostrophes,
``1.0`` flags, whole-number summaries.  Hand-worked values (three participants, one arm):

- S1: baseline 3.2, day 7 = 1.4, day 5 missing: CHG = 1.4 - 3.2 = -1.8000000000000003 in
  floats -> -1.8; PCHG = -56.25 -> -56.3 (half away from zero; ``round`` gives -56.2);
  responder 1; compliance 16/17 = 94.11764705882354 % -> 94.1.
- S2: baseline 4, day 7 = 3.5: CHG -0.5, PCHG -12.5, responder 0, compliance 100.0.
- S3: baseline 4, day 7 missing: no CHG, responder missing; compliance 94.1.
- Summary of CHG: mean (-1.8 - 0.5) / 2 = -1.15 -> "-1.2", SD 1.3 / sqrt(2) = 0.919 -> "0.9".
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pyreadstat
import pytest

from diary.exports.csv_xlsx import dictionary_table, iter_csv, write_xlsx
from diary.exports.xport import write_xpt
from scoring.adam import long_table
from scoring.days import DailySeries
from scoring.endpoints import validate_endpoints
from scoring.report import summary_table
from scoring.tables import PeriodRecord, score_records, wide_table

SPECS = validate_endpoints([
    {"key": "bl", "kind": "baseline", "from_day": -3, "to_day": -1, "min_days": 2},
    {"key": "pain_d7", "kind": "timepoint", "day": 7},
    {"key": "chg_d7", "kind": "change", "of": "pain_d7"},
    {"key": "pchg_d7", "kind": "percent_change", "of": "pain_d7"},
    {"key": "resp30", "kind": "responder", "of": "pchg_d7", "reduction_percent": 30},
    {"key": "compliance", "kind": "compliance", "from_day": 1, "to_day": 17},
])


def _series(base: float, d7: float, missing: tuple[int, ...] = ()) -> DailySeries:
    days = [d for d in [-3, -2, -1, *range(1, 18)] if d not in missing]
    return DailySeries(days, [base if d < 0 else d7 if d == 7 else 3.0 for d in days])


SCORED = score_records([PeriodRecord("S1", "PAR", "K", _series(3.2, 1.4, (5,))),
                        PeriodRecord("S2", "PAR", "K", _series(4.0, 3.5)),
                        PeriodRecord("S3", "PAR", "K", _series(4.0, 0.0, (7,)))], SPECS)
WIDE = wide_table(SCORED)
LONG = long_table(SCORED)
SUMMARY = summary_table(SCORED)
WIDE_KEYS = ("chg_d7", "pchg_d7", "resp30", "compliance")
WIDE_EXPECTED = [["-1.8", "-56.3", "1", "94.1"], ["-0.5", "-12.5", "0", "100.0"],
                 ["", "", "", "94.1"]]


def _csv(table) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(iter_csv(table)).decode())))


def _xlsx(table) -> list[dict]:
    buf = io.BytesIO()
    write_xlsx(table, buf, provenance={"study": "X"})
    rows = list(openpyxl.load_workbook(buf)[table.name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _xpt(table, tmp_path) -> dict:
    write_xpt(table, tmp_path / "t.xpt")
    return pyreadstat.read_xport(tmp_path / "t.xpt", output_format="dict")[0]


def test_wide_csv_has_no_float_noise_and_whole_flags():
    assert [[r[k] for k in WIDE_KEYS] for r in _csv(WIDE)] == WIDE_EXPECTED


def test_wide_xlsx_holds_rounded_numbers_and_int_flags():
    rows = [[r[k] for k in WIDE_KEYS] for r in _xlsx(WIDE)]
    assert rows == [[-1.8, -56.3, 1, 94.1], [-0.5, -12.5, 0, 100], [None, None, None, 94.1]]
    assert all(type(r[2]) is int for r in rows[:2])          # "1", not "1.0"


def test_wide_xpt_holds_the_same_rounded_numbers(tmp_path):
    frame = _xpt(WIDE, tmp_path)
    names = dict(zip(WIDE.header(), WIDE.header(xport=True), strict=True))
    got = [frame[names[k]] for k in WIDE_KEYS]
    assert got[0][:2] == [-1.8, -0.5] and got[1][:2] == [-56.3, -12.5]
    assert got[2][:2] == [1, 0] and got[3] == [94.1, 100.0, 94.1]


def _long_rows(rows) -> list[tuple]:
    return [(r["USUBJID"], r["PARAMCD"], r["AVAL"], r["BASE"], r["CHG"], r["PCHG"])
            for r in rows if r["PARAMCD"] in ("PAIND7", "COMPLIAN")][:4]


def test_long_csv_rounds_aval_base_chg_pchg_alike():
    assert _long_rows(_csv(LONG)) == [("S1", "PAIND7", "1.4", "3.2", "-1.8", "-56.3"),
                                      ("S1", "COMPLIAN", "94.1", "", "", ""),
                                      ("S2", "PAIND7", "3.5", "4.0", "-0.5", "-12.5"),
                                      ("S2", "COMPLIAN", "100.0", "", "", "")]


def test_long_xlsx_and_xpt_hold_the_same_numbers(tmp_path):
    assert _long_rows(_xlsx(LONG)) == [("S1", "PAIND7", 1.4, 3.2, -1.8, -56.3),
                                       ("S1", "COMPLIAN", 94.1, None, None, None),
                                       ("S2", "PAIND7", 3.5, 4, -0.5, -12.5),
                                       ("S2", "COMPLIAN", 100, None, None, None)]
    frame = _xpt(LONG, tmp_path)
    assert frame["CHG"][1] == -1.8 and frame["PCHG"][1] == -56.3 and frame["AVAL"][2] == 94.1


def _chg(rows) -> dict:
    return next(r for r in rows if r["endpoint"] == "chg_d7")


def test_summary_csv_prints_one_decimal_and_no_apostrophe():
    chg = _chg(_csv(SUMMARY))
    assert (chg["mean"], chg["sd"], chg["mean_sd"]) == ("-1.2", "0.9", "-1.2 ± 0.9")
    pain = next(r for r in _csv(SUMMARY) if r["endpoint"] == "pain_d7")
    assert pain["mean_sd"] == "2.5 ± 1.5"                      # (1.4 + 3.5) / 2 = 2.45


def test_summary_xlsx_keeps_negative_numbers_numeric_and_text_unprefixed():
    chg = _chg(_xlsx(SUMMARY))
    assert (chg["mean"], chg["min"], chg["mean_sd"]) == (-1.2, -1.8, "-1.2 ± 0.9")


def test_summary_xpt_spells_the_same_summary(tmp_path):
    frame = _xpt(SUMMARY, tmp_path)
    i = frame["ENDPOINT"].index("chg_d7")
    assert (frame["MEAN"][i], frame["MEANSD"][i]) == (-1.2, "-1.2 +/- 0.9")


@pytest.mark.parametrize("read", [_csv, _xlsx])
def test_responders_read_n_over_n_both_ways(read):
    resp = next(r for r in read(SUMMARY) if r["endpoint"] == "resp30")
    assert (resp["responders"], resp["responders_all"]) == ("1/2 (50.0 %)", "1/3 (33.3 %)")
    assert str(resp["n_responders"]) == "1" and float(resp["percent_responders"]) == 50.0


def test_the_dictionary_states_each_columns_precision():
    d = {(r["dataset"], r["name"]): r["precision"]
         for r in dictionary_table([WIDE, SUMMARY]).dicts()}
    assert (d["EPWIDE", "chg_d7"], d["EPWIDE", "resp30"], d["EPWIDE", "compliance"]) == (1, 0, 1)
    assert d["EPWIDE", "subject"] is None and d["EPSUM", "percent_responders"] == 1


def test_an_endpoint_precision_overrides_the_default():
    specs = validate_endpoints([{"key": "d7", "kind": "timepoint", "day": 7, "precision": 2},
                                {"key": "d6", "kind": "timepoint", "day": 6, "precision": 0}])
    s = score_records([PeriodRecord("S1", "PAR", "K", DailySeries([6, 7], [2.5, 0.125]))],
                      specs)
    assert [(r["d7"], r["d6"]) for r in wide_table(s).dicts()] == [(0.13, 3)]
    assert [r["mean_sd"] for r in summary_table(s).dicts()] == ["0.13 ± NA", "3 ± NA"]
