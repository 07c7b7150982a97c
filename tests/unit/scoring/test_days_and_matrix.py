"""The day convention, the daily series and its batch form."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from scoring.days import DailySeries, study_day
from scoring.matrix import DailyMatrix, window_view


def test_the_anchor_date_is_day_0_and_the_next_date_day_1():
    anchor = dt.date(2027, 3, 28)                  # a DST change in Europe: still one day
    assert study_day(anchor, anchor) == 0
    assert study_day(dt.date(2027, 3, 29), anchor) == 1
    assert study_day(dt.date(2027, 3, 21), anchor) == -7


def test_study_day_refuses_datetimes():
    with pytest.raises(TypeError, match="local date"):
        study_day(dt.datetime(2027, 3, 2, 8), dt.date(2027, 3, 1))


def test_a_series_is_sorted_by_day_with_its_entry_ids():
    s = DailySeries([5, -1, 2], [1.0, 2.0, 3.0], entry_ids=["x", "y", "z"])
    assert s.days.tolist() == [-1, 2, 5]
    assert s.entry_ids == ("y", "z", "x")
    assert s.ids_between(0, 5) == ("z", "x")
    with pytest.raises(ValueError):
        s.values[0] = 9.0                          # read-only


@pytest.mark.parametrize(
    ("days", "values", "ids", "message"),
    [
        ([1, 1], [2.0, 3.0], None, "duplicate day 1"),
        ([1, 2], [2.0, float("nan")], None, "value for day 2 is nan; leave a missing day out"),
        ([1.5], [2.0], None, "days must be integers"),
        ([1, 2], [2.0], None, "days has 2 items but values has 1"),
        ([1, 2], [2.0, 3.0], ["a"], "entry_ids has 1 items but days has 2"),
    ],
)
def test_series_mistakes_raise_precise_errors(days, values, ids, message):
    with pytest.raises(ValueError, match=message):
        DailySeries(days, values, ids)


def test_an_empty_series_is_allowed():
    assert len(DailySeries([], [])) == 0


def test_a_matrix_round_trips_series_within_its_span():
    series = [DailySeries([-1, 3], [5.0, 6.0], ["a", "b"]), DailySeries([9], [1.0], ["c"])]
    m = DailyMatrix.from_series(series, first_day=-2, last_day=4)
    assert m.values.shape == (2, 7)
    back = m.series(0)
    assert back.days.tolist() == [-1, 3] and back.entry_ids == ("a", "b")
    assert len(m.series(1)) == 0                   # day 9 lies outside the span


def test_from_long_scatters_observations_and_refuses_two_values_for_one_day():
    m = DailyMatrix.from_long(np.array([1, 0]), np.array([2, 1]), np.array([7.0, 8.0]),
                              n_rows=2, first_day=1, last_day=2, entry_ids=["p", "q"])
    assert np.array_equal(m.values, [[8.0, np.nan], [np.nan, 7.0]], equal_nan=True)
    assert m.entry_ids.tolist() == [["q", None], [None, "p"]]
    with pytest.raises(ValueError, match="row 0 has two values for day 1"):
        DailyMatrix.from_long(np.array([0, 0]), np.array([1, 1]), np.array([1.0, 2.0]),
                              n_rows=1, first_day=1, last_day=2)
    # The first repeated cell in row-major order is named, wherever its values sit.
    with pytest.raises(ValueError, match="row 1 has two values for day -1"):
        DailyMatrix.from_long(np.array([2, 1, 2, 1, 0]), np.array([0, -1, 0, -1, 3]),
                              np.array([1.0, 2.0, 3.0, 4.0, 5.0]), n_rows=3, first_day=-1,
                              last_day=2)


def test_window_view_pads_days_outside_the_matrix_with_missing():
    m = np.array([[1.0, 2.0]])                     # days 0, 1
    assert np.array_equal(window_view(m, 0, -1, 2), [[np.nan, 1.0, 2.0, np.nan]],
                          equal_nan=True)
    assert np.shares_memory(window_view(m, 0, 0, 1), m)
