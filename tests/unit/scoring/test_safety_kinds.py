"""Any adverse event, symptom counts and worst severity; AE percentages per treatment."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest

from scoring.adam import long_table
from scoring.days import DailySeries
from scoring.endpoints import EndpointError, compute_endpoints, validate_endpoints
from scoring.report import summary_table
from scoring.safety_kind import SAFETY, SafetyDays
from scoring.tables import PeriodRecord, score_records, wide_table

NO_SCORES = DailySeries([], [])
SPECS = validate_endpoints([
    {"key": "ae_any", "kind": "ae_any", "from_day": 0, "to_day": 34},
    {"key": "ae_mod", "kind": "ae_any", "from_day": 0, "to_day": 34,
     "min_severity": "moderate"},
    {"key": "ae_sym", "kind": "ae_any", "from_day": 0, "to_day": 34, "sources": ["symptoms"]},
    {"key": "nausea_n", "kind": "symptom_count", "symptom": "nausea", "from_day": 0,
     "to_day": 34},
    {"key": "nausea_max", "kind": "symptom_max_severity", "symptom": "nausea", "from_day": 0,
     "to_day": 34},
    {"key": "halluc_n", "kind": "symptom_count", "symptom": "hallucinations", "from_day": 0,
     "to_day": 34, "min_severity": "moderate"},
])
CHECK_DAYS = [1, 8, 15, 22, 29]          # the crossover protocol's ae_check visits


def checklist(**by_symptom: dict[int, int]) -> dict[str, DailySeries]:
    """Every symptom answered on CHECK_DAYS: 0 unless given as {day: severity}."""
    out = {}
    for code in ("nausea", "vomiting", "hallucinations"):
        sev = by_symptom.get(code, {})
        out[code] = DailySeries(CHECK_DAYS, [sev.get(d, 0) for d in CHECK_DAYS],
                                [f"chk{d}" for d in CHECK_DAYS])
    return out


def compute(saf: SafetyDays | None, **kw) -> dict:
    return compute_endpoints(SPECS, NO_SCORES, extra={} if saf is None else {SAFETY: saf}, **kw)


def test_hand_worked_symptoms_count_days_and_worst_severity():
    saf = SafetyDays(checklist(nausea={1: 2, 8: 1, 15: 0, 22: 3}, hallucinations={8: 1}))
    r = compute(saf)
    assert r["nausea_n"].value == 3                       # days 1, 8, 22 at mild or worse
    assert r["nausea_max"].value == 3
    assert (r["nausea_n"].n_observed, r["nausea_n"].n_expected) == (5, 35)
    assert r["halluc_n"].value == 0                       # mild only; moderate required
    assert (r["ae_any"].value, r["ae_mod"].value, r["ae_sym"].value) == (1, 1, 1)
    assert r["ae_any"].entry_ids == ("chk1", "chk8", "chk22")


def test_an_adverse_event_counts_in_the_window_it_started_in():
    saf = SafetyDays(checklist(), ae_days=[-3, 40, 12], ae_severity=[3, 3, 1],
                     ae_ids=["before", "after", "mild12"])
    r = compute(saf)
    assert r["ae_any"].value == 1 and r["ae_any"].entry_ids == ("mild12",)
    assert r["ae_mod"].value == 0                          # the only one inside is mild
    assert r["ae_sym"].value == 0                          # symptoms only: all none
    assert r["ae_sym"].entry_ids == ("chk1", "chk8", "chk15", "chk22", "chk29")


def test_without_checklists_the_coordinator_record_still_says_no_event():
    r = compute(SafetyDays())
    assert r["ae_any"].value == 0
    assert r["ae_sym"].reason == "no side-effect checklist answered in days 0 to 34"
    assert r["nausea_n"].reason == "no nausea answer in days 0 to 34"
    assert compute(None)["ae_any"].reason == "no side-effect diary for this period"


def test_days_after_withdrawal_and_before_enrolment_are_not_read():
    saf = SafetyDays(checklist(nausea={22: 2}), start_day=0)
    r = compute(saf, stop_day=20)
    assert (r["nausea_n"].value, r["ae_any"].value) == (0, 0)
    r = compute(SafetyDays(checklist(), start_day=40))
    assert r["ae_any"].reason == "not on study in days 0 to 34 (diary opened on day 40)"
    assert compute(saf, today_day=30)["ae_any"].reason == (
        "pending: window ends day 34, today is day 30")


def test_the_extra_data_is_checked():
    with pytest.raises(ValueError, match="integer 0..3"):
        SafetyDays({"nausea": DailySeries([1], [4])})
    with pytest.raises(ValueError, match="one item per event"):
        SafetyDays(ae_days=[1], ae_severity=[1], ae_ids=())
    with pytest.raises(ValueError, match="1..3"):
        SafetyDays(ae_days=[1], ae_severity=[0], ae_ids=["a"])


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ({"key": "a", "kind": "ae_any", "from_day": 0, "to_day": 34, "sources": ["labs"]},
         "endpoints[0].sources: items must be adverse_events or symptoms, got 'labs'"),
        ({"key": "a", "kind": "ae_any", "from_day": 0, "to_day": 34, "sources": "symptoms"},
         "endpoints[0].sources: must be a non-empty list of adverse_events, symptoms"),
        ({"key": "a", "kind": "ae_any", "from_day": 0, "to_day": 34, "min_severity": "none"},
         "endpoints[0].min_severity: must be one of mild, moderate, severe, got 'none'"),
        ({"key": "a", "kind": "ae_any", "from_day": 34, "to_day": 0},
         "endpoints[0].from_day: must be <= to_day (34 > 0)"),
        ({"key": "s", "kind": "symptom_count", "from_day": 0, "to_day": 34},
         "endpoints[0].symptom: is required (a side-effect checklist code)"),
        ({"key": "s", "kind": "symptom_count", "symptom": "Nausea!", "from_day": 0,
          "to_day": 34}, "endpoints[0].symptom: must be a checklist code such as nausea, got "
                         "'Nausea!'"),
        ({"key": "s", "kind": "symptom_max_severity", "symptom": "nausea", "from_day": 0,
          "to_day": 34, "min_severity": "mild"},
         "endpoints[0].min_severity: unknown field (allowed: from_day, key, kind, label, "
         "paramcd, precision, primary, symptom, to_day, unit)"),
    ],
)
def test_side_effect_declarations_are_validated_with_path_and_rule(declaration, message):
    with pytest.raises(EndpointError) as e:
        validate_endpoints([declaration])
    assert str(e.value) == message


# ---- the crossover: % of participants with at least one AE per treatment ----------------

SEQUENCES = [("K", "KM", "P"), ("KM", "P", "K"), ("P", "K", "KM"),
             ("K", "P", "KM"), ("KM", "K", "P"), ("P", "KM", "K")]
WITH_AE = {"K": 2, "KM": 4, "P": 7}          # of 20: 10 %, 20 %, 35 %


def crossover() -> tuple[list[PeriodRecord], list[dict]]:
    """20 participants x 3 periods; the first WITH_AE[t] subjects have an AE under t.

    Half the events come from the coordinator's record, half from a mild checklist
    symptom; every participant-period also carries an event that started in the window
    before (day -3), which must not count.
    """
    records, extra = [], []
    for n, seq in zip(range(1, 21), itertools.cycle(SEQUENCES)):
        subject = f"S{n:02d}"
        for period, treatment in enumerate(seq, start=1):
            anchor = dt.date(2027, 1, 4) + dt.timedelta(days=35 * (period - 1))
            hit = n <= WITH_AE[treatment]
            by_record, by_symptom = hit and n % 2 == 0, hit and n % 2 == 1
            ae_days = [-3] + ([10] if by_record else [])
            saf = SafetyDays(checklist(vomiting={15: 1} if by_symptom else {}),
                             ae_days=ae_days, ae_severity=[2] * len(ae_days),
                             ae_ids=[f"{subject}p{period}ae{d}" for d in ae_days])
            records.append(PeriodRecord(subject, "CFD01", treatment, NO_SCORES, period,
                                        "-".join(seq), anchor))
            extra.append({SAFETY: saf})
    return records, extra


def test_the_summary_gives_the_percentage_with_an_adverse_event_per_treatment():
    records, extra = crossover()
    specs = validate_endpoints([{"key": "ae_any", "kind": "ae_any", "from_day": 0,
                                 "to_day": 34}])
    rows = {r["treatment"]: r for r in summary_table(score_records(records, specs,
                                                                   extra=extra)).dicts()}
    got = {t: (r["n"], r["n_responders"], r["percent_responders"]) for t, r in rows.items()}
    assert got == {"K": (20, 2, 100 * 2 / 20), "KM": (20, 4, 100 * 4 / 20),
                   "P": (20, 7, 100 * 7 / 20)}
    assert [got[t][2] for t in ("K", "KM", "P")] == [10.0, 20.0, 35.0]
    assert all(r["mean"] is None for r in rows.values())   # yes/no: percentages, not means


def test_every_participant_period_counts_toward_the_treatment_it_gave():
    records, extra = crossover()
    specs = validate_endpoints([{"key": "ae_any", "kind": "ae_any", "from_day": 0,
                                 "to_day": 34}])
    scored = score_records(records, specs, extra=extra)
    by_period = summary_table(scored, by=("period",)).dicts()
    assert sum(r["n_responders"] for r in by_period) == 2 + 4 + 7
    wide = {(r["subject"], r["treatment"]): r["ae_any"] for r in wide_table(scored).dicts()}
    assert wide["S07", "P"] == 1 and wide["S07", "KM"] == 0 and wide["S02", "K"] == 1
    long = long_table(scored).dicts()
    assert {r["AVAL"] for r in long} == {0.0, 1.0} and len(long) == 60
    s02 = next(r for r in long if r["USUBJID"] == "S02" and r["TRTA"] == "K")
    assert s02["SRCIDS"] == f"S02p{s02['APERIOD']}ae10"


def test_symptom_endpoints_flow_through_every_layout_within_xport_limits():
    records, extra = crossover()
    scored = score_records(records, SPECS, extra=extra)
    for table in (wide_table(scored), long_table(scored), summary_table(scored)):
        for d in table.dictionary():
            assert len(d["variable"]) <= 8 and 0 < len(d["label"]) <= 40
        assert not any(isinstance(v, float) and np.isnan(v) for row in table.rows for v in row)
    summary = {(r["treatment"], r["endpoint"]): r for r in summary_table(scored).dicts()}
    assert summary["P", "nausea_max"]["max"] == 0.0
    assert summary["P", "ae_sym"]["n_responders"] == 4     # S01, S03, S05, S07: by symptom
