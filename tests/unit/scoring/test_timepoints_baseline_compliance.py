"""Time points, weekly means, baseline, change, responders and compliance."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.baseline import (
    baseline,
    change,
    percent_change,
    percent_change_values,
    responder,
    responder_batch,
)
from scoring.compliance import compliance, compliance_batch
from scoring.days import DailySeries
from scoring.results import BatchResult, ScoreResult
from scoring.timepoints import value_at, week_days, weekly_mean, window_mean_batch


def test_the_value_at_a_day_is_that_day_or_the_mean_of_its_window():
    s = DailySeries([6, 7, 8], [4.0, 5.0, 9.0])
    assert value_at(s, 7).value == 5.0
    assert value_at(s, 7, window=1).value == (4 + 5 + 9) / 3
    assert value_at(s, 8, window=1, min_days=3).reason == (
        "days 7 to 9 have 2 of 3 days, 3 needed")


@pytest.mark.parametrize(("week", "days"), [(1, (1, 7)), (2, (8, 14)), (12, (78, 84))])
def test_week_n_is_days_7n_minus_6_to_7n(week, days):
    assert week_days(week) == days


@pytest.mark.parametrize(
    ("observed", "value", "reason"),
    [
        ([8, 9, 10, 11], (5 + 5 + 5 + 5) / 4, None),
        ([8, 9, 10], None, "week 2 has 3 of 7 days, 4 needed"),
        ([7, 8, 9, 10, 15], None, "week 2 has 3 of 7 days, 4 needed"),
    ],
)
def test_a_weekly_mean_needs_min_days_of_that_week(observed, value, reason):
    r = weekly_mean(DailySeries(observed, [5.0] * len(observed)), 2, min_days=4)
    assert (r.value, r.reason) == (value, reason)


def test_baseline_defaults_to_days_minus_7_to_minus_1_with_4_observed():
    s = DailySeries([-8, -7, -4, -2, -1, 0], [0, 6, 7, 5, 6, 0])
    r = baseline(s)
    assert r.value == (6 + 7 + 5 + 6) / 4
    assert r.n_observed == 4
    assert baseline(DailySeries([-3, -2, -1], [6, 6, 6])).reason == (
        "baseline has 3 of 7 days, 4 needed")


def test_change_and_percent_change_from_baseline():
    v, b = ScoreResult(3.0, entry_ids=("w",)), ScoreResult(6.0, entry_ids=("b1", "b2"))
    assert change(v, b).value == 3 - 6
    assert change(v, b).entry_ids == ("w", "b1", "b2")
    assert percent_change(v, b).value == 100 * (3 - 6) / 6
    assert percent_change(v, b).base == 6.0


def test_a_missing_side_gives_no_change_and_says_which():
    missing = ScoreResult(None, "day 28 not observed")
    # the value's own reason names its day; a missing baseline is told of the value
    assert change(missing, ScoreResult(6.0), names=("day 28", "baseline")).reason == (
        "day 28 not observed")
    short = ScoreResult(None, "baseline has 3 of 7 days, 4 needed")
    assert percent_change(ScoreResult(4.0), short, names=("week 5", "baseline")).reason == (
        "week 5: baseline has 3 of 7 days, 4 needed")
    assert percent_change(ScoreResult(4.0), missing, names=("week 5", "baseline")).reason == (
        "week 5: baseline: day 28 not observed")
    assert percent_change(ScoreResult(4.0), ScoreResult(0.0)).reason == (
        "baseline is 0: percent change undefined")


def test_a_reduction_of_exactly_30_percent_is_a_30_percent_responder():
    # PITFALLS "Scoring": in floats 100*(4.2-6)/6 is -29.999999999999996.
    assert 100 * (4.2 - 6) / 6 > -30
    pchg = percent_change(ScoreResult(4.2), ScoreResult(6.0))
    assert pchg.value == -30.0
    assert responder(pchg, reduction_percent=30).value == 1.0
    assert responder(pchg, reduction_percent=50).value == 0.0


@pytest.mark.parametrize(
    ("value", "base", "threshold", "flag"),
    [
        (4.2, 6.0, 30, 1.0),           # exactly 30 %
        (4.21, 6.0, 30, 0.0),          # 29.83 %
        (3.0, 6.0, 50, 1.0),           # exactly 50 %
        (3.5, 7.0, 50, 1.0),
        (5.6, 8.0, 30, 1.0),           # 100*(5.6-8)/8 = -30.000000000000004 in floats
        (3.01, 6.0, 50, 0.0),
        (7.0, 6.0, 30, 0.0),           # worse
    ],
)
def test_responder_thresholds_are_decided_on_the_rounded_percent(value, base, threshold, flag):
    pchg = percent_change(ScoreResult(value), ScoreResult(base))
    assert responder(pchg, reduction_percent=threshold).value == flag
    batch = responder_batch(
        BatchResult(percent_change_values(np.array([value]), np.array([base]))),
        reduction_percent=threshold)
    assert batch.values[0] == flag


def test_window_mean_batch_matches_the_per_series_mean():
    m = np.array([[4.0, np.nan, 9.0], [np.nan, np.nan, np.nan]])      # days 6-8
    r = window_mean_batch(m, 6, lo=6, hi=8)
    assert r.values[0] == (4 + 9) / 2
    assert r.reason(1) == "days 6 to 8 have 0 of 3 days, 1 needed"


@pytest.mark.parametrize(
    ("today", "stop", "start", "completed", "expected", "reason"),
    [
        (None, None, None, 4, 35, None),
        (6, None, None, 3, 5, None),       # days 1-5 due; day 6 (today) may still come
        (4, None, None, 3, 4, None),       # day 4 (today) filled: days 1-4 count
        (1, None, None, 1, 1, None),       # day 1 filled on day 1
        (None, 10, None, 4, 10, None),     # withdrew on day 10
        (None, 0, None, 0, 0, "participation stopped on day 0, before day 1"),
        (6, None, 3, 1, 3, None),          # enrolled on day 3: days 3-5 due, day 4 done
        (8, None, 2, 3, 6, None),          # days 2-7 due (today 8): 2, 4, 7 done
        (None, None, 36, 0, 0, "the diary opened on day 36, after day 35"),
    ],
)
def test_compliance_counts_completed_over_due_days(today, stop, start, completed, expected,
                                                   reason):
    s = DailySeries([1, 2, 4, 7], [5.0, 5.0, 5.0, 5.0])
    r = compliance(s, from_day=1, to_day=35, today_day=today, stop_day=stop, start_day=start)
    assert (r.n_observed, r.n_expected, r.reason) == (completed, expected, reason)
    if expected:
        assert r.value == 100 * completed / expected
    row = np.full((1, 35), np.nan)
    row[0, [0, 1, 3, 6]] = 5.0
    b = compliance_batch(row, 1, from_day=1, to_day=35, today_day=today, stop_day=stop,
                         start_day=start)
    assert b.result(0) == r.__class__(r.value, r.reason, (), None, completed, expected)


def test_compliance_with_nothing_due_yet_has_no_value():
    r = compliance(DailySeries([], []), from_day=1, to_day=35, today_day=1)
    assert (r.value, r.reason) == (None, "no diary day due yet (today is day 1)")


def test_day_0_counts_for_a_participant_enrolled_and_filling_on_the_day_of_surgery():
    """Issue 13: span -7..42, enrolled on day 0, day 0 filled. It read 0.0 (0 of the 7
    days before enrolment); now day 0 is the one day due, and it is done."""
    s = DailySeries([0], [7.0])
    assert compliance(s, from_day=-7, to_day=42, today_day=0, start_day=0).value == 100 * 1 / 1
    # Two days later, day 1 missed: days 0 and 1 due (today, day 2, not yet filled).
    r = compliance(s, from_day=-7, to_day=42, today_day=2, start_day=0)
    assert (r.value, r.n_observed, r.n_expected) == (100 * 1 / 2, 1, 2)
    # Enrolled on day -3: days -3..-1 and 0 due on day 1, only day 0 filled.
    r = compliance(s, from_day=-7, to_day=42, today_day=1, start_day=-3)
    assert (r.value, r.n_expected) == (100 * 1 / 4, 4)
    m = np.full((3, 50), np.nan)           # days -7..42
    m[:, 7] = 7.0                          # day 0 filled by all three
    b = compliance_batch(m, -7, from_day=-7, to_day=42, today_day=np.array([0, 2, 1]),
                         start_day=np.array([0, 0, -3]))
    assert b.values.tolist() == [100 * 1 / 1, 100 * 1 / 2, 100 * 1 / 4]
