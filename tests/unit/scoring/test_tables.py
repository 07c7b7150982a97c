"""Wide, long (ADaM BDS) and summary tables, their dictionaries and XPORT names."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.adam import long_table, trace_table
from scoring.days import DailySeries
from scoring.endpoints import compute_endpoints, validate_endpoints
from scoring.matrix import DailyMatrix
from scoring.naming import short_names, xport_name
from scoring.report import primary_line, summary_table
from scoring.tables import PeriodRecord, PeriodRecords, score_records, wide_table

CROSSOVER = validate_endpoints([
    {"key": "auc_d1_35", "kind": "auc", "from_day": 1, "to_day": 35, "min_coverage": 0.8},
    {"key": "pain_d7", "kind": "timepoint", "day": 7},
    {"key": "compliance", "kind": "compliance", "from_day": 1, "to_day": 35},
])


def flat(value: float, *, days=range(1, 36), tag="") -> DailySeries:
    days = list(days)
    return DailySeries(days, [value] * len(days), [f"{tag}d{d}" for d in days])


def crossover_records() -> list[PeriodRecord]:
    """Two participants, three 35-day periods each (K, KM, P), one infusion per period."""
    plan = {"S1": ("K-KM-P", [("K", 6.0), ("KM", 4.0), ("P", 8.0)]),
            "S2": ("P-K-KM", [("P", 7.0), ("K", 2.0), ("KM", 3.0)])}
    records = []
    for subject, (sequence, periods) in plan.items():
        for period, (treatment, score) in enumerate(periods, start=1):
            anchor = dt.date(2027, 1, 1) + dt.timedelta(days=35 * (period - 1))
            records.append(PeriodRecord(subject, "PAR", treatment,
                                        flat(score, tag=f"{subject}p{period}"), period,
                                        sequence, anchor))
    return records


def test_the_wide_table_has_one_row_per_participant_period():
    t = wide_table(score_records(crossover_records(), CROSSOVER))
    assert t.header() == ["subject", "site", "treatment", "sequence", "period", "anchor_date",
                          "auc_d1_35", "auc_d1_35_n", "auc_d1_35_dtype", "auc_d1_35_reason",
                          "pain_d7", "pain_d7_n", "pain_d7_reason",
                          "compliance", "compliance_expected", "compliance_completed",
                          "compliance_reason", "staff_entered"]
    assert t.header(xport=True)[6:] == [
        "AUCD135", "NAUCD135", "TAUCD135", "RAUCD135", "PAIND7", "NPAIND7", "RPAIND7",
        "COMPLIAN", "ECOMPLIA", "CCOMPLIA", "RCOMPLIA", "STAFFFL"]
    assert len(t.rows) == 2 * 3
    first = t.dicts()[0]
    assert first["auc_d1_35"] == 6.0 * (35 - 1)
    assert first["auc_d1_35_reason"] is None
    assert (first["period"], first["anchor_date"]) == (1, dt.date(2027, 1, 1))


def test_staff_entered_flags_rows_with_a_value_from_a_staff_record():
    records = crossover_records()
    scored = score_records(records, CROSSOVER)
    read = scored.results["pain_d7"].entry_ids(0, scored.matrix.entry_ids,
                                               scored.matrix.first_day)
    assert read  # the day-7 entry of the first record
    t = wide_table(scored, staff={read[0]: "paper"})
    flags = [r["staff_entered"] for r in t.dicts()]
    assert flags == ["Y"] + [None] * (len(records) - 1)
    assert [r["staff_entered"] for r in wide_table(scored).dicts()] == [None] * len(records)


def test_a_record_without_its_anchor_has_every_value_empty_with_its_reason():
    """Intention to treat: no day is known, so not even compliance is 0 %."""
    kept = crossover_records()[0]
    ghost = PeriodRecord("S3", "PAR", "K", DailySeries([], []), 1, "K-KM-P",
                         missing="no infusion recorded for period 1")
    scored = score_records([kept, ghost], CROSSOVER)
    wide = wide_table(scored).dicts()
    assert wide[0]["compliance"] == 100.0 and wide[0]["pain_d7"] == 6.0
    for key in ("auc_d1_35", "pain_d7", "compliance"):
        assert wide[1][key] is None
        assert wide[1][f"{key}_reason"] == "no infusion recorded for period 1"
    counts = ("auc_d1_35_n", "auc_d1_35_dtype", "pain_d7_n", "compliance_expected",
              "compliance_completed")
    assert [wide[1][c] for c in counts] == [None] * 5      # no day known: no count either
    ghost_rows = [r for r in long_table(scored).dicts() if r["USUBJID"] == "S3"]
    assert len(ghost_rows) == 3
    assert {(r["AVAL"], r["ANL01FL"], r["SRCIDS"], r["REASON"]) for r in ghost_rows} == {
        (None, None, None, "no infusion recorded for period 1")}


def test_the_crossover_primary_line_is_mean_sd_per_treatment():
    scored = score_records(crossover_records(), CROSSOVER)
    # K: AUCs 6*34 = 204 and 2*34 = 68; KM: 136 and 102; P: 272 and 238
    sd_k = math.sqrt(((204 - 136) ** 2 + (68 - 136) ** 2) / (2 - 1))
    assert round(sd_k, 3) == 96.167 and round(math.sqrt(2 * 17 ** 2), 3) == 24.042
    unit = "(NRS 0-10 score-days), n = 2"           # the AUC kind's default unit
    assert primary_line(scored, "auc_d1_35") == {                 # one decimal, declared
        "K": f"136.0 ± 96.2 {unit}", "KM": f"119.0 ± 24.0 {unit}",
        "P": f"255.0 ± 24.0 {unit}"}
    assert primary_line(scored, "auc_d1_35", decimals=0) == {
        "K": f"136 ± 96 {unit}", "KM": f"119 ± 24 {unit}", "P": f"255 ± 24 {unit}"}
    rows = {(r["treatment"], r["endpoint"]): r for r in summary_table(scored).dicts()}
    k = rows["K", "auc_d1_35"]
    assert (k["n"], k["n_missing"], k["mean"], k["median"], k["min"], k["max"]) == (
        2, 0, (204 + 68) / 2, (204 + 68) / 2, 68.0, 204.0)
    assert k["sd"] == 96.2                                     # sd_k to one decimal


def test_several_anchors_of_one_participant_are_scored_separately():
    courses = [PeriodRecord("C1", "LYO", "ketamine", flat(float(i), days=range(-7, 11)), i,
                            None, dt.date(2026, 1, 1) + dt.timedelta(days=60 * i))
               for i in (1, 2, 3)]
    specs = validate_endpoints([{"key": "bl", "kind": "baseline"},
                                {"key": "auc_d1_10", "kind": "auc", "from_day": 1,
                                 "to_day": 10}])
    rows = wide_table(score_records(courses, specs)).dicts()
    assert [(r["period"], r["bl"], r["auc_d1_10"]) for r in rows] == [
        (1, 1.0, 1.0 * 9), (2, 2.0, 2.0 * 9), (3, 3.0, 3.0 * 9)]


def test_missing_values_come_with_their_reason_in_the_wide_table():
    recs = [PeriodRecord("S9", "PAR", "K", flat(5.0, days=range(1, 21)), 1, today_day=40)]
    row = wide_table(score_records(recs, CROSSOVER)).dicts()[0]
    assert row["auc_d1_35"] is None
    assert row["auc_d1_35_reason"] == "days 1 to 35 have 20 of 35 days, 80 % needed"
    assert row["compliance"] == 57.1                 # 100 * 20 / 35, to one decimal


CRPS = validate_endpoints([
    {"key": "baseline", "kind": "baseline"},
    {"key": "weekly", "kind": "weekly", "weeks": 12},
    {"key": "chg_w12", "kind": "change", "of": "weekly_w12"},
    {"key": "pchg_w12", "kind": "percent_change", "of": "weekly_w12"},
    {"key": "resp30_w12", "kind": "responder", "of": "pchg_w12", "reduction_percent": 30},
    {"key": "resp50_w12", "kind": "responder", "of": "pchg_w12", "reduction_percent": 50},
    {"key": "auc_w1_12", "kind": "auc", "from_day": 1, "to_day": 84},
])


def crps_records() -> list[PeriodRecord]:
    def participant(i: int, week12: list[float]) -> DailySeries:
        daily = {d: 6.0 for d in range(-7, 0)} | {d: 6.0 for d in range(1, 78) if d != 40}
        daily |= dict(zip(range(78, 78 + len(week12)), week12, strict=False))
        return DailySeries(list(daily), list(daily.values()), [f"p{i}d{d}" for d in daily])

    return [PeriodRecord("P1", "01", "infusion", participant(1, [4, 4, 5, 4, 4])),
            PeriodRecord("P2", "01", "placebo", participant(2, [6, 6, 6, 5])),
            PeriodRecord("P3", "02", "placebo", participant(3, [6, 6]))]


def test_the_long_table_puts_base_chg_pchg_and_criteria_on_the_value_row():
    t = long_table(score_records(crps_records(), CRPS))
    assert t.header()[:6] == ["USUBJID", "SITEID", "TRTA", "TRTSEQP", "APERIOD", "ANCHDT"]
    assert t.header()[6:] == ["ASEQ", "PARAMCD", "PARAM", "PARCAT1", "AVISIT", "AVISITN",
                              "ADY", "AVAL", "BASE", "CHG", "PCHG", "ABLFL", "CRIT1",
                              "CRIT1FL", "CRIT2", "CRIT2FL",
                              "DTYPE", "ANL01FL", "REASON", "SRCIDS", "ENTSRC"]
    rows = t.dicts()
    assert len(rows) == 3 * (1 + 12 + 1)           # baseline, 12 weeks, AUC per participant
    w12 = next(r for r in rows if r["USUBJID"] == "P1" and r["AVISIT"] == "WEEK 12")
    assert (w12["PARAMCD"], w12["AVISITN"], w12["ADY"]) == ("WEEKLY", 12, 84)
    assert w12["AVAL"] == pytest.approx((4 + 4 + 5 + 4 + 4) / 5)
    assert (w12["BASE"], w12["PCHG"]) == (6.0, -30.0)
    assert w12["CHG"] == pytest.approx(4.2 - 6)
    assert (w12["CRIT1"], w12["CRIT1FL"], w12["CRIT2"], w12["CRIT2FL"]) == (
        "PCHG <= -30", "Y", "PCHG <= -50", "N")
    assert w12["SRCIDS"] == "p1d78;p1d79;p1d80;p1d81;p1d82"
    bl = next(r for r in rows if r["USUBJID"] == "P1" and r["PARAMCD"] == "BASELINE")
    assert (bl["ABLFL"], bl["AVAL"], bl["BASE"], bl["AVISIT"]) == ("Y", 6.0, 6.0, "BASELINE")
    auc = next(r for r in rows if r["USUBJID"] == "P1" and r["PARAMCD"] == "AUCW112")
    assert (auc["DTYPE"], auc["ANL01FL"]) == ("INTERP+LOCF", "Y")
    assert (auc["PARCAT1"], w12["PARCAT1"], bl["PARCAT1"]) == ("AUC", "WEEKLY", "BASELINE")
    assert (auc["PARAM"], w12["PARAM"], bl["PARAM"]) == (
        "AUC days 1-84, ends carried", "Weekly mean pain, weeks 1-12, >= 4 of 7 days",
        "Baseline mean pain, days -7 to -1, >= 4 days")
    p1 = [r for r in rows if r["USUBJID"] == "P1"]
    assert [r["ASEQ"] for r in p1] == list(range(1, 15))
    assert [r["PARAMCD"] for r in p1[:2]] == ["BASELINE", "WEEKLY"]
    p3 = next(r for r in rows if r["USUBJID"] == "P3" and r["AVISIT"] == "WEEK 12")
    assert (p3["AVAL"], p3["ANL01FL"], p3["CRIT1"], p3["CRIT1FL"]) == (None, None, None, None)
    assert p3["REASON"] == "week 12 has 2 of 7 days, 4 needed"


def test_responder_proportions_per_arm():
    rows = {(r["treatment"], r["endpoint"]): r
            for r in summary_table(score_records(crps_records(), CRPS)).dicts()}
    assert (rows["infusion", "resp30_w12"]["n_responders"],
            rows["infusion", "resp30_w12"]["percent_responders"]) == (1, 100.0)
    placebo = rows["placebo", "resp30_w12"]
    assert (placebo["n"], placebo["n_missing"], placebo["n_responders"]) == (1, 1, 0)
    assert placebo["percent_responders"] == 100 * 0 / 1


@pytest.mark.parametrize("layout", [wide_table, long_table, summary_table, trace_table])
def test_every_layout_fits_xport_and_has_a_complete_dictionary(layout):
    t = layout(score_records(crps_records() + crossover_records(), CRPS + CROSSOVER))
    assert len(t.name) <= 8
    names = [d["variable"] for d in t.dictionary()]
    assert len(set(names)) == len(names)
    for d in t.dictionary():
        assert len(d["variable"]) <= 8 and d["variable"] == d["variable"].upper()
        assert 0 < len(d["label"]) <= 40
        assert d["type"] in ("num", "char", "date")
        assert d["derivation"]
    assert all(len(row) == len(t.columns) for row in t.rows)
    assert not any(isinstance(v, float) and math.isnan(v) for row in t.rows for v in row)


def test_the_trace_table_lists_each_entry_behind_each_value():
    recs = [PeriodRecord("S1", "PAR", "K", flat(5.0, days=[6, 7, 8], tag="x"), 1)]
    specs = validate_endpoints([{"key": "d7", "kind": "timepoint", "day": 7, "window": 1}])
    assert trace_table(score_records(recs, specs)).rows == [
        ("S1", 1, "d7", "xd6"), ("S1", 1, "d7", "xd7"), ("S1", 1, "d7", "xd8")]


def test_a_prebuilt_matrix_scores_like_the_records_series():
    records = crossover_records()
    series = [r.daily for r in records]
    rows = np.repeat(np.arange(len(series)), [len(s) for s in series])
    m = DailyMatrix.from_long(rows, np.concatenate([s.days for s in series]),
                              np.concatenate([s.values for s in series]), n_rows=len(series),
                              first_day=1, last_day=35)
    bare = [PeriodRecord(r.subject, r.site, r.treatment, None, r.period) for r in records]
    a = wide_table(score_records(records, CROSSOVER)).rows
    b = wide_table(score_records(bare, CROSSOVER, matrix=m)).rows
    assert [r[6:] for r in a] == [r[6:] for r in b]
    with pytest.raises(ValueError, match="the endpoints read days 1 to 35"):
        score_records(bare, CROSSOVER, matrix=DailyMatrix(m.values[:, :30], 1))


def test_short_names_are_deterministic_unique_and_keep_trailing_numbers():
    keys = ["weekly_w1", "weekly_w10", "pain-d7", "pain_d7", "auc_d1_35", "auc_d1_35_x"]
    names = short_names(keys, reserved=["USUBJID"])
    assert names == short_names(keys, reserved=["USUBJID"])
    assert names == {"weekly_w1": "WEEKLYW1", "weekly_w10": "WEEKLY10", "pain-d7": "PAIND7",
                     "pain_d7": "PAIND71", "auc_d1_35": "AUCD135", "auc_d1_35_x": "AUCD135X"}


@settings(deadline=None, max_examples=100)
@given(st.lists(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,62}", fullmatch=True), unique=True,
                max_size=40))
def test_any_endpoint_keys_get_unique_xport_names(keys):
    names = list(short_names(keys).values())
    assert len(set(names)) == len(names)
    assert all(len(n) <= 8 and n[0].isalpha() and n.isalnum() for n in names)
    assert all(xport_name(k) == xport_name(k) for k in keys)


def test_records_kept_as_columns_score_and_lay_out_like_a_list_of_records():
    records = crossover_records()
    series = [r.daily for r in records]
    rows = np.repeat(np.arange(len(series)), [len(s) for s in series])
    m = DailyMatrix.from_long(rows, np.concatenate([s.days for s in series]),
                              np.concatenate([s.values for s in series]), n_rows=len(series),
                              first_day=1, last_day=35,
                              entry_ids=[i for s in series for i in s.entry_ids])
    # Withdrawn (stop day) and pending (today) values differ per record.
    today = [40, 40, 20, 40, 40, 40]
    stop = [None, None, 12, None, None, None]
    listed = [PeriodRecord(r.subject, r.site, r.treatment, None, r.period, r.sequence,
                           r.anchor_date, t, s) for r, t, s in zip(records, today, stop,
                                                                    strict=True)]
    columns = PeriodRecords(**{f: [getattr(r, f) for r in listed]
                               for f in ("subject", "site", "treatment", "period", "sequence",
                                         "anchor_date", "today_day", "stop_day")})
    assert list(columns) == listed and columns[2] == listed[2]
    for layout in (wide_table, long_table, summary_table):
        a = layout(score_records(listed, CROSSOVER, matrix=m))
        b = layout(score_records(columns, CROSSOVER, matrix=m))
        assert a.rows == b.rows
    assert wide_table(score_records(columns, CROSSOVER, matrix=m)).dicts()[2][
        "auc_d1_35_reason"].startswith("pending")
    with pytest.raises(ValueError, match="different lengths"):
        PeriodRecords(subject=["S1"], site=[])
    with pytest.raises(TypeError, match="no field 'arm'"):
        PeriodRecords(arm=["A"])


def test_endpoints_with_the_same_default_label_get_distinct_params():
    """Once two weekly endpoints shared "Weekly mean score" as PARAM (issue 14)."""
    specs = validate_endpoints([
        {"key": "baseline", "kind": "baseline"},
        {"key": "weekly", "kind": "weekly", "weeks": 2},
        {"key": "weekly_strict", "kind": "weekly", "weeks": 2, "min_days": 6},
        {"key": "weekly_again", "kind": "weekly", "weeks": 2},
        {"key": "d7", "kind": "timepoint", "day": 7, "label": "Pain day 7"},
        {"key": "d7_too", "kind": "timepoint", "day": 7, "label": "Pain day 7"},
    ])
    recs = [PeriodRecord("P1", "01", "A", DailySeries([-1, 7], [5, 4]))]
    rows = long_table(score_records(recs, specs)).dicts()
    params = {r["PARAMCD"]: r["PARAM"] for r in rows}
    assert params == {
        "BASELINE": "Baseline mean pain, days -7 to -1, >= 4 days",
        "WEEKLY": "Weekly mean pain, weeks 1-2, >= 4 of 7 days",
        "WEEKLYST": "Weekly mean pain, weeks 1-2, >= 6 of 7 days",
        "WEEKLYAG": "Weekly mean pain, weeks 1-2, >= 4 of 7 days (WEEKLYAG)",
        "D7": "Pain day 7",
        "D7TOO": "Pain day 7 (D7TOO)",
    }
    assert [r["ASEQ"] for r in rows] == list(range(1, 1 + 1 + 2 + 2 + 2 + 1 + 1))
    assert {r["PARCAT1"] for r in rows} == {"BASELINE", "WEEKLY", "TIMEPOINT"}


def test_the_wide_table_counts_days_used_imputation_and_diary_compliance():
    """Hand-counted: days 1-35 but 3, 34 and 35 observed; today is day 36, enrolled day 2."""
    days = [d for d in range(1, 36) if d not in (3, 34, 35)]
    gappy = PeriodRecord("S1", "PAR", "K", DailySeries(days, [5.0] * len(days)), 1,
                         today_day=36, start_day=2)
    short = PeriodRecord("S2", "PAR", "K", DailySeries([7, 8], [4.0, 4.0]), 1,
                         today_day=36, start_day=1)
    rows = wide_table(score_records([gappy, short], CROSSOVER)).dicts()
    assert [(r["auc_d1_35"] is not None, r["auc_d1_35_n"], r["auc_d1_35_dtype"])
            for r in rows] == [(True, 32, "INTERP+LOCF"), (False, 2, None)]
    assert rows[1]["auc_d1_35_reason"] == "days 1 to 35 have 2 of 35 days, 80 % needed"
    assert [(r["pain_d7"], r["pain_d7_n"]) for r in rows] == [(5.0, 1), (4.0, 1)]
    # expected: days 2-35 for S1 (enrolled day 2), days 1-35 for S2; completed: scored days
    assert [(r["compliance_expected"], r["compliance_completed"]) for r in rows] == [
        (34, 31), (35, 2)]


def test_the_wide_counts_agree_with_the_per_participant_path():
    """The wide table (batch) gives each row's counts as compute_endpoints (one series)."""
    records = [*crossover_records()[:2],
               PeriodRecord("S9", "PAR", "K", DailySeries([2, 5, 9], [3.0, 4.0, 6.0]), 1,
                            today_day=20, start_day=1)]
    rows = wide_table(score_records(records, CROSSOVER)).dicts()
    for rec, row in zip(records, rows, strict=True):
        one = compute_endpoints(CROSSOVER, rec.daily, today_day=rec.today_day,
                                start_day=rec.start_day)
        assert (row["auc_d1_35_n"], row["auc_d1_35_dtype"]) == (
            one["auc_d1_35"].n_observed, one["auc_d1_35"].dtype)
        assert row["pain_d7_n"] == one["pain_d7"].n_observed
        assert (row["compliance_expected"], row["compliance_completed"]) == (
            one["compliance"].n_expected, one["compliance"].n_observed)


def test_the_long_dictionary_is_define_style():
    t = long_table(score_records(crps_records(), CRPS))
    d = {row["variable"]: row for row in t.dictionary()}
    assert (d["PARAMCD"]["type"], d["PARAMCD"]["length"]) == ("char", 8)   # AUCW112, BASELINE
    assert d["PARAMCD"]["codelist"] == "BASELINE; WEEKLY; AUCW112"
    assert d["PARAMCD"]["derivation"].endswith(
        "BASELINE = Baseline mean pain, days -7 to -1, >= 4 days; "
        "WEEKLY = Weekly mean pain, weeks 1-12, >= 4 of 7 days; "
        "AUCW112 = AUC days 1-84, ends carried")
    assert d["PARCAT1"]["codelist"] == "BASELINE; WEEKLY; AUC"
    assert (d["ASEQ"]["type"], d["ASEQ"]["length"]) == ("num", 8)
    assert (d["CRIT1FL"]["codelist"], d["ABLFL"]["codelist"]) == ("Y; N", "Y")
    assert d["DTYPE"]["codelist"] == "INTERP; NOCB; LOCF"
    assert d["DTYPE"]["length"] == len("INTERP+LOCF")
    assert d["AVISIT"]["codelist"] == ""
