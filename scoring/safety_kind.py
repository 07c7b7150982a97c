"""Side-effect endpoint kinds: any adverse event, and per-symptom count and worst severity.

They read ``extra["safety"]``, a :class:`SafetyDays` per participant-period: per
checklist symptom a :class:`~scoring.days.DailySeries` of the day's worst severity
(0 none .. 3 severe) on the days the checklist answered it, and the coordinator's
adverse events by onset day.  Windows are clipped to the days on study
(:mod:`scoring.onstudy`); days follow :mod:`scoring.days` (anchor = day 0).

=====================  ========================================================
ae_any                 from_day, to_day, sources=[adverse_events, symptoms],
                       min_severity=mild: 1 if an adverse event with onset in the
                       window, or a checklist symptom, reaches min_severity; else
                       0 when assessed, else no value
symptom_count          symptom, from_day, to_day, min_severity=mild: days the
                       symptom was reported at min_severity or worse
symptom_max_severity   symptom, from_day, to_day: worst severity reported (0-3)
=====================  ========================================================

What ``ae_any`` counts (decision): an event *starting* in the window (a crossover
period's window begins at its infusion, so an event belongs to the treatment period
it started in; ongoing events from before are not counted again), from either source.
"Assessed" for a 0: with ``adverse_events`` among the sources, any on-study day in the
window (the coordinator's record covers every day on study); with symptoms only, at
least one answered checklist in the window.  The summary table reports the share of
participant-periods with 1 per arm or treatment (:mod:`scoring.report`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from scoring.compliance import NO_DAY
from scoring.days import DailySeries
from scoring.onstudy import off_study_reason, on_study
from scoring.params import FieldError, Params
from scoring.results import BatchResult, ScoreResult, merge_ids
from scoring.spec import (
    BatchInputs,
    EndpointSpec,
    Output,
    PeriodInputs,
    check_day_range,
    register_kind,
)

__all__ = ["SAFETY", "SEVERITY_WORDS", "AeAnySpec", "SafetyDays", "SymptomCountSpec",
           "SymptomMaxSeveritySpec"]

SAFETY = "safety"
#: Severity words by code, as on the checklist (diary.safety.checklist.SEVERITIES).
SEVERITY_WORDS = ("none", "mild", "moderate", "severe")
SOURCES = ("adverse_events", "symptoms")
_SYMPTOM = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
_ANCHOR = "study day, anchor date = day 0"


@dataclass(frozen=True, eq=False)
class SafetyDays:
    """One participant-period's side-effect diary (the ``extra`` shape).

    Parameters
    ----------
    symptoms : mapping of symptom code to DailySeries
        The day's worst severity (integer 0..3) on each day the symptom was answered;
        ``entry_ids`` the checklist answer behind it.  An answered "none" is a 0, not
        a missing day.
    ae_days : array of int
        Onset study day of each adverse event.
    ae_severity : array of int
        Its severity, 1..3.
    ae_ids : sequence of str
        Its record id.
    start_day : int, optional
        First study day the diary was open in this period (enrolment).
    """

    symptoms: Mapping[str, DailySeries] = field(default_factory=dict)
    ae_days: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ae_severity: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ae_ids: tuple[str, ...] = ()
    start_day: int | None = None

    def __post_init__(self) -> None:
        for code, s in self.symptoms.items():
            v = s.values
            if v.size and ((v != np.round(v)).any() or v.min() < 0 or v.max() > 3):
                raise ValueError(f"severity of {code!r} must be an integer 0..3")
        days = np.asarray(self.ae_days, dtype=np.int64)
        sev = np.asarray(self.ae_severity, dtype=np.int64)
        if days.ndim != 1 or sev.shape != days.shape or len(self.ae_ids) != days.size:
            raise ValueError("ae_days, ae_severity and ae_ids must have one item per event")
        if sev.size and (sev.min() < 1 or sev.max() > 3):
            raise ValueError("adverse-event severity must be 1..3 (mild..severe)")
        object.__setattr__(self, "ae_days", days)
        object.__setattr__(self, "ae_severity", sev)
        object.__setattr__(self, "ae_ids", tuple(self.ae_ids))


def _window(p: Params) -> dict[str, int]:
    lo, hi = p.integer("from_day"), p.integer("to_day")
    check_day_range(lo, hi, "from_day", "to_day")
    return {"from_day": lo, "to_day": hi}


def _severity(p: Params) -> int:
    word = p.choice("min_severity", SEVERITY_WORDS[1:], "mild")
    return SEVERITY_WORDS.index(word)


def _sources(p: Params) -> tuple[str, ...]:
    v = p._get("sources", list(SOURCES))
    if isinstance(v, str) or not isinstance(v, list | tuple) or not v:
        raise FieldError("sources", f"must be a non-empty list of {', '.join(SOURCES)}")
    for x in v:
        if x not in SOURCES:
            raise FieldError("sources", f"items must be {' or '.join(SOURCES)}, got {x!r}")
    if len(set(v)) != len(v):
        raise FieldError("sources", "items must be distinct")
    return tuple(s for s in SOURCES if s in v)


@dataclass(frozen=True, kw_only=True)
class _SafetyWindowSpec(EndpointSpec):
    derivable: ClassVar[bool] = False
    reads_daily: ClassVar[bool] = False  # only extra["safety"]
    from_day: int
    to_day: int
    _what: ClassVar[str] = ""
    family: ClassVar[str] = "SAFETY"
    wide_counts: ClassVar[tuple[str, ...]] = ("n",)
    _count_rule: ClassVar[str] = ""

    def count_meaning(self, what: str) -> tuple[str, str, str, str]:
        if what == "n":
            return "N", "Days assessed", "num", self._count_rule
        return super().count_meaning(what)

    def outputs(self) -> tuple[Output, ...]:
        a, b = self.from_day, self.to_day
        label = self.label or f"{self._title()} days {a} to {b}"
        return (Output(self.key, self.key, label[:40], f"DAYS {a} TO {b}", b, b, b),)

    def _title(self) -> str:
        return self._what

    def _on(self, inputs: PeriodInputs) -> tuple[SafetyDays, int, int] | str:
        saf = inputs.extra.get(SAFETY)
        if saf is None:
            return "no side-effect diary for this period"
        kw = {"start_day": saf.start_day, "today_day": inputs.today_day,
              "stop_day": inputs.stop_day}
        on = on_study(self.from_day, self.to_day, **kw)
        if on is None:
            return off_study_reason(self.from_day, self.to_day, **kw)
        return saf, on[0], on[1]


def _in(s: DailySeries, lo: int, hi: int) -> np.ndarray:
    return (s.days >= lo) & (s.days <= hi)


def _series_ids(s: DailySeries, mask: np.ndarray) -> list[str]:
    return [] if s.entry_ids is None else [s.entry_ids[i] for i in np.flatnonzero(mask)]


@register_kind
@dataclass(frozen=True, kw_only=True)
class AeAnySpec(_SafetyWindowSpec):
    """``{key, kind: ae_any, from_day, to_day, sources, min_severity}``: 1 yes, 0 no.

    Examples
    --------
    >>> spec = AeAnySpec.from_dict({"key": "ae", "kind": "ae_any", "from_day": 0,
    ...                             "to_day": 34})
    >>> nausea = DailySeries([1, 8], [0, 2], entry_ids=["c1", "c8"])
    >>> saf = SafetyDays({"nausea": nausea})
    >>> spec.compute(PeriodInputs(DailySeries([], []), extra={SAFETY: saf}), {})["ae"].value
    1.0
    """

    kind: ClassVar[str] = "ae_any"
    binary: ClassVar[bool] = True
    _count_rule: ClassVar[str] = (
        "days of the window the value covers: every on-study day when adverse events are "
        "a source (the coordinator's record covers them), else days with an answered "
        "side-effect checklist")
    _what: ClassVar[str] = "Any adverse event"
    sources: tuple[str, ...] = SOURCES
    min_severity: int = 1

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        return {**_window(p), "sources": _sources(p), "min_severity": _severity(p)}

    def derivation(self) -> str:
        what = " or ".join({"adverse_events": "an adverse event with onset",
                            "symptoms": "a checklist symptom"}[s] for s in self.sources)
        return (f"1 if {what} at {SEVERITY_WORDS[self.min_severity]} or worse on an on-study "
                f"day of days {self.from_day} to {self.to_day} ({_ANCHOR}); 0 if none and "
                "assessed; else missing")

    def compute_batch(
        self, inputs: BatchInputs, done: Mapping[str, BatchResult]
    ) -> dict[str, BatchResult]:
        """Rows with nothing reported (most of a study) are 0 without building a row:
        the same value ``compute`` gives them, found with array operations."""
        n = inputs.daily.n_rows
        safs = [None] * n if inputs.extra is None else [e.get(SAFETY) for e in inputs.extra]
        quiet = np.fromiter((s is not None and not s.symptoms and not s.ae_days.size
                             for s in safs), dtype=bool, count=n)
        start = np.fromiter((self.from_day if s is None or s.start_day is None
                             else s.start_day for s in safs), dtype=np.int64, count=n)
        lo = np.maximum(start, self.from_day)
        hi = np.full(n, self.to_day, dtype=np.int64)
        today, stop = inputs.today_day, inputs.stop_day
        hi = np.where(today != NO_DAY, np.minimum(hi, today - 1), hi)
        hi = np.where(stop != NO_DAY, np.minimum(hi, stop), hi)
        fast = quiet & (lo <= hi) & ("adverse_events" in self.sources)
        slow = {int(i): self.compute(inputs.row(int(i), with_daily=False), {})[self.key]
                for i in np.flatnonzero(~fast)}
        values = np.zeros(n)
        days = np.where(fast, hi - lo + 1, 0).astype(np.int64)  # every on-study day
        for i, r in slow.items():
            values[i] = np.nan if r.value is None else r.value
            days[i] = r.n_observed
        no_ids: tuple[str, ...] = ()
        return {self.key: BatchResult(
            values, lambda i: slow[i].reason, dtype_mask=np.zeros(n, dtype=np.uint8),
            base=np.full(n, np.nan), n_observed=days,
            n_expected=np.full(n, self.to_day - self.from_day + 1, dtype=np.int64),
            row_ids=[slow[i].entry_ids if i in slow else no_ids for i in range(n)])}

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        expected = self.to_day - self.from_day + 1
        got = self._on(inputs)
        if isinstance(got, str):
            return {self.key: ScoreResult(None, got, n_observed=0, n_expected=expected)}
        saf, lo, hi = got
        found, hits, answered, days = False, [], [], set()
        if "adverse_events" in self.sources:
            m = (saf.ae_days >= lo) & (saf.ae_days <= hi) & (saf.ae_severity >= self.min_severity)
            found |= bool(m.any())
            hits += [saf.ae_ids[i] for i in np.flatnonzero(m)]
        if "symptoms" in self.sources:
            for s in saf.symptoms.values():
                inside = _in(s, lo, hi)
                reported = inside & (s.values >= self.min_severity)
                found |= bool(reported.any())
                answered += _series_ids(s, inside)
                hits += _series_ids(s, reported)
                days.update(s.days[inside].tolist())
        # Days the value covers: the coordinator's record covers every on-study day.
        n_days = hi - lo + 1 if "adverse_events" in self.sources else len(days)
        counts = {"n_observed": n_days, "n_expected": expected}
        if found:
            return {self.key: ScoreResult(1.0, entry_ids=merge_ids(hits), **counts)}
        if not n_days:
            return {self.key: ScoreResult(None, f"no side-effect checklist answered in days "
                                                f"{lo} to {hi}", **counts)}
        return {self.key: ScoreResult(0.0, entry_ids=merge_ids(answered), **counts)}


@dataclass(frozen=True, kw_only=True)
class _SymptomSpec(_SafetyWindowSpec):
    symptom: str
    _count_rule: ClassVar[str] = ("on-study days of the window on which the side-effect "
                                  "checklist answered the symptom")

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        code = p._get("symptom", None)
        if code is None:
            raise FieldError("symptom", "is required (a side-effect checklist code)")
        if not isinstance(code, str) or not _SYMPTOM.fullmatch(code):
            raise FieldError("symptom", f"must be a checklist code such as nausea, got {code!r}")
        return {**_window(p), "symptom": code}

    def _title(self) -> str:
        return f"{self.symptom.replace('_', ' ').capitalize()} {self._what}"

    def _counts(self, inside: np.ndarray | None = None) -> dict[str, int]:
        """Answered days (n_observed) among the window's days (n_expected)."""
        n = 0 if inside is None else int(inside.sum())
        return {"n_observed": n, "n_expected": self.to_day - self.from_day + 1}

    def _none(self, reason: str) -> dict[str, ScoreResult]:
        return {self.key: ScoreResult(None, reason, **self._counts())}

    def _answers(self, inputs: PeriodInputs) -> tuple[DailySeries, np.ndarray] | str:
        got = self._on(inputs)
        if isinstance(got, str):
            return got
        saf, lo, hi = got
        s = saf.symptoms.get(self.symptom)
        inside = None if s is None else _in(s, lo, hi)
        if s is None or not inside.any():
            return f"no {self.symptom} answer in days {lo} to {hi}"
        return s, inside


@register_kind
@dataclass(frozen=True, kw_only=True)
class SymptomCountSpec(_SymptomSpec):
    """``{key, kind: symptom_count, symptom, from_day, to_day, min_severity: mild}``."""

    kind: ClassVar[str] = "symptom_count"
    base_unit: ClassVar[str] = "days"
    _what: ClassVar[str] = "days"
    min_severity: int = 1

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        return {**super().parse(p), "min_severity": _severity(p)}

    def derivation(self) -> str:
        return (f"Number of on-study days of days {self.from_day} to {self.to_day} "
                f"({_ANCHOR}) with {self.symptom} reported "
                f"{SEVERITY_WORDS[self.min_severity]} or worse; missing if never answered")

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        got = self._answers(inputs)
        if isinstance(got, str):
            return self._none(got)
        s, inside = got
        n = int((inside & (s.values >= self.min_severity)).sum())
        return {self.key: ScoreResult(float(n), entry_ids=tuple(_series_ids(s, inside)),
                                      **self._counts(inside))}


@register_kind
@dataclass(frozen=True, kw_only=True)
class SymptomMaxSeveritySpec(_SymptomSpec):
    """``{key, kind: symptom_max_severity, symptom, from_day, to_day}``: worst, 0-3."""

    kind: ClassVar[str] = "symptom_max_severity"
    base_unit: ClassVar[str] = "severity 0-3"
    _what: ClassVar[str] = "worst (0-3)"

    def derivation(self) -> str:
        return (f"Worst {self.symptom} severity (0 none, 1 mild, 2 moderate, 3 severe) "
                f"reported on on-study days of days {self.from_day} to {self.to_day} "
                f"({_ANCHOR}); missing if never answered")

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        got = self._answers(inputs)
        if isinstance(got, str):
            return self._none(got)
        s, inside = got
        return {self.key: ScoreResult(float(s.values[inside].max()),
                                      entry_ids=tuple(_series_ids(s, inside)),
                                      **self._counts(inside))}
