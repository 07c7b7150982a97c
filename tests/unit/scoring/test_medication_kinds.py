"""MME total, daily mean and change, rescue days: hand-worked, through all three layouts."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diary.medication import diary_rows, load_table, mme, normalise_intake
from diary.protocol.loader import ProtocolError, build_protocol
from scoring.adam import long_table
from scoring.days import DailySeries
from scoring.endpoints import (
    EndpointError,
    compute_endpoints,
    compute_endpoints_batch,
    validate_endpoints,
)
from scoring.matrix import DailyMatrix
from scoring.medication_kind import MEDICATION, MedicationDays
from scoring.report import summary_table
from scoring.tables import PeriodRecord, score_records, wide_table
from tests.unit.protocol.test_protocol_validation import PARALLEL

NO_SCORES = DailySeries([], [])
SPECS = validate_endpoints([
    {"key": "mme_bl", "kind": "mme_daily_mean", "from_day": -7, "to_day": -1},
    {"key": "mme_d0_2", "kind": "mme_total", "from_day": 0, "to_day": 2},
    {"key": "mme_d0_4", "kind": "mme_total", "from_day": 0, "to_day": 4},
    {"key": "mme_mean_d0_2", "kind": "mme_daily_mean", "from_day": 0, "to_day": 2},
    {"key": "rescue_d0_2", "kind": "rescue_days", "from_day": 0, "to_day": 2},
    {"key": "rescue_d0_4", "kind": "rescue_days", "from_day": 0, "to_day": 4},
    {"key": "mme_chg", "kind": "mme_change", "of": "mme_mean_d0_2", "baseline": "mme_bl"},
])


def week(start_day: int | None = -7) -> MedicationDays:
    """A post-operative week, converted with the CDC 2022 table as the integrator will."""
    t = load_table()
    intakes = [  # (study day, drug, dose, unit, route, rescue, id)
        (-2, "morphine", 10, "mg", "oral", False, "m-2"),       # 10 MME
        (0, "oxycodone", 10, "mg", "oral", True, "ox0"),        # 15 MME, rescue
        (0, "paracetamol", 1, "g", "oral", True, "pa0"),        # 0 MME, rescue
        (1, "morphine", 30, "mg", "oral", False, "mo1"),        # 30 MME
        (2, "fentanyl", 25, "mcg/h", "transdermal", False, "fe2"),  # 60 MME on days 2, 3, 4
        (3, "tramadol", 50, "mg", "oral", True, "tr3"),         # 10 MME, rescue
    ]
    rows = []
    for day, drug, dose, unit, route, rescue, id_ in intakes:
        r = mme(normalise_intake(drug, dose, unit, route, table=t), t)
        rows += diary_rows(r, day=day, rescue=rescue, entry_id=id_)
    return MedicationDays.from_rows(rows, start_day=start_day)


def compute(med: MedicationDays | None, **kw) -> dict:
    extra = {} if med is None else {MEDICATION: med}
    return compute_endpoints(SPECS, NO_SCORES, extra=extra, **kw)


def test_hand_worked_totals_means_rescue_days_and_change():
    r = compute(week())
    assert r["mme_d0_2"].value == 15 + 0 + 30 + 60
    assert r["mme_d0_2"].entry_ids == ("ox0", "pa0", "mo1", "fe2")
    assert r["mme_d0_4"].value == 15 + 30 + 60 + (60 + 10) + 60
    assert r["mme_mean_d0_2"].value == (15 + 30 + 60) / 3
    assert r["rescue_d0_2"].value == 100 * 1 / 3                # day 0 only
    assert r["rescue_d0_4"].value == 100 * 2 / 5                # days 0 and 3
    assert r["rescue_d0_4"].entry_ids == ("ox0", "pa0", "tr3")
    assert r["mme_bl"].value == 10 / 7                          # one 10-MME day of seven
    assert r["mme_chg"].value == pytest.approx((15 + 30 + 60) / 3 - 10 / 7)
    assert r["mme_chg"].base == 10 / 7


def test_a_withdrawal_leaves_no_total_but_a_mean_over_the_days_on_study():
    r = compute(week(), stop_day=1)
    assert r["mme_d0_2"].reason == "on study days 0 to 1 only; a total needs days 0 to 2"
    assert r["mme_mean_d0_2"].value == (15 + 30) / 2
    assert (r["mme_mean_d0_2"].n_observed, r["mme_mean_d0_2"].n_expected) == (2, 3)
    assert r["rescue_d0_2"].value == 100 * 1 / 2                 # denominator: days on study


def test_a_diary_opened_after_the_window_gives_a_reason():
    r = compute(week(start_day=1))
    assert r["mme_mean_d0_2"].value == (30 + 60) / 2             # days 1 and 2 on study
    assert r["mme_bl"].reason == ("no medication diary days: not on study in days -7 to -1 "
                                  "(diary opened on day 1)")
    assert r["mme_chg"].reason == ("days 0 to 2: baseline: no medication diary days: not on "
                                   "study in days -7 to -1 (diary opened on day 1)")
    assert compute(None)["mme_d0_2"].reason == "no medication diary for this period"


def test_a_participant_without_any_intake_has_zero_mme_and_no_rescue_days():
    r = compute(MedicationDays.from_rows([], start_day=-7))
    assert (r["mme_d0_2"].value, r["mme_mean_d0_2"].value, r["rescue_d0_4"].value) == (0, 0, 0)


def test_outputs_stay_pending_until_their_window_is_over():
    r = compute(week(), today_day=2)
    assert r["mme_d0_2"].reason == "pending: window ends day 2, today is day 2"
    assert r["mme_bl"].value == 10 / 7


def test_an_intake_without_mme_makes_the_total_missing_unless_skipped():
    t = load_table()
    bup = mme(normalise_intake("buprenorphine", 10, "mcg/h", "transdermal"), t)
    rows = [(1, 15, False, "ox1"), *((d, v, False, "bu1", bup.reason) for d, v in bup.days(1))]
    med = MedicationDays.from_rows(rows)
    specs = validate_endpoints([
        {"key": "strict", "kind": "mme_total", "from_day": 0, "to_day": 2},
        {"key": "skip", "kind": "mme_total", "from_day": 0, "to_day": 2, "unconverted": "skip"},
        {"key": "before", "kind": "mme_total", "from_day": 2, "to_day": 3}])
    r = compute_endpoints(specs, NO_SCORES, extra={MEDICATION: med})
    assert r["strict"].reason == (
        "1 intake(s) without MME in days 0 to 2, first on day 1: buprenorphine has no MME "
        "factor in CDC 2022 (partial mu-opioid agonist; not in its conversion table)")
    assert r["skip"].value == 15
    assert r["before"].value == 0


def test_batch_rows_equal_one_by_one_results():
    meds = [week(), week(start_day=1), MedicationDays.from_rows([], start_day=0)]
    m = DailyMatrix(np.full((3, 1), np.nan), 0)
    batch = compute_endpoints_batch(SPECS, m, stop_day=[None, 3, None],
                                    extra=[{MEDICATION: x} for x in meds])
    for i, (med, stop) in enumerate(zip(meds, [None, 3, None], strict=True)):
        one = compute(med, stop_day=stop)
        for key, res in one.items():
            assert batch[key].result(i) == res


def records() -> tuple[list[PeriodRecord], list[dict]]:
    recs = [PeriodRecord("S1", "PAR01", "ketamine", NO_SCORES, 1),
            PeriodRecord("S2", "PAR01", "standard_care", NO_SCORES, 1)]
    return recs, [{MEDICATION: week()}, {MEDICATION: week(start_day=1)}]


def test_the_endpoints_flow_into_the_wide_long_and_summary_layouts():
    recs, extra = records()
    scored = score_records(recs, SPECS, extra=extra)
    wide = wide_table(scored).dicts()
    assert wide[0]["mme_d0_2"] == 105 and wide[1]["mme_bl"] is None
    assert wide[1]["mme_bl_reason"].startswith("no medication diary days")
    long = {(r["USUBJID"], r["PARAMCD"]): r for r in long_table(scored).dicts()}
    row = long["S1", "MMEMEA02"]                  # the change fills BASE and CHG of its row
    # rounded to the declared one decimal when laid out: 10 / 7 -> 1.4, 35 - 10 / 7 -> 33.6
    assert (row["AVAL"], row["BASE"], row["CHG"]) == (35.0, 1.4, 33.6)
    assert row["SRCIDS"] == "ox0;pa0;mo1;fe2"          # AVAL's own intakes
    assert ("S1", "MMECHG") not in long
    summary = {(r["treatment"], r["endpoint"]): r for r in summary_table(scored).dicts()}
    assert summary["ketamine", "mme_d0_2"]["mean"] == 105
    assert summary["standard_care", "rescue_d0_4"]["mean"] == 100 * 1 / 4   # days 1-4


@pytest.mark.parametrize(
    ("declarations", "message"),
    [
        ([{"key": "m", "kind": "mme_total", "from_day": 0}], "endpoints[0].to_day: is required"),
        ([{"key": "m", "kind": "mme_total", "from_day": 3, "to_day": 0}],
         "endpoints[0].from_day: must be <= to_day (3 > 0)"),
        ([{"key": "m", "kind": "mme_total", "from_day": 0, "to_day": 2, "unconverted": "zero"}],
         "endpoints[0].unconverted: must be one of none, skip, got 'zero'"),
        ([{"key": "m", "kind": "mme_daily_mean", "from_day": 0, "to_day": 2, "min_days": 4}],
         "endpoints[0].min_days: must be <= the 3 days of the window, got 4"),
        ([{"key": "r", "kind": "rescue_days", "from_day": 0, "to_day": 2, "unconverted": "skip"}],
         "endpoints[0].unconverted: unknown field (allowed: from_day, key, kind, label, "
         "min_days, paramcd, precision, primary, to_day, unit)"),
        ([{"key": "a", "kind": "auc", "from_day": 1, "to_day": 3},
          {"key": "m", "kind": "mme_daily_mean", "from_day": -7, "to_day": -1},
          {"key": "c", "kind": "mme_change", "of": "a", "baseline": "m"}],
         "endpoints[2].of: 'a' is a auc endpoint; mme_change compares mme_daily_mean (or "
         "mme_total) endpoints"),
        ([{"key": "t", "kind": "mme_total", "from_day": 0, "to_day": 2},
          {"key": "m", "kind": "mme_daily_mean", "from_day": -7, "to_day": -1},
          {"key": "c", "kind": "mme_change", "of": "t", "baseline": "m"}],
         "endpoints[2].baseline: 'm' is mme_daily_mean but 't' is mme_total; compare like "
         "with like"),
        ([{"key": "t", "kind": "mme_total", "from_day": 0, "to_day": 2},
          {"key": "b", "kind": "mme_total", "from_day": -7, "to_day": -1},
          {"key": "c", "kind": "mme_change", "of": "t", "baseline": "b"}],
         "endpoints[2].baseline: totals over 3 and 7 days are not comparable; use "
         "mme_daily_mean"),
        ([{"key": "t", "kind": "mme_total", "from_day": 0, "to_day": 2},
          {"key": "c", "kind": "mme_change", "of": "t"}],
         "endpoints[1].baseline: is required"),
        ([{"key": "bl", "kind": "baseline"},
          {"key": "t", "kind": "mme_total", "from_day": 0, "to_day": 2},
          {"key": "c", "kind": "change", "of": "t"}],
         "endpoints[2].of: 't' is a mme_total endpoint; change needs a score such as auc, "
         "timepoint or weekly"),
    ],
)
def test_medication_endpoint_declarations_are_validated_with_path_and_rule(declarations,
                                                                           message):
    with pytest.raises(EndpointError) as e:
        validate_endpoints(declarations)
    assert message in str(e.value).splitlines()


def test_a_protocol_declares_the_medication_endpoints_and_its_mistakes_are_named():
    data = copy.deepcopy(PARALLEL)
    data["endpoints"] = [{"key": "mme_d0_2", "kind": "mme_total", "from_day": 0, "to_day": 2},
                         {"key": "rescue", "kind": "rescue_days", "from_day": 0, "to_day": 7}]
    assert [s.kind for s in build_protocol(data).endpoints] == ["mme_total", "rescue_days"]
    data["endpoints"][1]["to_day"] = "seven"
    with pytest.raises(ProtocolError, match=r"endpoints\[1\]\.to_day: must be an integer"):
        build_protocol(data)


# ---- properties ------------------------------------------------------------------------

rows = st.lists(st.tuples(st.integers(-3, 10), st.integers(0, 200)), max_size=30)
TOTAL = validate_endpoints([{"key": "t", "kind": "mme_total", "from_day": 0, "to_day": 7}])


def total(rs, k=1) -> float:
    med = MedicationDays.from_rows([(d, v * k, False, f"i{i}") for i, (d, v) in enumerate(rs)])
    return compute_endpoints(TOTAL, NO_SCORES, extra={MEDICATION: med})["t"].value


@settings(deadline=None, max_examples=200)
@given(rows, rows)
def test_the_total_is_additive_over_intakes(a, b):
    assert total(a + b) == total(a) + total(b)
    assert total(a) == sum(v for d, v in a if 0 <= d <= 7)


@settings(deadline=None, max_examples=200)
@given(rows, st.integers(1, 5))
def test_scaling_every_dose_scales_the_total(a, k):
    assert total(a, k) == k * total(a)
