"""``ae_any`` computed for a whole study equals it computed row by row (its batch form
takes a shortcut for periods with nothing reported)."""

from __future__ import annotations

import numpy as np

from scoring.compliance import NO_DAY
from scoring.days import DailySeries
from scoring.matrix import DailyMatrix
from scoring.safety_kind import SAFETY, AeAnySpec, SafetyDays
from scoring.spec import BatchInputs

NOTHING = SafetyDays(start_day=-3)
ROWS = [  # (extra, today_day, stop_day)
    ({SAFETY: NOTHING}, NO_DAY, NO_DAY),                         # quiet, on study: 0
    ({SAFETY: NOTHING}, 0, NO_DAY),                               # window not begun: none
    ({SAFETY: SafetyDays(start_day=40)}, NO_DAY, NO_DAY),         # enrolled after it: none
    ({SAFETY: NOTHING}, NO_DAY, 10),                              # withdrawn day 10: 0
    ({SAFETY: SafetyDays(ae_days=[5], ae_severity=[2], ae_ids=["ae1"])}, NO_DAY, NO_DAY),
    ({SAFETY: SafetyDays(ae_days=[50], ae_severity=[3], ae_ids=["ae2"])}, NO_DAY, NO_DAY),
    ({SAFETY: SafetyDays({"nausea": DailySeries([3], [1], entry_ids=["c3"])})}, NO_DAY, NO_DAY),
    ({}, NO_DAY, NO_DAY),                                         # no diary: none
]


def test_the_batch_form_equals_the_row_form_for_every_kind_of_period():
    for sources in (["adverse_events", "symptoms"], ["symptoms"], ["adverse_events"]):
        spec = AeAnySpec.from_dict({"key": "ae", "kind": "ae_any", "from_day": 0,
                                    "to_day": 34, "sources": sources})
        n = len(ROWS)
        inputs = BatchInputs(DailyMatrix.from_series([DailySeries([], [])] * n, first_day=0,
                                                     last_day=34),
                             np.array([t for _, t, _ in ROWS], dtype=np.int64),
                             np.array([s for _, _, s in ROWS], dtype=np.int64),
                             [extra for extra, _, _ in ROWS])
        batch = spec.compute_batch(inputs, {})["ae"]
        for i in range(n):
            one = spec.compute(inputs.row(i), {})["ae"]
            got = batch.result(i)
            assert (got.value, got.reason, tuple(got.entry_ids or ())) == \
                (one.value, one.reason, tuple(one.entry_ids or ())), (sources, i)
    assert [batch.result(i).value for i in range(n)][:4] == [0.0, None, None, 0.0]
