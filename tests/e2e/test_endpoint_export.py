"""Endpoint tables from the diary: hand-worked values, corrections, roles, formats."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

PROTOCOL = """
key: export-demo
title: Export demo crossover
timezone: Europe/Paris
design: crossover
sites: [PAR, LYO]
treatments: [{key: K}, {key: P}]
sequences: [{key: KP, treatments: [K, P]}, {key: PK, treatments: [P, K]}]
anchors: [{key: infusion, per_period: true}]
daily_diary: {anchor: infusion, from_day: -3, to_day: 7}
endpoints:
  - {key: baseline, kind: baseline, from_day: -3, to_day: -1, min_days: 2}
  - {key: auc_d1_7, kind: auc, from_day: 1, to_day: 7, ends: carry, min_coverage: 0.5}
  - {key: pain_d7, kind: timepoint, day: 7}
  - {key: chg_d7, kind: change, of: pain_d7}
  - {key: compliance, kind: compliance, from_day: 1, to_day: 7}
"""

# Participant S1 (sequence KP), period 1 infusion on Thu 4 March 2027 (day 0).
# Days -3..-1 = 1..3 March, days 1..7 = 5..11 March.
S1_SCORES = {  # day: score; day 3 and day 5 are missing
    -3: 6, -2: 7, -1: 8, 1: 6, 2: 4, 4: 2, 6: 2, 7: 1,
}


@pytest.fixture
def study(api, clock):
    admin = api.create_admin()
    key = api.create_study(admin, PROTOCOL)
    clock.set(datetime(2027, 3, 1, 8, tzinfo=UTC))
    device = api.activate(api.enrol(admin, key, subject_id="S1", site="PAR",
                                    sequence="KP")["activation_code"])
    api.activate(api.enrol(admin, key, subject_id="S2", site="LYO",
                           sequence="PK")["activation_code"])
    for day, score in S1_SCORES.items():
        when = datetime(2027, 3, 4, 19, tzinfo=UTC) + timedelta(days=day)
        clock.set(when)
        if day == 1:
            admin = api.login("admin@site.org", "correct horse battery")  # 12-hour tokens
            r = api.event(admin, key, "S1", type="infusion", period=1,
                          occurred_at="2027-03-04T09:00:00+00:00")
            assert r.status_code == 201, r.json
        r = api.entry(device, when.date().isoformat(), score)
        assert r.status_code == 201, r.json
        if day == 1:  # logged as 6, then corrected to 5: only the current version counts
            r = api.entry(device, "2027-03-05", 5, reason="meant 5")
            assert r.status_code == 201, r.json
    clock.set(datetime(2027, 3, 20, 12, tzinfo=UTC))
    admin = api.login("admin@site.org", "correct horse battery")  # the first token expired
    api.unblind(admin, key)  # the statistician's export: real treatments
    return {"admin": admin, "key": key, "device": device}


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _export(api, token, key, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return api.c.get(f"/api/v1/studies/{key}/endpoints?{query}", headers=api.bearer(token))


def test_the_wide_table_holds_hand_worked_endpoints(api, study):
    rows = _csv(_export(api, study["admin"], study["key"], layout="wide", format="csv"))
    row = rows[0]  # S1's period 1; the rows without an infusion: the test below
    assert (row["subject"], row["site"], row["treatment"], row["period"]) == ("S1", "PAR", "K",
                                                                               "1")
    assert row["anchor_date"] == "2027-03-04"
    assert float(row["baseline"]) == pytest.approx((6 + 7 + 8) / 3)
    # Days 1..7 = 5, 4, (3 missing: interpolated 3), 2, (5 missing: 2), 2, 1
    auc = (5 + 4) / 2 + (4 + 3) / 2 + (3 + 2) / 2 + (2 + 2) / 2 + (2 + 2) / 2 + (2 + 1) / 2
    assert float(row["auc_d1_7"]) == pytest.approx(auc)
    assert row["auc_d1_7_reason"] == ""
    assert float(row["pain_d7"]) == 1
    assert float(row["chg_d7"]) == pytest.approx(1 - 7)
    assert row["compliance"] == "71.4"  # 5 of 7 days, in percent, to one decimal
    # days used and imputation beside the AUC; compliance's day counts beside the percent
    assert (row["auc_d1_7_n"], row["auc_d1_7_dtype"]) == ("5", "INTERP")
    assert (row["pain_d7_n"], row["baseline_n"]) == ("1", "3")
    assert (row["compliance_expected"], row["compliance_completed"]) == ("7", "5")


def test_every_participant_has_a_row_per_period_even_without_its_infusion(api, study):
    """Intention to treat: S1 (KP) had period 1 only, S2 (PK) no infusion yet."""
    rows = _csv(_export(api, study["admin"], study["key"], layout="wide", format="csv"))
    assert [(r["subject"], r["period"], r["treatment"]) for r in rows] == [
        ("S1", "1", "K"), ("S1", "2", "P"), ("S2", "1", "P"), ("S2", "2", "K")]
    for row in rows[1:]:
        assert row["anchor_date"] == ""
        for key in ("baseline", "auc_d1_7", "pain_d7", "chg_d7", "compliance"):
            assert row[key] == ""
            assert row[f"{key}_reason"] == f"no infusion recorded for period {row['period']}"
    long = _csv(_export(api, study["admin"], study["key"], layout="long", format="csv"))
    s2 = [r for r in long if r["USUBJID"] == "S2"]
    assert {r["APERIOD"] for r in s2} == {"1", "2"}
    assert all(r["AVAL"] == "" and r["SRCIDS"] == "" and r["ANL01FL"] == ""
               and r["REASON"] == f"no infusion recorded for period {r['APERIOD']}"
               for r in s2)
    summary = _csv(_export(api, study["admin"], study["key"], layout="summary",
                           format="csv"))
    pain_k = next(r for r in summary if (r["endpoint"], r["treatment"]) == ("pain_d7", "K"))
    assert (pain_k["n"], pain_k["n_missing"]) == ("1", "1")  # S1 had K; S2's K is missing


def test_the_long_table_traces_each_value_to_its_diary_entries(api, study):
    rows = _csv(_export(api, study["admin"], study["key"], layout="long", format="csv"))
    by_param = {r["PARAMCD"]: r for r in rows}
    entries = api.c.get(f"/api/v1/studies/{study['key']}/participants/S1/entries?page_size=50",
                        headers=api.bearer(study["admin"])).json["items"]
    current = {e["diary_date"]: e["id"] for e in entries if e["is_current"]}
    superseded = {e["id"] for e in entries if not e["is_current"]}
    auc = next(r for r in rows if r["PARAMCD"].startswith("AUC"))
    ids = set(auc["SRCIDS"].split(";"))
    # days 1..7 observed on 5, 6, 8, 10, 11 March; the corrected day-1 version is left out
    assert ids == {current[d] for d in ("2027-03-05", "2027-03-06", "2027-03-08",
                                        "2027-03-10", "2027-03-11")}
    assert not ids & superseded
    assert "INTERP" in auc["DTYPE"]
    assert (auc["USUBJID"], auc["TRTA"], auc["APERIOD"]) == ("S1", "K", "1")
    day7 = next(r for r in rows if r["AVISIT"] and r["PARAMCD"] not in ("BASELINE",)
                and r["ADY"] == "7" and not r["PARAMCD"].startswith(("AUC", "COMPL")))
    assert float(day7["AVAL"]) == 1
    assert float(day7["BASE"]) == pytest.approx(7)
    assert float(day7["CHG"]) == pytest.approx(-6)
    assert by_param  # every parameter has rows


def test_the_summary_gives_mean_and_sd_per_treatment(api, study):
    rows = _csv(_export(api, study["admin"], study["key"], layout="summary", format="csv"))
    pain = next(r for r in rows if r["endpoint"] == "pain_d7")
    assert (pain["treatment"], pain["n"], pain["mean"]) == ("K", "1", "1.0")
    assert pain["sd"] == ""  # one participant: no SD


def test_an_xlsx_export_has_data_dictionary_and_provenance_sheets(api, study):
    openpyxl = pytest.importorskip("openpyxl")
    r = _export(api, study["admin"], study["key"], layout="wide", format="xlsx")
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(r.data), read_only=True)
    assert book.sheetnames == ["EPWIDE", "dictionary", "about"]
    about = dict(book["about"].iter_rows(min_row=2, values_only=True))
    assert about["study"] == "export-demo" and about["protocol_version"] == "1"
    assert about["tzdata_version"]


def test_an_xpt_export_reads_back_with_pyreadstat(api, study, tmp_path):
    import pyreadstat

    r = _export(api, study["admin"], study["key"], layout="wide", format="xpt")
    assert r.status_code == 200
    assert 'filename="export-demo_wide.xpt"' in r.headers["Content-Disposition"]
    path = tmp_path / "wide.xpt"
    path.write_bytes(r.data)
    frame, meta = pyreadstat.read_xport(str(path), output_format="dict")
    assert frame["USUBJID"] == ["S1", "S1", "S2", "S2"]  # one row per period (ITT)
    assert all(len(name) <= 8 for name in meta.column_names)
    assert len(set(meta.column_names)) == len(meta.column_names)
    assert (frame["NAUCD17"][0], frame["TAUCD17"][0]) == (5, "INTERP")
    assert (frame["ECOMPLIA"][0], frame["CCOMPLIA"][0]) == (7, 5)
    d = tmp_path / "dict.xpt"
    d.write_bytes(_export(api, study["admin"], study["key"], layout="wide", format="xpt",
                          part="dictionary").data)
    dictionary, _ = pyreadstat.read_xport(str(d), output_format="dict")
    assert "USUBJID" in dictionary["VARIABLE"] or "USUBJID" in next(iter(dictionary.values()))


def _check_bds(rows: list[dict]) -> None:
    """One PARAM per PARAMCD and back, ASEQ 1..n per subject, PARCAT1 on every row."""
    pairs = {(r["PARAMCD"], r["PARAM"]) for r in rows}
    assert len({c for c, _ in pairs}) == len({p for _, p in pairs}) == len(pairs)
    for subject in {r["USUBJID"] for r in rows}:
        seq = [int(float(r["ASEQ"])) for r in rows if r["USUBJID"] == subject]
        assert seq == list(range(1, len(seq) + 1))
    assert all(r["PARCAT1"] for r in rows)


def test_the_long_table_has_one_param_per_paramcd_aseq_and_parcat1(api, study, tmp_path):
    import pyreadstat

    rows = _csv(_export(api, study["admin"], study["key"], layout="long", format="csv"))
    _check_bds(rows)
    params = {r["PARAMCD"]: (r["PARAM"], r["PARCAT1"]) for r in rows}
    assert params == {  # no label in the protocol: derived from each definition
        "BASELINE": ("Baseline mean pain, days -3 to -1, >= 2 days", "BASELINE"),
        "AUCD17": ("AUC days 1-7, ends carried, >= 50 % of days", "AUC"),
        "PAIND7": ("Pain at day 7", "TIMEPOINT"),
        "COMPLIAN": ("Diary compliance (%), days 1-7", "COMPLIANCE"),
    }
    assert len(rows) == 2 * 2 * 4          # 2 participants x 2 periods x 4 parameters
    path = tmp_path / "long.xpt"
    path.write_bytes(_export(api, study["admin"], study["key"], layout="long",
                             format="xpt").data)
    frame, _ = pyreadstat.read_xport(str(path), output_format="dict")
    xpt_rows = [dict(zip(frame, values, strict=True)) for values in zip(*frame.values(),
                                                                       strict=True)]
    _check_bds(xpt_rows)
    assert {r["PARAMCD"]: (r["PARAM"], r["PARCAT1"]) for r in xpt_rows} == params
    d = tmp_path / "long_dict.xpt"
    d.write_bytes(_export(api, study["admin"], study["key"], layout="long", format="xpt",
                          part="dictionary").data)
    dictionary, _ = pyreadstat.read_xport(str(d), output_format="dict")
    by_var = dict(zip(dictionary["VARIABLE"], zip(dictionary["TYPE"], dictionary["LENGTH"],
                                                  dictionary["CODELIST"], strict=True),
                      strict=True))
    assert by_var["PARCAT1"] == ("char", 10, "BASELINE; AUC; TIMEPOINT; COMPLIANCE")
    assert by_var["ASEQ"] == ("num", 8, "")
    csv_dict = {r["variable"]: r for r in _csv(_export(
        api, study["admin"], study["key"], layout="long", format="csv", part="dictionary"))}
    assert csv_dict["PARAMCD"]["codelist"] == "BASELINE; AUCD17; PAIND7; COMPLIAN"
    assert "PAIND7 = Pain at day 7" in csv_dict["PARAMCD"]["derivation"]


def test_viewers_export_but_participants_and_strangers_cannot(api, study):
    viewer = api.staff(study["admin"], "stats@site.org", "viewer", study["key"])
    assert _export(api, viewer, study["key"], layout="wide", format="csv").status_code == 200
    assert _export(api, study["device"], study["key"]).status_code == 403
    other = api.create_study(study["admin"], PROTOCOL.replace("export-demo", "other-study"))
    stranger = api.staff(study["admin"], "other@site.org", "coordinator", other)
    assert _export(api, stranger, study["key"]).status_code == 404


def test_a_site_scoped_viewer_exports_only_its_sites(api, study):
    lyon = api.staff(study["admin"], "lyon@site.org", "viewer", study["key"], sites=["LYO"])
    rows = _csv(_export(api, lyon, study["key"], layout="wide", format="csv"))
    assert [(r["subject"], r["site"]) for r in rows] == [("S2", "LYO"), ("S2", "LYO")]


@pytest.mark.parametrize(("params", "field"), [
    ({"layout": "tall"}, "layout"), ({"format": "sav"}, "format"), ({"part": "x"}, "part"),
])
def test_unknown_export_options_are_refused(api, study, params, field):
    r = _export(api, study["admin"], study["key"], **params)
    assert (r.status_code, r.json["field"]) == (422, field)


def test_every_export_is_audited(api, study, app):
    from sqlalchemy import select

    from diary.db.audit_models import AuditRecord

    _export(api, study["admin"], study["key"], layout="summary", format="csv")
    with app.extensions["paindiary"].session_factory() as s:
        record = s.scalars(select(AuditRecord).where(
            AuditRecord.action == "endpoints.export")).one()
    assert record.after["layout"] == "summary" and record.after["format"] == "csv"


def test_the_cli_writes_the_table_and_its_dictionary(app, study, tmp_path):
    out = tmp_path / "wide.csv"
    result = app.test_cli_runner().invoke(args=[
        "export", "endpoints", "--study", study["key"], "--layout", "wide", "--format", "csv",
        "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and (tmp_path / "wide.dictionary.csv").exists()
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["subject"] for r in rows] == ["S1", "S1", "S2", "S2"]


def test_negative_summaries_and_rounded_values_survive_every_format(api, study, tmp_path):
    """Issue 14: no apostrophe before "-6.0 ± NA", no float noise, numbers stay numbers."""
    import openpyxl
    import pyreadstat

    key, admin = study["key"], study["admin"]
    chg = next(r for r in _csv(_export(api, admin, key, layout="summary", format="csv"))
               if (r["endpoint"], r["treatment"]) == ("chg_d7", "K"))
    assert (chg["mean"], chg["mean_sd"]) == ("-6.0", "-6.0 ± NA")
    book = openpyxl.load_workbook(io.BytesIO(
        _export(api, admin, key, layout="summary", format="xlsx").data))
    rows = list(book["EPSUM"].iter_rows(values_only=True))
    row = next(dict(zip(rows[0], r, strict=True)) for r in rows[1:]
               if (r[rows[0].index("endpoint")], r[0]) == ("chg_d7", "K"))
    assert (row["mean"], row["mean_sd"]) == (-6, "-6.0 ± NA")
    wide = openpyxl.load_workbook(io.BytesIO(
        _export(api, admin, key, layout="wide", format="xlsx").data))["EPWIDE"]
    header = [c.value for c in wide[1]]
    assert wide.cell(2, header.index("compliance") + 1).value == 71.4
    path = tmp_path / "long.xpt"
    path.write_bytes(_export(api, admin, key, layout="long", format="xpt").data)
    frame = pyreadstat.read_xport(str(path), output_format="dict")[0]
    compl = [v for p, v in zip(frame["PARAMCD"], frame["AVAL"], strict=True)
             if p.startswith("COMPL") and v is not None]
    assert compl == [71.4]
