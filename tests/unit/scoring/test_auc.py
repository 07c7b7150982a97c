"""AUC by the linear trapezoidal rule: hand-worked cases and the rule matrix."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.auc import CoverageRule, auc, auc_batch
from scoring.days import DailySeries


def series(pairs: dict[int, float]) -> DailySeries:
    return DailySeries(list(pairs), list(pairs.values()), entry_ids=[f"e{d}" for d in pairs])


def test_complete_days_give_the_trapezoid_sum():
    r = auc(series({1: 2, 2: 4, 3: 6, 4: 4, 5: 2}), a=1, b=5)
    assert r.value == (2 + 4) / 2 + (4 + 6) / 2 + (6 + 4) / 2 + (4 + 2) / 2
    assert (r.dtype, r.n_observed, r.n_expected) == (None, 5, 5)
    assert r.entry_ids == ("e1", "e2", "e3", "e4", "e5")


def test_a_missing_interior_day_is_interpolated_linearly():
    r = auc(series({1: 2, 2: 4, 4: 4, 5: 2}), a=1, b=5)
    assert r.value == (2 + 4) / 2 * 1 + (4 + 4) / 2 * 2 + (4 + 2) / 2 * 1
    assert r.dtype == "INTERP"


def test_an_interior_gap_equals_filling_the_day_with_the_neighbours_mean():
    gappy = auc(series({1: 2, 2: 4, 4: 8, 5: 2}), a=1, b=5)
    filled = auc(series({1: 2, 2: 4, 3: (4 + 8) / 2, 4: 8, 5: 2}), a=1, b=5)
    assert gappy.value == filled.value


@pytest.mark.parametrize(
    ("observed", "ends", "value", "dtype", "reason"),
    [
        ({2: 4, 3: 6, 4: 4, 5: 2}, "carry", 4 * 1 + (4 + 6) / 2 + (6 + 4) / 2 + (4 + 2) / 2,
         "NOCB", None),
        ({1: 2, 2: 4, 3: 6, 4: 4}, "carry", (2 + 4) / 2 + (4 + 6) / 2 + (6 + 4) / 2 + 4 * 1,
         "LOCF", None),
        ({2: 4, 3: 6, 4: 4}, "carry", 4 * 1 + (4 + 6) / 2 + (6 + 4) / 2 + 4 * 1,
         "NOCB+LOCF", None),
        ({2: 4, 4: 4}, "carry", 4 * 1 + (4 + 4) / 2 * 2 + 4 * 1, "INTERP+NOCB+LOCF", None),
        ({2: 4, 3: 6, 4: 4, 5: 2}, "none", None, None, "day 1 not observed (ends='none')"),
        ({1: 2, 2: 4, 3: 6, 4: 4}, "none", None, None, "day 5 not observed (ends='none')"),
        ({2: 4, 3: 6, 4: 4}, "none", None, None, "days 1 and 5 not observed (ends='none')"),
        ({1: 2, 3: 6, 5: 2}, "none", (2 + 6) / 2 * 2 + (6 + 2) / 2 * 2, "INTERP", None),
    ],
)
def test_missing_ends_follow_the_protocol_rule(observed, ends, value, dtype, reason):
    r = auc(series(observed), a=1, b=5, ends=ends)
    assert (r.value, r.dtype, r.reason) == (value, dtype, reason)


@pytest.mark.parametrize(
    ("n_observed", "rule", "reason"),
    [
        (27, {"min_coverage": 0.8}, "days 1 to 35 have 27 of 35 days, 80 % needed"),
        (28, {"min_coverage": 0.8}, None),                     # 0.8 * 35 = 28 exactly
        (3, {"min_days": 4}, "days 1 to 35 have 3 of 35 days, 4 needed"),
        (4, {"min_days": 4}, None),
        (29, {"min_coverage": 0.8, "min_days": 30}, "days 1 to 35 have 29 of 35 days, 30 needed"),
        (0, {}, "days 1 to 35 have 0 of 35 days, 1 needed"),
    ],
)
def test_too_little_coverage_gives_no_value_with_the_reason(n_observed, rule, reason):
    s = series({d: 5.0 for d in range(1, n_observed + 1)})
    r = auc(s, a=1, b=35, **rule)
    assert r.reason == reason
    assert (r.value is None) == (reason is not None)
    assert r.n_observed == n_observed


def test_a_single_observed_day_is_carried_over_the_whole_window():
    r = auc(series({10: 3.0}), a=1, b=35)
    assert r.value == 3.0 * (35 - 1)
    assert r.dtype == "NOCB+LOCF"
    assert auc(series({10: 3.0}), a=1, b=35, ends="none").value is None


def test_a_one_day_window_has_zero_area():
    assert auc(series({7: 6.0}), a=7, b=7).value == 0.0


def test_days_outside_the_window_are_not_used():
    r = auc(series({0: 10, 1: 2, 2: 2, 3: 10}), a=1, b=2)
    assert (r.value, r.entry_ids) == ((2 + 2) / 2 * 1, ("e1", "e2"))


def test_baseline_days_may_form_a_window_of_negative_days():
    r = auc(series({-3: 6, -2: 4, -1: 2}), a=-3, b=-1)
    assert r.value == (6 + 4) / 2 + (4 + 2) / 2


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_numpy_trapezoid_on_complete_data(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 11, size=35).astype(float)
    days = np.arange(1, 36)
    expected = float(np.trapezoid(values, days))
    assert auc(DailySeries(days, values), a=1, b=35).value == pytest.approx(expected, abs=1e-12)
    batch = auc_batch(values[None, :], 1, a=1, b=35).values[0]
    assert batch == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"a": 5, "b": 1}, r"b \(1\) must be >= a \(5\)"),
        ({"a": 1, "b": 5, "ends": "zero"}, r"ends must be one of \('carry', 'none'\)"),
        ({"a": 1, "b": 5, "min_coverage": 1.5}, r"min_coverage must be a fraction in \(0, 1\]"),
        ({"a": 1, "b": 5, "min_days": 0}, r"min_days must be an integer >= 1"),
        ({"a": 1.5, "b": 5}, r"a must be an integer study day"),
    ],
)
def test_caller_mistakes_raise_a_precise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        auc(series({1: 1.0}), **kwargs)


def test_the_coverage_rule_decides_on_exact_fractions():
    # 0.55 * 100 is 55.00000000000001 in floats, whose ceiling would demand 56 days.
    assert 0.55 * 100 > 55
    assert CoverageRule(min_coverage=0.55).required(100) == 55
    assert CoverageRule(min_coverage=0.8).required(35) == 28


def test_batch_rows_carry_reasons_dtype_and_counts():
    m = np.array([
        [2.0, 4.0, np.nan, 4.0, 2.0],          # interior gap
        [np.nan, 4.0, 6.0, 4.0, np.nan],       # both ends carried
        [np.nan, np.nan, np.nan, np.nan, 1.0],
        [np.nan] * 5,
    ])
    r = auc_batch(m, 1, a=1, b=5, min_days=2)
    assert r.values[0] == (2 + 4) / 2 + (4 + 4) / 2 * 2 + (4 + 2) / 2
    assert r.values[1] == 4 * 1 + (4 + 6) / 2 + (6 + 4) / 2 + 4 * 1
    assert [r.result(i).dtype for i in range(2)] == ["INTERP", "NOCB+LOCF"]
    assert [r.reason(i) for i in range(4)] == [
        None, None, "days 1 to 5 have 1 of 5 days, 2 needed",
        "days 1 to 5 have 0 of 5 days, 2 needed"]
    assert r.n_observed.tolist() == [4, 3, 1, 0]


def test_batch_windows_beyond_the_matrix_read_as_missing():
    m = np.array([[1.0, 1.0, 1.0]])                # days 1-3 only
    assert auc_batch(m, 1, a=1, b=5).values[0] == 1.0 * (5 - 1)
    assert auc_batch(m, 1, a=1, b=5, ends="none").reason(0) == (
        "day 5 not observed (ends='none')")
