"""Descriptive statistics and the "mean ± SD" line."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring.summary import describe, format_mean_sd, responder_rate


def test_describe_gives_n_mean_sample_sd_median_quartiles_min_max():
    s = describe([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0, None, float("nan")])
    assert (s.n, s.n_missing) == (8, 2)
    assert s.mean == (2 + 4 + 4 + 4 + 5 + 5 + 7 + 9) / 8
    assert s.sd == pytest.approx(math.sqrt((9 + 1 + 1 + 1 + 0 + 0 + 4 + 16) / (8 - 1)))
    assert s.median == (4 + 5) / 2
    assert s.q1 == 4.0                 # type 7: position 0.25*7 = 1.75 between 4 and 4
    assert s.q3 == 5 + 0.25 * (7 - 5)  # position 5.25 between 5 and 7
    assert (s.min, s.max) == (2.0, 9.0)


def test_one_value_has_no_sd_and_no_values_have_no_statistics():
    assert describe([3.0]).sd is None
    empty = describe(np.array([np.nan, np.nan]))
    assert (empty.n, empty.n_missing, empty.mean, empty.mean_sd()) == (0, 2, None, None)


@pytest.mark.parametrize(
    ("mean", "sd", "decimals", "text"),
    [
        (185.4, 99.6, 0, "185 ± 100"),
        (184.5, 100.49, 0, "185 ± 100"),       # half away from zero, not to even
        (0.25, 0.05, 1, "0.3 ± 0.1"),
        (-0.4, 1.0, 0, "0 ± 1"),               # no "-0"
        (3.0, None, 1, "3.0 ± NA"),
    ],
)
def test_mean_sd_is_formatted_as_in_the_crossover_paper(mean, sd, decimals, text):
    assert format_mean_sd(mean, sd, decimals=decimals) == text


def test_responder_rate_leaves_missing_flags_out_of_the_denominator():
    r = responder_rate([1.0, 1.0, 0.0, None, 1.0])
    assert (r.n_responders, r.n, r.n_missing) == (3, 4, 1)
    assert r.percent == 100 * 3 / 4
    with pytest.raises(ValueError, match="0.0, 1.0 or missing"):
        responder_rate([0.5])
