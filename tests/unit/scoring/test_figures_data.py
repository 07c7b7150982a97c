"""Mean daily pain ± SE per treatment (the figures' numbers), checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring.figures_data import daily_means

NAN = np.nan


def test_mean_and_se_by_hand():
    # days 1, 2, 3; treatment K: three rows, P: two rows
    values = np.array([
        [2.0, 4.0, NAN],   # K
        [4.0, NAN, NAN],   # K
        [6.0, 5.0, NAN],   # K
        [1.0, 3.0, 8.0],   # P
        [3.0, NAN, NAN],   # P
    ])
    curves = daily_means(["K", "K", "K", "P", "P"], values, first_day=1)
    k, p = curves
    assert k.treatment == "K" and p.treatment == "P"
    # K: day 1 = 2, 4, 6 -> mean 4, SD = sqrt((4 + 0 + 4) / 2) = 2, SE = 2 / sqrt(3)
    #    day 2 = 4, 5 -> mean 4.5, SD = sqrt((0.25 + 0.25) / 1), SE = SD / sqrt(2) = 0.5
    #    day 3: nobody -> not on the curve
    assert k.days.tolist() == [1, 2]
    assert k.n.tolist() == [3, 2]
    assert k.mean.tolist() == pytest.approx([4.0, 4.5])
    assert k.se.tolist() == pytest.approx([2 / math.sqrt(3), 0.5])
    # P: day 1 = 1, 3 -> mean 2, SD = sqrt(2), SE = 1; days 2 and 3 have one score: no SE
    assert p.days.tolist() == [1, 2, 3]
    assert p.n.tolist() == [2, 1, 1]
    assert p.mean.tolist() == pytest.approx([2.0, 3.0, 8.0])
    assert p.se[0] == pytest.approx(1.0)
    assert np.isnan(p.se[1]) and np.isnan(p.se[2])


def test_days_follow_first_day_and_unallocated_or_unscored_rows_are_left_out():
    values = np.array([[NAN, 5.0, 7.0], [9.0, 9.0, 9.0], [NAN, NAN, NAN]])
    (only,) = daily_means(["ARM-A", None, "ARM-B"], values, first_day=-1)
    assert only.treatment == "ARM-A"
    assert only.days.tolist() == [0, 1]
    assert only.mean.tolist() == [5.0, 7.0]


def test_no_rows_gives_no_curves_and_shapes_must_match():
    assert daily_means([], np.zeros((0, 3)), first_day=0) == []
    with pytest.raises(ValueError, match="do not match"):
        daily_means(["K"], np.zeros((2, 3)), first_day=0)
