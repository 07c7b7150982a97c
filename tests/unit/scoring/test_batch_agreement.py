"""The batch path gives, row by row, what the per-series path gives (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.days import DailySeries
from scoring.endpoints import compute_endpoints, compute_endpoints_batch, validate_endpoints
from scoring.matrix import DailyMatrix

SPECS = validate_endpoints([
    {"key": "bl", "kind": "baseline", "min_days": 3},
    {"key": "auc", "kind": "auc", "from_day": 1, "to_day": 14, "min_coverage": 0.5},
    {"key": "auc_none", "kind": "auc", "from_day": 2, "to_day": 13, "ends": "none"},
    {"key": "d3", "kind": "timepoint", "day": 3},
    {"key": "d7", "kind": "timepoint", "day": 7, "window": 1, "min_days": 2},
    {"key": "wk", "kind": "weekly", "weeks": 2, "min_days": 4},
    {"key": "chg_w2", "kind": "change", "of": "wk_w2"},
    {"key": "pchg_w2", "kind": "percent_change", "of": "wk_w2"},
    {"key": "r30", "kind": "responder", "of": "pchg_w2", "reduction_percent": 30},
    {"key": "r50_d7", "kind": "responder", "of": "d7", "reduction_percent": 50},
    {"key": "auc_pchg", "kind": "percent_change", "of": "auc"},
    {"key": "comp", "kind": "compliance", "from_day": 1, "to_day": 14},
    {"key": "comp0", "kind": "compliance", "from_day": -7, "to_day": 14},
])

day_sets = st.sets(st.integers(-9, 16), max_size=26)
score = st.integers(0, 10).map(float)
maybe_day = st.one_of(st.none(), st.integers(-8, 16))


@st.composite
def periods(draw):
    days = sorted(draw(day_sets))
    values = [draw(score) for _ in days]
    ids = [f"r{draw(st.integers(0, 10**6))}d{d}" for d in days]
    return DailySeries(days, values, ids), draw(maybe_day), draw(maybe_day), draw(maybe_day)


def close(a: float | None, b: float | None) -> bool:
    return a is b is None or (None not in (a, b) and a == pytest.approx(b, rel=1e-12, abs=1e-9))


@settings(deadline=None, max_examples=150)
@given(st.lists(periods(), min_size=1, max_size=6))
def test_every_output_of_every_row_agrees(rows):
    series = [s for s, _, _, _ in rows]
    today = [t for _, t, _, _ in rows]
    stop = [s for _, _, s, _ in rows]
    start = [b for _, _, _, b in rows]  # enrolment day, for compliance
    m = DailyMatrix.from_series(series, first_day=-8, last_day=15)
    batch = compute_endpoints_batch(SPECS, m, today_day=today, stop_day=stop,
                                    start_day=start)
    for i, s in enumerate(series):
        clipped = DailySeries(s.days[(s.days >= -8) & (s.days <= 15)],
                              s.values[(s.days >= -8) & (s.days <= 15)],
                              s.ids_between(-8, 15))
        one = compute_endpoints(SPECS, clipped, today_day=today[i], stop_day=stop[i],
                                start_day=start[i])
        assert list(one) == list(batch)
        for key, ref in one.items():
            got = batch[key].result(i, m.entry_ids, m.first_day)
            assert (key, got.reason, got.dtype) == (key, ref.reason, ref.dtype)
            assert (key, got.entry_ids) == (key, ref.entry_ids)
            assert (got.n_observed, got.n_expected) == (ref.n_observed, ref.n_expected)
            assert close(got.value, ref.value), (key, got.value, ref.value)
            assert close(got.base, ref.base), (key, got.base, ref.base)
