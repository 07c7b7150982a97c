"""Endpoint declarations: validation messages, computing, and the open registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from scoring.compliance import NO_DAY
from scoring.compute import per_row_days
from scoring.days import DailySeries
from scoring.endpoints import (
    EndpointError,
    compute_endpoints,
    compute_endpoints_batch,
    validate_endpoints,
)
from scoring.matrix import DailyMatrix
from scoring.results import ScoreResult
from scoring.spec import KINDS, EndpointSpec, Output, register_kind

CROSSOVER = [
    {"key": "auc_d1_35", "kind": "auc", "from_day": 1, "to_day": 35, "ends": "carry",
     "min_coverage": 0.8},
    *({"key": f"pain_d{d}", "kind": "timepoint", "day": d} for d in (7, 15, 21, 28)),
    {"key": "compliance", "kind": "compliance", "from_day": 1, "to_day": 35},
]
CRPS = [
    {"key": "baseline", "kind": "baseline", "from_day": -7, "to_day": -1, "min_days": 4},
    {"key": "weekly", "kind": "weekly", "weeks": 12, "min_days": 4},
    {"key": "chg_w12", "kind": "change", "of": "weekly_w12"},
    {"key": "pchg_w12", "kind": "percent_change", "of": "weekly_w12"},
    {"key": "resp30_w12", "kind": "responder", "of": "pchg_w12", "reduction_percent": 30},
    {"key": "resp50_w12", "kind": "responder", "of": "pchg_w12", "reduction_percent": 50},
]


def issues(declarations) -> list[str]:
    with pytest.raises(EndpointError) as e:
        validate_endpoints(declarations)
    assert str(e.value) == "\n".join(f"{p}: {r}" for p, r in e.value.issues)
    return str(e.value).splitlines()


AUC = {"key": "a", "kind": "auc", "from_day": 1, "to_day": 35}


@pytest.mark.parametrize(
    ("declarations", "message"),
    [
        ([{**AUC, "from_day": 36}], "endpoints[0].from_day: must be <= to_day (36 > 35)"),
        ([AUC, {"key": "c", "kind": "change", "of": "x"}], "endpoints[1].of: unknown endpoint 'x'"),
        ([{"key": "c", "kind": "change", "of": "a"}, {"key": "bl", "kind": "baseline"}, AUC],
         "endpoints[0].of: unknown endpoint 'a' (declared later, at endpoints[2])"),
        ([{"key": "a", "kind": "aucc"}],
         "endpoints[0].kind: unknown kind 'aucc' (known: ae_any, auc, baseline, change, "
         "compliance, mme_change, mme_daily_mean, mme_total, percent_change, questionnaire, "
         "rescue_days, responder, symptom_count, symptom_max_severity, timepoint, weekly)"),
        ([{"key": "a"}], "endpoints[0].kind: is required"),
        ([{**AUC, "ends": "zero"}], "endpoints[0].ends: must be one of carry, none, got 'zero'"),
        ([{**AUC, "min_coverage": 80}],
         "endpoints[0].min_coverage: must be > 0 and <= 1, got 80"),
        ([{**AUC, "to_day": "35"}], "endpoints[0].to_day: must be an integer, got '35'"),
        ([{**AUC, "min_covrage": 0.8}],
         "endpoints[0].min_covrage: unknown field (allowed: ends, from_day, key, kind, label, "
         "min_coverage, min_days, paramcd, precision, primary, to_day, unit)"),
        ([{**AUC, "unit": ""}], "endpoints[0].unit: must be a text of 1 to 40 printable "
                                "characters without leading or trailing spaces, got ''"),
        ([{**AUC, "unit": "x" * 41}], "endpoints[0].unit: must be a text of 1 to 40 "
                                      "printable characters without leading or trailing "
                                      f"spaces, got '{'x' * 41}'"),
        ([{**AUC, "unit": "NRS\n0-10"}], "endpoints[0].unit: must be a text of 1 to 40 "
                                         "printable characters without leading or trailing "
                                         "spaces, got 'NRS\\n0-10'"),
        ([{**AUC, "unit": "=cmd|' /C calc'!A0"}],
         "endpoints[0].unit: must not contain =, got \"=cmd|' /C calc'!A0\""),
        ([{**AUC, "primary": "yes"}], "endpoints[0].primary: must be true or false, got 'yes'"),
        ([AUC, {**AUC}], "endpoints[1].key: duplicate key 'a'"),
        ([{"key": "w", "kind": "weekly", "weeks": 2}, {"key": "w_w1", "kind": "timepoint",
                                                        "day": 3}],
         "endpoints[1].key: output 'w_w1' is also declared by endpoints[0]"),
        ([{"key": "Auc", "kind": "auc"}],
         "endpoints[0].key: must match ^[a-z0-9][a-z0-9_-]{0,62}$, got 'Auc'"),
        ([AUC, {"key": "c", "kind": "change", "of": "a"}],
         "endpoints[1].baseline: no baseline endpoint is declared before this one"),
        ([{"key": "b1", "kind": "baseline"}, {"key": "b2", "kind": "baseline", "from_day": -3,
           "min_days": 2},
          AUC, {"key": "c", "kind": "change", "of": "a"}],
         "endpoints[3].baseline: required: several baselines (b1, b2)"),
        ([AUC, {"key": "cp", "kind": "compliance", "from_day": 1, "to_day": 3},
          {"key": "bl", "kind": "baseline"}, {"key": "c", "kind": "change", "of": "cp"}],
         "endpoints[3].of: 'cp' is a compliance endpoint; change needs a score such as auc, "
         "timepoint or weekly"),
        ([{"key": "bl", "kind": "baseline"}, AUC,
          {"key": "r", "kind": "responder", "of": "a", "reduction_percent": 0}],
         "endpoints[2].reduction_percent: must be > 0 and <= 100, got 0"),
        ([{"key": "w", "kind": "weekly", "weeks": 4, "min_days": 8}],
         "endpoints[0].min_days: must be <= 7 (days in a week), got 8"),
        ([{"key": "a", "kind": "auc", "from_day": 1, "to_day": 3, "label": "x" * 41}],
         "endpoints[0].label: must be a text of 1 to 40 characters (XPORT label)"),
        ([{"key": "a", "kind": "auc", "from_day": 1, "to_day": 3, "paramcd": "AUC_1"}],
         "endpoints[0].paramcd: must match ^[A-Z][A-Z0-9]{0,7}$ (ADaM PARAMCD)"),
        ([{"key": "bl", "kind": "baseline"}, AUC, {"key": "c1", "kind": "change", "of": "a"},
          {"key": "c2", "kind": "change", "of": "a"}],
         "endpoints[3].of: 'a' already has a CHG endpoint (c1)"),
        (["auc"], "endpoints[0]: must be a mapping"),
    ],
)
def test_validation_names_the_path_and_the_rule(declarations, message):
    assert message in issues(declarations)


def test_validation_reports_every_issue_at_once():
    lines = issues([{**AUC, "from_day": 40}, {"key": "t", "kind": "timepoint"}])
    assert lines == ["endpoints[0].from_day: must be <= to_day (40 > 35)",
                     "endpoints[1].day: is required"]


def test_the_studies_endpoint_sets_validate():
    specs = validate_endpoints(CROSSOVER + CRPS)
    assert [s.key for s in specs][-1] == "resp50_w12"
    assert validate_endpoints(CRPS)[2].baseline == "baseline"


def series(pairs, prefix="e"):
    return DailySeries(list(pairs), list(pairs.values()), [f"{prefix}{d}" for d in pairs])


def test_crps_weekly_change_and_responders_for_one_participant():
    daily = {d: 6.0 for d in range(-7, 0)} | {d: 6.0 for d in range(1, 78)}
    daily |= {78: 4.0, 79: 4.0, 80: 5.0, 81: 4.0, 82: 4.0}          # week 12: mean 4.2
    out = compute_endpoints(validate_endpoints(CRPS), series(daily))
    assert out["baseline"].value == 6.0
    assert out["weekly_w12"].value == pytest.approx((4 + 4 + 5 + 4 + 4) / 5)
    assert out["chg_w12"].value == pytest.approx(4.2 - 6)
    assert out["pchg_w12"].value == -30.0
    assert (out["resp30_w12"].value, out["resp50_w12"].value) == (1.0, 0.0)
    assert out["chg_w12"].entry_ids == ("e78", "e79", "e80", "e81", "e82",
                                        "e-7", "e-6", "e-5", "e-4", "e-3", "e-2", "e-1")


def test_a_missing_baseline_propagates_its_reason_to_derived_endpoints():
    out = compute_endpoints(validate_endpoints(CRPS), series({d: 5.0 for d in range(1, 85)}))
    assert out["chg_w12"].reason == "week 12: baseline has 0 of 7 days, 4 needed"
    assert out["resp30_w12"].reason == "week 12: baseline has 0 of 7 days, 4 needed"


def test_a_responder_may_derive_its_percent_change_from_a_score_and_the_baseline():
    specs = validate_endpoints([
        {"key": "bl", "kind": "baseline"},
        {"key": "d28", "kind": "timepoint", "day": 28},
        {"key": "r50", "kind": "responder", "of": "d28", "reduction_percent": 50},
    ])
    out = compute_endpoints(specs, series({-4: 8, -3: 8, -2: 8, -1: 8, 28: 4}))
    assert (out["r50"].value, out["r50"].base) == (1.0, 8.0)


def test_outputs_still_open_are_pending_and_compliance_counts_due_days():
    specs = validate_endpoints(CROSSOVER)
    out = compute_endpoints(specs, series({d: 5.0 for d in range(1, 20)}), today_day=20)
    assert out["pain_d15"].value == 5.0
    assert out["pain_d21"].reason == "pending: window ends day 21, today is day 20"
    assert out["auc_d1_35"].reason == "pending: window ends day 35, today is day 20"
    assert (out["compliance"].value, out["compliance"].n_expected) == (100 * 19 / 19, 19)


def test_the_crossover_primary_endpoint_for_one_period():
    daily = {d: 6.0 if d < 15 else 4.0 for d in range(1, 36) if d != 10}
    out = compute_endpoints(validate_endpoints(CROSSOVER), series(daily))
    # days 1-14 at 6, day 10 interpolated at 6, days 15-35 at 4:
    assert out["auc_d1_35"].value == 6 * 13 + (6 + 4) / 2 * 1 + 4 * 20
    assert out["auc_d1_35"].dtype == "INTERP"
    assert out["compliance"].value == 100 * 34 / 35


@dataclass(frozen=True, kw_only=True)
class MaxSpec(EndpointSpec):
    """A kind registered by a test: the highest score of a window, no batch path."""

    kind: ClassVar[str] = "test_max"
    from_day: int
    to_day: int

    @classmethod
    def parse(cls, p):
        return {"from_day": p.integer("from_day"), "to_day": p.integer("to_day")}

    def outputs(self):
        return (Output(self.key, self.key, "Max", "DAYS", self.to_day, self.to_day,
                       self.to_day),)

    def span(self):
        return self.from_day, self.to_day

    def compute(self, inputs, done):
        s = inputs.daily
        v = s.values[s.mask(self.from_day, self.to_day)]
        ids = s.ids_between(self.from_day, self.to_day)
        if v.size == 0:
            return {self.key: ScoreResult(None, "nothing observed", ids)}
        return {self.key: ScoreResult(float(v.max()), None, ids)}


@pytest.fixture
def max_kind():
    register_kind(MaxSpec)
    yield MaxSpec
    del KINDS["test_max"]


def test_a_registered_kind_joins_validation_and_both_compute_paths(max_kind):
    assert KINDS["test_max"] is max_kind
    specs = validate_endpoints([
        {"key": "bl", "kind": "baseline"},
        {"key": "mx", "kind": "test_max", "from_day": 1, "to_day": 3},
        {"key": "chg_mx", "kind": "change", "of": "mx"},
    ])
    s = series({-4: 2, -3: 2, -2: 2, -1: 2, 1: 3, 2: 9})
    one = compute_endpoints(specs, s)
    assert (one["mx"].value, one["chg_mx"].value) == (9.0, 9 - 2)
    m = DailyMatrix.from_series([s, series({})], first_day=-7, last_day=3)
    many = compute_endpoints_batch(specs, m)
    assert many["chg_mx"].result(0, m.entry_ids, m.first_day) == one["chg_mx"]
    assert many["mx"].reason(1) == "nothing observed"


def test_registering_another_class_under_a_taken_kind_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        register_kind(type("Other", (MaxSpec,), {"kind": "auc"}))


def test_a_pending_batch_uses_each_rows_today():
    specs = validate_endpoints([{"key": "d7", "kind": "timepoint", "day": 7}])
    m = DailyMatrix(np.full((2, 7), 5.0), first_day=1)
    r = compute_endpoints_batch(specs, m, today_day=[8, 7])["d7"]
    assert r.values[0] == 5.0
    assert r.reason(1) == "pending: window ends day 7, today is day 7"


@pytest.mark.parametrize(("days", "expected"), [
    ([5, None, -3], [5, NO_DAY, -3]),
    ([None, None], [NO_DAY, NO_DAY]),
    ([7, 8], [7, 8]),
    (np.array([1, 2]), [1, 2]),
])
def test_per_row_days_mark_a_missing_day_with_no_day(days, expected):
    assert per_row_days(days, len(expected)).tolist() == expected


def test_per_row_days_refuse_the_wrong_number_of_rows():
    with pytest.raises(ValueError, match="expected 3 per-row days"):
        per_row_days([1, None], 3)
