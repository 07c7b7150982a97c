"""Issue 14: the summary's report line ("mean ± SD (unit), n = N", primary flagged, names
for the treatments) and the wide ``<key>_n`` columns of the questionnaire, medication
and safety kinds, each read back from CSV, XLSX and XPT.

Hand-worked data, two participants on treatment K, one period each:

- daily pain day 7: 3.0 and 3.8 -> mean 3.4, SD sqrt(2 * 0.4**2) = 0.566 -> "3.4 ± 0.6";
- PSQI global pre-infusion: 7 from 18 of 19 items answered, and none for S2 (no response);
- mme_total days 0-2: S1 on study all 3 days (10 + 5 = 15 mg MME), S2 enrolled on day 1
  (2 days on study: no total);
- ae_any days 0-6, adverse events only: 7 on-study days each; S2's nausea symptom_count
  over days 0-6 answered on days 2 and 4.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import openpyxl
import pyreadstat
import pytest

from diary.exports.csv_xlsx import dictionary_table, iter_csv, write_xlsx
from diary.exports.xport import write_xpt
from scoring.days import DailySeries
from scoring.endpoints import validate_endpoints
from scoring.medication_kind import MEDICATION, MedicationDays
from scoring.questionnaire_kind import QUESTIONNAIRES
from scoring.report import summary_table
from scoring.safety_kind import SAFETY, SafetyDays
from scoring.tables import PeriodRecord, score_records, wide_table
from scoring.units import resolve_units

SPECS = resolve_units(validate_endpoints([
    {"key": "pain_d7", "kind": "timepoint", "day": 7, "primary": True},
    {"key": "psqi_pre", "kind": "questionnaire", "assessment": "psqi_pre", "scale": "global"},
    {"key": "mme_d0_2", "kind": "mme_total", "from_day": 0, "to_day": 2},
    {"key": "ae_any", "kind": "ae_any", "from_day": 0, "to_day": 6,
     "sources": ["adverse_events"]},
    {"key": "nausea_n", "kind": "symptom_count", "symptom": "nausea", "from_day": 0,
     "to_day": 6},
]), scale_units={"psqi_pre": "PSQI global score 0-21"})


def _scored():
    nausea = DailySeries([2, 4], [1, 0], entry_ids=["c2", "c4"])
    records = [PeriodRecord("S1", "PAR", "K", DailySeries([7], [3.0]), 1),
               PeriodRecord("S2", "PAR", "K", DailySeries([7], [3.8]), 1)]
    extra = [
        {QUESTIONNAIRES: {("psqi_pre", 0, "global"): (7, "r1", 18)},
         MEDICATION: MedicationDays.from_rows([(0, 10, False, "m0"), (2, 5, True, "m2")],
                                              start_day=-7),
         SAFETY: SafetyDays(start_day=-7)},
        {MEDICATION: MedicationDays.from_rows([(1, 10, False, "m1")], start_day=1),
         SAFETY: SafetyDays({"nausea": nausea}, ae_days=np.array([3]),
                            ae_severity=np.array([2]), ae_ids=["ae3"], start_day=-7)},
    ]
    return score_records(records, SPECS, extra=extra)


SCORED = _scored()
WIDE = wide_table(SCORED)
SUMMARY = summary_table(SCORED, names={"K": "Ketamine infusion"})
COUNTS = ("psqi_pre_n", "mme_d0_2_n", "ae_any_n", "nausea_n_n")
EXPECTED_COUNTS = [[18, 3, 7, 0], [0, 2, 7, 2]]


def _csv(table) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(iter_csv(table)).decode())))


def _xlsx(table) -> list[dict]:
    buf = io.BytesIO()
    write_xlsx(table, buf, provenance={"study": "X"})
    rows = list(openpyxl.load_workbook(buf)[table.name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _xpt(table, tmp_path) -> list[dict]:
    write_xpt(table, tmp_path / "t.xpt")
    frame = pyreadstat.read_xport(tmp_path / "t.xpt", output_format="dict")[0]
    names = dict(zip(table.header(xport=True), table.header(), strict=True))
    return [{names[k]: v for k, v in zip(frame, row, strict=True)}
            for row in zip(*frame.values(), strict=True)]


def _read(fmt, table, tmp_path):
    return {"csv": _csv, "xlsx": _xlsx}[fmt](table) if fmt != "xpt" else _xpt(table, tmp_path)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "xpt"])
def test_the_primary_line_reads_as_a_paper_writes_it(fmt, tmp_path):
    rows = _read(fmt, SUMMARY, tmp_path)
    pain = next(r for r in rows if r["endpoint"] == "pain_d7")
    pm = "+/-" if fmt == "xpt" else "±"                  # XPORT is ASCII
    assert pain["report"] == f"3.4 {pm} 0.6 (NRS 0-10), n = 2"
    assert (pain["primary"], pain["unit"], pain["treatment_name"]) == (
        "Y", "NRS 0-10", "Ketamine infusion")
    psqi = next(r for r in rows if r["endpoint"] == "psqi_pre")
    assert psqi["report"] == f"7.0 {pm} NA (PSQI global score 0-21), n = 1"
    assert psqi["primary"] in ("", None)                   # only the primary is flagged
    ae = next(r for r in rows if r["endpoint"] == "ae_any")
    assert (ae["report"], ae["unit"] or "") == ("1/2 (50.0 %)", "")  # yes/no: a rate


def test_a_declared_unit_wins_over_the_default():
    specs = validate_endpoints([{"key": "d7", "kind": "timepoint", "day": 7,
                                 "unit": "FPS-R 0-10"},
                                {"key": "bl", "kind": "baseline"},
                                {"key": "chg", "kind": "change", "of": "d7"}])
    s = score_records([PeriodRecord("S1", "PAR", "K", DailySeries([-1, 7], [6.0, 2.0]))], specs)
    assert [(r["endpoint"], r["unit"]) for r in summary_table(s).dicts()] == [
        ("d7", "FPS-R 0-10"), ("bl", "NRS 0-10"), ("chg", "FPS-R 0-10")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "xpt"])
def test_wide_counts_cover_questionnaire_medication_and_safety_kinds(fmt, tmp_path):
    rows = _read(fmt, WIDE, tmp_path)
    got = [[r[k] for k in COUNTS] for r in rows]
    if fmt == "csv":
        got = [[int(v) for v in row] for row in got]
    assert got == EXPECTED_COUNTS
    assert all(type(v) is int for row in got for v in row) or fmt == "xpt"  # not 18.0
    assert [r["mme_d0_2"] for r in rows][0] in (15, "15.0", 15.0)


def test_every_count_column_has_its_own_dictionary_entry():
    d = {r["name"]: r for r in dictionary_table(WIDE).dicts()}
    assert d["psqi_pre_n"]["label"] == "Items answered, psqi_pre"
    assert d["mme_d0_2_n"]["label"] == "On-study days used, mme_d0_2"
    assert d["ae_any_n"]["label"] == "Days assessed, ae_any"
    assert d["nausea_n_n"]["label"] == "Days assessed, nausea_n"
    assert "answered" in d["nausea_n_n"]["derivation"]
    assert all(d[k]["type"] == "num" and d[k]["variable"].startswith("N") for k in COUNTS)
    # each value column says its unit; counts and reasons have none
    assert (d["pain_d7"]["unit"], d["psqi_pre"]["unit"], d["mme_d0_2"]["unit"]) == (
        "NRS 0-10", "PSQI global score 0-21", "mg MME")
    assert d["ae_any"]["unit"] is None and d["pain_d7_n"]["unit"] is None
