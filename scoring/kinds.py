"""Built-in endpoint kinds read from the daily series.

``auc``, ``timepoint``, ``weekly``, ``baseline`` and ``compliance``: each is a
thin declaration around the functions of :mod:`scoring.auc`,
:mod:`scoring.timepoints`, :mod:`scoring.baseline` and
:mod:`scoring.compliance`, with a vectorised ``compute_batch``.  Days follow
:mod:`scoring.days` (anchor date = day 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from scoring.auc import ENDS, auc, auc_batch
from scoring.baseline import baseline
from scoring.compliance import compliance, compliance_batch
from scoring.params import FieldError, Params
from scoring.results import BatchResult, ScoreResult
from scoring.spec import BatchInputs, EndpointSpec, Output, PeriodInputs, check_day_range
from scoring.spec import register_kind as _register
from scoring.timepoints import value_at, week_days, weekly_mean, window_mean_batch
from scoring.units import DAILY_UNIT

__all__ = ["AucSpec", "BaselineSpec", "ComplianceSpec", "TimepointSpec", "WeeklySpec"]

_ANCHOR = "study day, anchor date = day 0"


def _days(a: int, b: int) -> str:
    """A day range for a PARAM text: "1-35", but "-7 to -1" (a dash would read as minus)."""
    return f"{a}-{b}" if a >= 0 else f"{a} to {b}"


def _span_fields(p: Params, lo_default: Any = None, hi_default: Any = None) -> dict[str, int]:
    lo = p.integer("from_day") if lo_default is None else p.integer("from_day", lo_default)
    hi = p.integer("to_day") if hi_default is None else p.integer("to_day", hi_default)
    check_day_range(lo, hi, "from_day", "to_day")
    return {"from_day": lo, "to_day": hi}


@_register
@dataclass(frozen=True, kw_only=True)
class AucSpec(EndpointSpec):
    """``{key, kind: auc, from_day, to_day, ends: carry|none, min_coverage, min_days}``."""

    kind: ClassVar[str] = "auc"
    base_unit: ClassVar[str] = f"{DAILY_UNIT} score-days"
    wide_counts: ClassVar[tuple[str, ...]] = ("n", "dtype")
    from_day: int
    to_day: int
    ends: str = "carry"
    min_coverage: float | None = None
    min_days: int | None = None

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        return {
            **_span_fields(p),
            "ends": p.choice("ends", ENDS, "carry"),
            "min_coverage": p.number("min_coverage", None, above=0, at_most=1),
            "min_days": p.integer("min_days", None, minimum=1),
        }

    def outputs(self) -> tuple[Output, ...]:
        a, b = self.from_day, self.to_day
        label = self.label or f"AUC days {a} to {b} (score-days)"
        return (Output(self.key, self.key, label, f"DAYS {a} TO {b}", b, b, b),)

    def span(self) -> tuple[int, int]:
        return self.from_day, self.to_day

    def derivation(self) -> str:
        rule = []
        if self.min_coverage is not None:
            rule.append(f">= {self.min_coverage * 100:g} % of days observed")
        if self.min_days is not None:
            rule.append(f">= {self.min_days} days observed")
        ends = ("missing first/last day carried from nearest observed (NOCB/LOCF)"
                if self.ends == "carry" else "no value if first or last day missing")
        return (f"Linear trapezoidal AUC of daily scores, days {self.from_day} to "
                f"{self.to_day} ({_ANCHOR}), score-days; interior gaps interpolated; "
                f"{ends}; " + ("; ".join(rule) or ">= 1 day observed"))

    def default_param(self) -> str:
        text = (f"AUC days {_days(self.from_day, self.to_day)}, ends "
                + ("carried" if self.ends == "carry" else "not carried"))
        if self.min_coverage is not None:
            text += f", >= {self.min_coverage * 100:g} % of days"
        if self.min_days is not None:
            text += f", >= {self.min_days} days"
        return text

    def _kw(self) -> dict[str, Any]:
        return {"a": self.from_day, "b": self.to_day, "ends": self.ends,
                "min_coverage": self.min_coverage, "min_days": self.min_days}

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        return {self.key: auc(inputs.daily, **self._kw())}

    def compute_batch(
        self, inputs: BatchInputs, done: Mapping[str, BatchResult]
    ) -> dict[str, BatchResult]:
        m = inputs.daily
        return {self.key: auc_batch(m.values, m.first_day, **self._kw())}


@_register
@dataclass(frozen=True, kw_only=True)
class TimepointSpec(EndpointSpec):
    """``{key, kind: timepoint, day, window: 0, min_days: 1}``; window = ± days averaged."""

    kind: ClassVar[str] = "timepoint"
    base_unit: ClassVar[str] = DAILY_UNIT
    wide_counts: ClassVar[tuple[str, ...]] = ("n",)
    day: int
    window: int = 0
    min_days: int = 1

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        return {"day": p.integer("day"), "window": p.integer("window", 0, minimum=0),
                "min_days": p.integer("min_days", 1, minimum=1)}

    def outputs(self) -> tuple[Output, ...]:
        d, w = self.day, self.window
        label = self.label or (f"Score day {d}" if w == 0 else f"Mean score days {d-w} to {d+w}")
        return (Output(self.key, self.key, label, f"DAY {d}", d, d, d + w),)

    def span(self) -> tuple[int, int]:
        return self.day - self.window, self.day + self.window

    def derivation(self) -> str:
        if self.window == 0:
            return f"Daily score on day {self.day} ({_ANCHOR}); not imputed"
        lo, hi = self.span()
        return (f"Mean of observed daily scores, days {lo} to {hi} ({_ANCHOR}); "
                f">= {self.min_days} days observed")

    def default_param(self) -> str:
        if self.window == 0:
            return f"Pain at day {self.day}"
        lo, hi = self.span()
        need = f", >= {self.min_days} days" if self.min_days > 1 else ""
        return f"Pain at day {self.day} (days {_days(lo, hi)}{need})"

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        r = value_at(inputs.daily, self.day, window=self.window, min_days=self.min_days)
        return {self.key: r}

    def compute_batch(
        self, inputs: BatchInputs, done: Mapping[str, BatchResult]
    ) -> dict[str, BatchResult]:
        m, (lo, hi) = inputs.daily, self.span()
        return {self.key: window_mean_batch(m.values, m.first_day, lo=lo, hi=hi,
                                            min_days=self.min_days)}


@_register
@dataclass(frozen=True, kw_only=True)
class WeeklySpec(EndpointSpec):
    """``{key, kind: weekly, weeks: 12 | [1, 4, 12], min_days: 4}``; outputs ``<key>_w<n>``."""

    kind: ClassVar[str] = "weekly"
    base_unit: ClassVar[str] = DAILY_UNIT
    wide_counts: ClassVar[tuple[str, ...]] = ("n",)
    weeks: tuple[int, ...]
    min_days: int = 4

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        return {"weeks": tuple(p.int_list("weeks", minimum=1)),
                "min_days": _min_days_in_week(p)}

    def outputs(self) -> tuple[Output, ...]:
        label = self.label or "Weekly mean score"
        return tuple(Output(f"{self.key}_w{n}", self.key, label, f"WEEK {n}", n, 7 * n, 7 * n)
                     for n in self.weeks)

    def span(self) -> tuple[int, int]:
        return week_days(self.weeks[0])[0], week_days(self.weeks[-1])[1]

    def derivation(self) -> str:
        return (f"Mean of observed daily scores of week n = days 7n-6 to 7n ({_ANCHOR}); "
                f">= {self.min_days} days observed")

    def default_param(self) -> str:
        w = self.weeks
        if len(w) == 1:
            weeks = f"week {w[0]}"
        elif w == tuple(range(w[0], w[-1] + 1)):
            weeks = f"weeks {w[0]}-{w[-1]}"
        else:
            weeks = "weeks " + ", ".join(map(str, w))
        return f"Weekly mean pain, {weeks}, >= {self.min_days} of 7 days"

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        return {o.key: weekly_mean(inputs.daily, n, min_days=self.min_days)
                for o, n in zip(self.outputs(), self.weeks, strict=True)}

    def compute_batch(
        self, inputs: BatchInputs, done: Mapping[str, BatchResult]
    ) -> dict[str, BatchResult]:
        m, out = inputs.daily, {}
        for o, n in zip(self.outputs(), self.weeks, strict=True):
            lo, hi = week_days(n)
            out[o.key] = window_mean_batch(m.values, m.first_day, lo=lo, hi=hi,
                                           min_days=self.min_days)
        return out


def _min_days_in_week(p: Params) -> int:
    k = p.integer("min_days", 4, minimum=1)
    if k > 7:
        raise FieldError("min_days", f"must be <= 7 (days in a week), got {k}")
    return k


@_register
@dataclass(frozen=True, kw_only=True)
class BaselineSpec(EndpointSpec):
    """``{key, kind: baseline, from_day: -7, to_day: -1, min_days: 4}`` (the defaults)."""

    kind: ClassVar[str] = "baseline"
    base_unit: ClassVar[str] = DAILY_UNIT
    wide_counts: ClassVar[tuple[str, ...]] = ("n",)
    baseline_capable: ClassVar[bool] = True
    derivable: ClassVar[bool] = False
    from_day: int = -7
    to_day: int = -1
    min_days: int = 4

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        span = _span_fields(p, -7, -1)
        k = p.integer("min_days", 4, minimum=1)
        if k > span["to_day"] - span["from_day"] + 1:
            raise FieldError("min_days", f"must be <= the {span['to_day'] - span['from_day'] + 1} "
                                    "days of the window")
        return {**span, "min_days": k}

    def outputs(self) -> tuple[Output, ...]:
        a, b = self.from_day, self.to_day
        label = self.label or f"Baseline mean score days {a} to {b}"
        return (Output(self.key, self.key, label, "BASELINE", 0, b, b),)

    def span(self) -> tuple[int, int]:
        return self.from_day, self.to_day

    def derivation(self) -> str:
        return (f"Mean of observed daily scores, days {self.from_day} to {self.to_day} "
                f"({_ANCHOR}); >= {self.min_days} days observed")

    def default_param(self) -> str:
        return (f"Baseline mean pain, days {_days(self.from_day, self.to_day)}, "
                f">= {self.min_days} days")

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        return {self.key: baseline(inputs.daily, from_day=self.from_day, to_day=self.to_day,
                                   min_days=self.min_days)}

    def compute_batch(
        self, inputs: BatchInputs, done: Mapping[str, BatchResult]
    ) -> dict[str, BatchResult]:
        m = inputs.daily
        return {self.key: window_mean_batch(m.values, m.first_day, lo=self.from_day,
                                            hi=self.to_day, min_days=self.min_days,
                                            name="baseline")}


@_register
@dataclass(frozen=True, kw_only=True)
class ComplianceSpec(EndpointSpec):
    """``{key, kind: compliance, from_day, to_day}``: percent of due diary days completed."""

    kind: ClassVar[str] = "compliance"
    base_unit: ClassVar[str] = "% of diary days"
    wide_counts: ClassVar[tuple[str, ...]] = ("expected", "completed")
    derivable: ClassVar[bool] = False
    from_day: int
    to_day: int

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        return _span_fields(p)

    def outputs(self) -> tuple[Output, ...]:
        a, b = self.from_day, self.to_day
        label = self.label or f"Diary compliance days {a} to {b} (%)"
        return (Output(self.key, self.key, label, f"DAYS {a} TO {b}", b, b, None),)

    def span(self) -> tuple[int, int]:
        return self.from_day, self.to_day

    def derivation(self) -> str:
        return (f"100 * completed / expected diary days, days {self.from_day} to "
                f"{self.to_day} ({_ANCHOR}); expected days start at enrolment and stop "
                "before today (today too once filled) and at withdrawal")

    def default_param(self) -> str:
        return f"Diary compliance (%), days {_days(self.from_day, self.to_day)}"

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        return {self.key: compliance(inputs.daily, from_day=self.from_day, to_day=self.to_day,
                                     today_day=inputs.today_day, stop_day=inputs.stop_day,
                                     start_day=inputs.start_day)}

    def compute_batch(
        self, inputs: BatchInputs, done: Mapping[str, BatchResult]
    ) -> dict[str, BatchResult]:
        m = inputs.daily
        return {self.key: compliance_batch(
            m.values, m.first_day, from_day=self.from_day, to_day=self.to_day,
            today_day=inputs.today_day, stop_day=inputs.stop_day, start_day=inputs.start_day)}
