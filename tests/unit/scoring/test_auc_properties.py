"""Properties of the AUC that hold for any data (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scoring.auc import auc, auc_batch
from scoring.days import DailySeries
from scoring.matrix import DailyMatrix

relaxed = settings(deadline=None, max_examples=200)    # shared CI machines: no deadline

scores = st.floats(min_value=0, max_value=10, allow_nan=False)


@st.composite
def windows(draw):
    a = draw(st.integers(-10, 40))
    return a, a + draw(st.integers(0, 40))


@st.composite
def window_and_series(draw, *, values=scores):
    a, b = draw(windows())
    days = sorted(draw(st.sets(st.integers(a - 3, b + 3), max_size=b - a + 7)))
    return a, b, DailySeries(days, [draw(values) for _ in days])


@relaxed
@given(windows(), st.data(), st.floats(0, 10))
def test_a_constant_score_c_gives_c_times_the_window_length(window, data, c):
    a, b = window
    days = data.draw(st.sets(st.integers(a, b), min_size=1))
    r = auc(DailySeries(sorted(days), [c] * len(days)), a=a, b=b, ends="carry")
    assert r.value == pytest.approx(c * (b - a), abs=1e-9)


@relaxed
@given(window_and_series(), st.sampled_from(["carry", "none"]))
def test_the_auc_of_scores_in_0_to_10_stays_within_0_and_10_times_the_length(case, ends):
    a, b, s = case
    r = auc(s, a=a, b=b, ends=ends)
    if r.value is not None:
        assert -1e-9 <= r.value <= 10 * (b - a) + 1e-9


@relaxed
@given(window_and_series(), st.data(), scores)
def test_adding_an_observation_inside_a_gap_changes_only_that_gap(case, data, x):
    a, b, s = case
    inside = s.days[(s.days >= a) & (s.days <= b)]
    gaps = [(int(i), int(j)) for i, j in zip(inside[:-1], inside[1:], strict=True) if j - i >= 2]
    assume(gaps)
    i, j = data.draw(st.sampled_from(gaps))
    k = data.draw(st.integers(i + 1, j - 1))
    vi, vj = float(s.values[s.days == i][0]), float(s.values[s.days == j][0])
    added = DailySeries(np.append(s.days, k), np.append(s.values, x))
    before, after = auc(s, a=a, b=b).value, auc(added, a=a, b=b).value
    old_gap = (vi + vj) / 2 * (j - i)
    new_gap = (vi + x) / 2 * (k - i) + (x + vj) / 2 * (j - k)
    assert after - before == pytest.approx(new_gap - old_gap, abs=1e-9)
    # and the curve outside the gap is untouched
    assert auc(added, a=a, b=i).value == pytest.approx(auc(s, a=a, b=i).value, abs=1e-9)
    assert auc(added, a=j, b=b).value == pytest.approx(auc(s, a=j, b=b).value, abs=1e-9)


@relaxed
@given(
    st.lists(st.lists(st.one_of(st.none(), scores), min_size=12, max_size=12), min_size=1,
             max_size=8),
    windows(),
    st.sampled_from(["carry", "none"]),
    st.one_of(st.none(), st.sampled_from([0.5, 0.8, 1.0])),
    st.one_of(st.none(), st.integers(1, 6)),
)
def test_the_batch_path_agrees_with_the_per_series_function(rows, window, ends, cov, k):
    first_day = -3
    values = np.array([[np.nan if v is None else v for v in row] for row in rows])
    a, b = window
    a, b = max(a, -5), min(b, 12)                # windows may stick out of the matrix
    if b < a:
        a, b = b, a
    m = DailyMatrix(values, first_day)
    batch = auc_batch(values, first_day, a=a, b=b, ends=ends, min_coverage=cov, min_days=k)
    for i in range(len(rows)):
        ref = auc(m.series(i), a=a, b=b, ends=ends, min_coverage=cov, min_days=k)
        got = batch.result(i)
        assert got.reason == ref.reason
        assert got.dtype == ref.dtype
        assert (got.n_observed, got.n_expected) == (ref.n_observed, ref.n_expected)
        if ref.value is None:
            assert got.value is None
        else:
            assert got.value == pytest.approx(ref.value, rel=1e-12, abs=1e-9)
