"""Issue 14, "Done when": the shipped crossover protocol's export has none of the defects
the held-out check found, in any format. One test per defect, each run on CSV, XLSX and
XPT (read back with pyreadstat), from one simulated study exported through the HTTP API.

The study (protocols/crossover-ketamine-magnesium.yaml), both participants on sequences
starting with ketamine (K), infused for period 1 on 10 March 2027 (day 0); periods 2 and
3 never happen (intention to treat: empty rows). Diaries entered by staff from paper:

- P1: days -7..-1 = 3 3 4 3 3 4 3 (baseline 23/7 = 3.2857... -> 3.3); days 1..35 = 4 but
  day 7 = 3, day 20 and day 35 missing: compliance 33/35 = 94.2857... % -> 94.3; AUC =
  34 * 4 - 1 = 135 (the day-7 dip costs (1 + 1) / 2), INTERP+LOCF, 33 days used.
- P2: days -3..-1 = 5 5 6 only (baseline: 3 of 7 days, 4 needed); days 1..35 = 5 but
  day 7 = 4 and day 15 missing: compliance 34/35 -> 97.1; AUC 34 * 5 - 1 = 169, INTERP.
- pain_d7: 3 and 4 -> "3.5 ± 0.7" (SD sqrt(0.5) = 0.707); AUC: mean (135 + 169) / 2 =
  152, SD sqrt(2 * 17**2) = 24.04 -> "152.0 ± 24.0 (NRS 0-10 score-days), n = 2".
- EQ VAS before / at the end of the period: P1 60 -> 45 (-15), P2 50 -> 48 (-2): change
  mean -8.5, SD sqrt(2 * 6.5**2) = 9.19 -> "-8.5 ± 9.2", a negative summary.
- An adverse event for P1 on day 3: ae_any 1 for P1, 0 for P2 ("1/2 (50.0 %)" on K).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pyreadstat
import pytest

PROTOCOL = Path(__file__).resolve().parents[2] / "protocols" / "crossover-ketamine-magnesium.yaml"
KEY = "crossover-ketamine-magnesium"
DAY0 = date(2027, 3, 10)
P1 = {**{d: s for d, s in zip(range(-7, 0), [3, 3, 4, 3, 3, 4, 3], strict=True)},
      **{d: 3 if d == 7 else 4 for d in range(1, 36) if d not in (20, 35)}}
P2 = {-3: 5, -2: 5, -1: 6, **{d: 4 if d == 7 else 5 for d in range(1, 36) if d != 15}}
FORMATS = ["csv", "xlsx", "xpt"]
LAYOUTS = ["wide", "long", "summary"]
_FILES: dict[tuple[str, str], object] = {}  # built once per run: plain bytes and rows


def _post(api, token, url, body, status=201):
    r = api.c.post(url, headers=api.bearer(token), json=body)
    assert r.status_code == status, (url, r.json)
    return r.json


def _eq5d(api, token, subject, when: datetime, vas: int) -> None:
    answers = {f"eq5d_{d}": 1 for d in ("mo", "sc", "ua", "pd", "ad")} | {"eq5d_vas": vas}
    _post(api, token, f"/api/v1/studies/{KEY}/participants/{subject}/questionnaire-responses",
          {"instrument": "eq5d5l", "answers": answers, "client_id": str(uuid.uuid4()),
           "administered_at": when.isoformat(), "source": "paper",
           "reason": "paper form at the visit"})


def _simulate(api, clock) -> None:
    clock.set(datetime(2027, 3, 1, 8, tzinfo=UTC))
    admin = api.create_admin()
    api.create_study(admin, PROTOCOL.read_text(encoding="utf-8"))
    api.unblind(admin, KEY)  # the statistician's export: the allocation as it is
    _post(api, admin, f"/api/v1/studies/{KEY}/allocation-lists", {"rows": [
        {"number": 1, "site": "CFD01", "sequence": "S1"},      # K, KM, P
        {"number": 2, "site": "CFD01", "sequence": "S4"}]})    # K, P, KM
    for subject in ("P1", "P2"):
        api.enrol(admin, KEY, subject_id=subject, site="CFD01")
    clock.set(datetime(2027, 3, 10, 12, tzinfo=UTC))
    admin = api.login("admin@site.org", "correct horse battery")
    for subject in ("P1", "P2"):
        r = api.event(admin, KEY, subject, type="infusion", period=1,
                      occurred_at="2027-03-10T08:00:00+00:00")
        assert r.status_code == 201, r.json
    clock.set(datetime(2027, 4, 20, 12, tzinfo=UTC))
    admin = api.login("admin@site.org", "correct horse battery")  # 12-hour tokens
    for subject, scores in (("P1", P1), ("P2", P2)):
        for day, score in scores.items():
            _post(api, admin, f"/api/v1/studies/{KEY}/participants/{subject}/diary-entries",
                  {"diary_date": (DAY0 + timedelta(days=day)).isoformat(), "score": score,
                   "client_id": str(uuid.uuid4()), "source": "paper",
                   "reason": "paper diary returned at the visit"})
    for subject, pre, end in (("P1", 60, 45), ("P2", 50, 48)):
        _eq5d(api, admin, subject, datetime(2027, 3, 9, 9, tzinfo=UTC), pre)   # day -1
        _eq5d(api, admin, subject, datetime(2027, 4, 9, 8, tzinfo=UTC), end)   # day 30
    _post(api, admin, f"/api/v1/studies/{KEY}/participants/P1/adverse-events",
          {"term": "Dizziness", "onset": "2027-03-13", "severity": "mild", "serious": False,
           "relatedness": "possible", "client_id": str(uuid.uuid4())})
    for layout in LAYOUTS:
        for fmt in FORMATS:
            r = api.c.get(f"/api/v1/studies/{KEY}/endpoints?layout={layout}&format={fmt}",
                          headers=api.bearer(admin))
            assert r.status_code == 200, r.get_data(as_text=True)[:300]
            _FILES[layout, fmt] = r.data
        r = api.c.get(f"/api/v1/studies/{KEY}/endpoints?layout={layout}&format=csv"
                      "&part=dictionary", headers=api.bearer(admin))
        _FILES[layout, "names"] = {d["variable"]: d["name"] for d in _csv(r.data)}


def _csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _rows(layout: str, fmt: str, tmp_path) -> list[dict]:
    """The layout's rows as dicts keyed by the CSV names, read back from ``fmt``."""
    data = _FILES[layout, fmt]
    if fmt == "csv":
        return _csv(data)
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data))
        header, *rows = book[book.sheetnames[0]].iter_rows(values_only=True)
        return [dict(zip(header, r, strict=True)) for r in rows]
    path = tmp_path / f"{layout}.xpt"
    path.write_bytes(data)
    frame = pyreadstat.read_xport(str(path), output_format="dict")[0]
    names = _FILES[layout, "names"]
    return [{names.get(k, k): v for k, v in zip(frame, row, strict=True)}
            for row in zip(*frame.values(), strict=True)]


@pytest.fixture
def read(request, tmp_path):
    if not _FILES:  # the study is simulated once; every test reads the same exports
        _simulate(request.getfixturevalue("api"), request.getfixturevalue("clock"))
    return lambda layout, fmt: _rows(layout, fmt, tmp_path)


def _pm(fmt: str) -> str:
    return "+/-" if fmt == "xpt" else "±"          # XPORT is ASCII


def _num(v):
    """A numeric cell as a number ("" and None: None); CSV text is parsed."""
    return None if v in ("", None) else float(v) if isinstance(v, str) else v


def _one(rows, **match) -> dict:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, len(found))
    return found[0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_summaries_have_one_decimal_not_whole_numbers(read, fmt):
    """Defect: `mean_sd` always whole ("3 ± 2" for 3.4 ± 1.8). The primary line too."""
    rows = read("summary", fmt)
    pain = _one(rows, endpoint="pain_d7", treatment="K")
    assert pain["mean_sd"] == f"3.5 {_pm(fmt)} 0.7" and _num(pain["mean"]) == 3.5
    auc = _one(rows, endpoint="auc_d1_35", treatment="K")
    assert auc["report"] == f"152.0 {_pm(fmt)} 24.0 (NRS 0-10 score-days), n = 2"
    assert auc["primary"] == "Y"
    assert {r["endpoint"] for r in rows if r["primary"] == "Y"} == {"auc_d1_35"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_negative_summaries_carry_no_apostrophe_and_stay_numbers(read, fmt):
    """Defect: "'-2 ± 0" in CSV and XLSX (the formula guard applied to numbers)."""
    chg = _one(read("summary", fmt), endpoint="eq_vas_chg", treatment="K")
    assert chg["mean_sd"] == f"-8.5 {_pm(fmt)} 9.2"
    assert chg["report"] == f"-8.5 {_pm(fmt)} 9.2 (EQ VAS 0-100), n = 2"
    if fmt == "csv":
        assert (chg["mean"], chg["min"]) == ("-8.5", "-15.0")
    else:  # numeric cells, not text
        assert (chg["mean"], chg["min"]) == (-8.5, -15)
        assert isinstance(chg["mean"], float)
    wide = read("wide", fmt)
    assert [_num(r["eq_vas_chg"]) for r in wide if r["period"] in ("1", 1, 1.0)] == [-15, -2]


_NOISE = re.compile(r"\d\.\d{7,}")   # -1.7999999999999998, 94.11764705882354


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_float_noise_and_flags_are_whole_numbers(read, fmt):
    """Defect: CHG float noise, flags "1.0"/"0.0", compliance 94.11764705882354."""
    wide = [r for r in read("wide", fmt) if r["period"] in ("1", 1, 1.0)]
    assert [_num(r["baseline"]) for r in wide] == [3.3, None]          # 23/7
    assert [_num(r["compliance"]) for r in wide] == [94.3, 97.1]       # 33/35, 34/35
    assert [r["ae_any_d0_34"] for r in wide] == (["1", "0"] if fmt == "csv" else [1, 0])
    if fmt == "xlsx":
        assert all(type(r["ae_any_d0_34"]) is int for r in wide)
    long = read("long", fmt)
    compl = [_num(r["AVAL"]) for r in long if r["PARAMCD"] == "COMPLIAN"
             and r["AVAL"] not in ("", None)]
    assert compl == [94.3, 97.1]
    for layout in LAYOUTS:
        cells = [str(v) for r in read(layout, fmt) for v in r.values() if v is not None]
        assert not [c for c in cells if _NOISE.search(c)], layout


def _check_bds(rows: list[dict]) -> None:
    pairs = {(r["PARAMCD"], r["PARAM"]) for r in rows}
    assert len({c for c, _ in pairs}) == len({p for _, p in pairs}) == len(pairs)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_long_table_has_one_param_per_paramcd(read, fmt):
    """Defect: two endpoints with the same default label shared one PARAM."""
    rows = read("long", fmt)
    _check_bds(rows)
    params = {r["PARAMCD"]: r["PARAM"] for r in rows}
    assert len(params) == 23 - 5    # every output but the changes, which fill CHG of a row
    assert params["AUCD135"] == "AUC days 1-35, ends carried, >= 80 % of days"
    for subject in ("P1", "P2"):
        seq = [int(_num(r["ASEQ"])) for r in rows if r["USUBJID"] == subject]
        assert seq == list(range(1, len(seq) + 1))


@pytest.mark.parametrize("fmt", FORMATS)
def test_counts_beside_the_values_in_the_wide_table(read, fmt):
    """Defect: compliance only a percent; the AUC's days and imputation only in the long."""
    p1, p2 = [r for r in read("wide", fmt) if r["period"] in ("1", 1, 1.0)]
    counts = ("compliance_expected", "compliance_completed", "auc_d1_35_n", "eq_vas_pre_n",
              "ae_any_d0_34_n")
    assert [_num(p1[k]) for k in counts] == [35, 33, 33, 1, 35]
    assert [_num(p2[k]) for k in counts] == [35, 34, 34, 1, 35]
    assert (p1["auc_d1_35_dtype"], p2["auc_d1_35_dtype"]) == ("INTERP+LOCF", "INTERP")
    assert _num(p1["eq_lss_pre_n"]) == 5                 # the five dimensions answered


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_summary_names_treatments_and_reads_responders_n_of_n(read, fmt):
    """Defect: treatments only by code; responders a float percent over evaluable rows."""
    rows = read("summary", fmt)
    names = {(r["treatment"], r["treatment_name"]) for r in rows}
    assert names == {("K", "Ketamine infusion"), ("KM", "Ketamine + magnesium infusion"),
                     ("P", "Placebo infusion")}
    ae = _one(rows, endpoint="ae_any_d0_34", treatment="K")
    assert (ae["responders"], ae["responders_all"]) == ("1/2 (50.0 %)", "1/2 (50.0 %)")
    km = _one(rows, endpoint="ae_any_d0_34", treatment="KM")
    assert (km["responders"], km["responders_all"]) == ("0/0 (NA)", "0/2 (0.0 %)")


@pytest.mark.parametrize("fmt", FORMATS)
def test_reasons_read_as_a_report_does(read, fmt):
    """Defect: reasons with internal keys ("pchg_wk5: base: ...")."""
    p1, p2 = [r for r in read("wide", fmt) if r["period"] in ("1", 1, 1.0)]
    assert p2["baseline_reason"] == "baseline has 3 of 7 days, 4 needed"
    assert p2["pain_d15_reason"] == "day 15 not observed"
    assert p1["pain_d15_reason"] in ("", None)
    later = [r for r in read("wide", fmt) if r["period"] in ("2", 2, 2.0)]
    assert {r["auc_d1_35_reason"] for r in later} == {"no infusion recorded for period 2"}
    keys = {k.removesuffix("_reason") for k in p1 if k.endswith("_reason")}
    reasons = [r[k] for r in read("wide", fmt) for k in r if k.endswith("_reason") and r[k]]
    assert reasons and not [x for x in reasons if x.split(":")[0] in keys]
    long = read("long", fmt)
    assert {r["REASON"] for r in long if r["USUBJID"] == "P2" and r["PARAMCD"] == "BASELINE"
            and r["APERIOD"] in ("1", 1, 1.0)} == {"baseline has 3 of 7 days, 4 needed"}
