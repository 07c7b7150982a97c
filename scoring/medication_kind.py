"""Medication endpoint kinds: MME total and daily mean, rescue days, MME change (issue 6).

They read ``extra["medication"]``, a :class:`MedicationDays` per participant-period:
one row per intake and study day it counts on (a patch: one row per wear day, see
``diary.medication.mme``), with its MME (NaN: an opioid without a conversion factor)
and rescue flag.  A day without a row is a day without medication *if* the participant
was on study (:mod:`scoring.onstudy`); days follow :mod:`scoring.days` (anchor = day 0).

==============  ===============================================================
mme_total       from_day, to_day, unconverted=none (none|skip); every window day
                must be on study (a partial total would under-count)
mme_daily_mean  from_day, to_day, min_days=1, unconverted=none: total / on-study days
rescue_days     from_day, to_day, min_days=1: 100 * on-study days with >= 1 rescue
                dose / on-study days (denominator: days on study, not diary entries)
mme_change      of, baseline (two mme_daily_mean, or two mme_total of equal length):
                of - baseline; fills BASE and CHG of the ``of`` row in the long table
==============  ===============================================================

``unconverted: none`` gives no value when an intake in the window has no MME (the
reason names it); ``skip`` leaves such intakes out (counted as 0 MME).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, ClassVar, Self

import numpy as np

from scoring.derived import ChangeSpec, _output
from scoring.onstudy import off_study_reason, on_study
from scoring.params import FieldError, Params
from scoring.results import ScoreResult, merge_ids
from scoring.spec import EndpointSpec, Output, PeriodInputs, check_day_range, register_kind

__all__ = [
    "MEDICATION",
    "MedicationDays",
    "MmeChangeSpec",
    "MmeDailyMeanSpec",
    "MmeTotalSpec",
    "RescueDaysSpec",
]

MEDICATION = "medication"
_ANCHOR = "study day, anchor date = day 0"


@dataclass(frozen=True, eq=False)
class MedicationDays:
    """One participant-period's medication diary as rows (the ``extra`` shape).

    Parameters
    ----------
    days : array of int
        Study day each row counts on.
    mme : array of float
        MME of the row; 0 for non-opioids; NaN for an opioid without a factor.
    rescue : array of bool
        The row is a rescue dose.
    entry_ids : sequence of str, optional
        Intake id per row (repeated over a patch's wear days).
    no_mme : sequence of str or None, optional
        Per row, why its MME is NaN (the conversion table's reason).
    start_day : int, optional
        First study day the medication diary was open in this period (enrolment);
        ``None``: open from the start of every window.

    Examples
    --------
    >>> m = MedicationDays.from_rows([(1, 15, True, "i1"), (2, None, False, "i2", "no factor")])
    >>> m.mme.tolist(), m.rescue.tolist(), m.no_mme
    ([15.0, nan], [True, False], (None, 'no factor'))
    """

    days: np.ndarray
    mme: np.ndarray
    rescue: np.ndarray
    entry_ids: tuple[str, ...] = ()
    no_mme: tuple[str | None, ...] = ()
    start_day: int | None = None

    def __post_init__(self) -> None:
        days = np.asarray(self.days)
        if days.size and not np.issubdtype(days.dtype, np.integer):
            raise ValueError(f"days must be integers (study days), got dtype {days.dtype}")
        days = days.astype(np.int64)
        mme = np.asarray(self.mme, dtype=np.float64)
        rescue = np.asarray(self.rescue, dtype=bool)
        n = days.shape[0] if days.ndim == 1 else -1
        if n < 0 or mme.shape != (n,) or rescue.shape != (n,):
            raise ValueError("days, mme and rescue must be 1-D arrays of one length")
        if np.isinf(mme).any() or (mme < 0).any():
            raise ValueError("mme must be >= 0, or NaN for an intake without MME")
        for name in ("entry_ids", "no_mme"):
            v = tuple(getattr(self, name))
            if v and len(v) != n:
                raise ValueError(f"{name} has {len(v)} items for {n} rows")
            object.__setattr__(self, name, v)
        for name, a in (("days", days), ("mme", mme), ("rescue", rescue)):
            a.flags.writeable = False
            object.__setattr__(self, name, a)

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple], *, start_day: int | None = None
    ) -> MedicationDays:
        """From ``(day, mme or None, rescue, entry_id[, no_mme reason])`` tuples."""
        rows = [tuple(r) + (None,) * (5 - len(r)) for r in rows]
        return cls(
            np.array([r[0] for r in rows], dtype=np.int64),
            np.array([np.nan if r[1] is None else float(Decimal(str(r[1]))) for r in rows]),
            np.array([bool(r[2]) for r in rows], dtype=bool),
            tuple(str(r[3]) for r in rows) if rows and all(r[3] is not None for r in rows)
            else (),
            tuple(r[4] for r in rows) if any(r[4] is not None for r in rows) else (),
            start_day,
        )


def _window_fields(p: Params) -> dict[str, int]:
    lo, hi = p.integer("from_day"), p.integer("to_day")
    check_day_range(lo, hi, "from_day", "to_day")
    return {"from_day": lo, "to_day": hi}


def _min_days(p: Params, span: dict[str, int]) -> int:
    k = p.integer("min_days", 1, minimum=1)
    n = span["to_day"] - span["from_day"] + 1
    if k > n:
        raise FieldError("min_days", f"must be <= the {n} days of the window, got {k}")
    return k


@dataclass(frozen=True, kw_only=True)
class _WindowSpec(EndpointSpec):
    """A medication window ``[from_day, to_day]``; reads no daily scores."""

    reads_daily: ClassVar[bool] = False  # only extra["medication"]
    derivable: ClassVar[bool] = False
    from_day: int
    to_day: int
    unconverted: str = "none"
    _what: ClassVar[str] = ""
    family: ClassVar[str] = "MEDICATION"
    wide_counts: ClassVar[tuple[str, ...]] = ("n",)

    def count_meaning(self, what: str) -> tuple[str, str, str, str]:
        if what == "n":
            return ("N", "On-study days used", "num",
                    "days of the window on study (from enrolment, before today, until "
                    "withdrawal): the days the total, mean or percent reads")
        return super().count_meaning(what)

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        return {**_window_fields(p), "unconverted": p.choice("unconverted", ("none", "skip"),
                                                             "none")}

    def outputs(self) -> tuple[Output, ...]:
        a, b = self.from_day, self.to_day
        label = self.label or f"{self._what} days {a} to {b}"
        return (Output(self.key, self.key, label[:40], f"DAYS {a} TO {b}", b, b, b),)

    def _rows(self, inputs: PeriodInputs) -> tuple[MedicationDays, tuple[int, int]] | str:
        """The diary and its on-study days in the window, or the reason there are none."""
        med = inputs.extra.get(MEDICATION)
        if med is None:
            return "no medication diary for this period"
        kw = {"start_day": med.start_day, "today_day": inputs.today_day,
              "stop_day": inputs.stop_day}
        on = on_study(self.from_day, self.to_day, **kw)
        if on is None:
            return "no medication diary days: " + off_study_reason(self.from_day, self.to_day,
                                                                    **kw)
        return med, on

    def _mme_sum(self, med: MedicationDays, lo: int, hi: int) -> tuple[float | None, str | None,
                                                                         tuple[str, ...]]:
        inside = (med.days >= lo) & (med.days <= hi)
        ids = _ids(med, inside)
        missing = inside & np.isnan(med.mme)
        if missing.any() and self.unconverted == "none":
            i = int(np.flatnonzero(missing)[np.argmin(med.days[missing])])
            why = med.no_mme[i] if med.no_mme and med.no_mme[i] else "no MME"
            n = int(missing.sum())
            return None, (f"{n} intake(s) without MME in days {lo} to {hi}, first on day "
                          f"{int(med.days[i])}: {why}"), ids
        return float(np.nansum(med.mme[inside])), None, ids

    def _none(self, reason: str, n_on: int = 0) -> dict[str, ScoreResult]:
        """No value, with the on-study and window day counts (0 days on study by default)."""
        expected = self.to_day - self.from_day + 1
        return {self.key: ScoreResult(None, reason, n_observed=n_on, n_expected=expected)}

    def _unconverted_rule(self) -> str:
        return ("no value if an intake has no MME" if self.unconverted == "none"
                else "intakes without MME left out")


def _ids(med: MedicationDays, mask: np.ndarray) -> tuple[str, ...]:
    if not med.entry_ids:
        return ()
    idx = np.flatnonzero(mask)
    idx = idx[np.argsort(med.days[idx], kind="stable")]
    return merge_ids([med.entry_ids[i] for i in idx])


@register_kind
@dataclass(frozen=True, kw_only=True)
class MmeTotalSpec(_WindowSpec):
    """``{key, kind: mme_total, from_day, to_day, unconverted}``: sum of MME in the window.

    Examples
    --------
    >>> from scoring.days import DailySeries
    >>> spec = MmeTotalSpec.from_dict({"key": "mme02", "kind": "mme_total",
    ...                                "from_day": 0, "to_day": 2})
    >>> med = MedicationDays.from_rows([(0, 15, True, "a"), (2, 10, False, "b")])
    >>> spec.compute(PeriodInputs(DailySeries([], []), extra={MEDICATION: med}), {})["mme02"]
    ScoreResult(value=25.0, reason=None, entry_ids=('a', 'b'), dtype=None, n_observed=3, \
n_expected=3, base=None)
    """

    kind: ClassVar[str] = "mme_total"
    base_unit: ClassVar[str] = "mg MME"
    _what: ClassVar[str] = "Total MME"

    def derivation(self) -> str:
        return (f"Sum of morphine milligram equivalents of intakes on days {self.from_day} to "
                f"{self.to_day} ({_ANCHOR}); every day on study; {self._unconverted_rule()}")

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        got = self._rows(inputs)
        if isinstance(got, str):
            return self._none(got)
        med, (lo, hi) = got
        n, expected = hi - lo + 1, self.to_day - self.from_day + 1
        if n < expected:
            return self._none(f"on study days {lo} to {hi} only; a total needs days "
                              f"{self.from_day} to {self.to_day}", n)
        total, reason, ids = self._mme_sum(med, lo, hi)
        return {self.key: ScoreResult(total, reason, ids, n_observed=n, n_expected=expected)}


@register_kind
@dataclass(frozen=True, kw_only=True)
class MmeDailyMeanSpec(_WindowSpec):
    """``{key, kind: mme_daily_mean, from_day, to_day, min_days: 1, unconverted}``.

    Total MME of the on-study days of the window divided by their number.
    """

    kind: ClassVar[str] = "mme_daily_mean"
    base_unit: ClassVar[str] = "mg MME/day"
    _what: ClassVar[str] = "Mean daily MME"
    min_days: int = 1

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        fields = super().parse(p)
        return {**fields, "min_days": _min_days(p, fields)}

    def derivation(self) -> str:
        return (f"Total MME of intakes on the on-study days of days {self.from_day} to "
                f"{self.to_day} ({_ANCHOR}) / number of those days; >= {self.min_days} days "
                f"on study; {self._unconverted_rule()}")

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        got = self._rows(inputs)
        if isinstance(got, str):
            return self._none(got)
        med, (lo, hi) = got
        n, expected = hi - lo + 1, self.to_day - self.from_day + 1
        if n < self.min_days:
            return self._none(f"{n}/{expected} days on study, {self.min_days} required", n)
        total, reason, ids = self._mme_sum(med, lo, hi)
        value = None if total is None else total / n
        return {self.key: ScoreResult(value, reason, ids, n_observed=n, n_expected=expected)}


@register_kind
@dataclass(frozen=True, kw_only=True)
class RescueDaysSpec(_WindowSpec):
    """``{key, kind: rescue_days, from_day, to_day, min_days: 1}``: % of days with rescue."""

    kind: ClassVar[str] = "rescue_days"
    base_unit: ClassVar[str] = "% of days"
    _what: ClassVar[str] = "Rescue medication (% days)"
    min_days: int = 1

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        fields = _window_fields(p)
        return {**fields, "min_days": _min_days(p, fields)}

    def derivation(self) -> str:
        return (f"100 * on-study days with >= 1 rescue dose / on-study days, days "
                f"{self.from_day} to {self.to_day} ({_ANCHOR}); >= {self.min_days} days on "
                "study")

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        got = self._rows(inputs)
        if isinstance(got, str):
            return self._none(got)
        med, (lo, hi) = got
        n, expected = hi - lo + 1, self.to_day - self.from_day + 1
        if n < self.min_days:
            return self._none(f"{n}/{expected} days on study, {self.min_days} required", n)
        rescue = (med.days >= lo) & (med.days <= hi) & med.rescue
        n_rescue = int(np.unique(med.days[rescue]).size)
        return {self.key: ScoreResult(100.0 * n_rescue / n, None, _ids(med, rescue),
                                      n_observed=n, n_expected=expected)}


@register_kind
@dataclass(frozen=True, kw_only=True)
class MmeChangeSpec(ChangeSpec):
    """``{key, kind: mme_change, of, baseline}``: change in MME from a baseline window.

    Both must be ``mme_daily_mean`` endpoints, or ``mme_total`` over windows of equal
    length (totals of unequal windows are not comparable).  Declared before it.
    """

    kind: ClassVar[str] = "mme_change"
    baseline: str

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        return {"of": p.ref("of"), "baseline": p.ref("baseline")}

    def resolve(self, known: Mapping[str, EndpointSpec]) -> Self:
        of, base = known[self.of], known[self.baseline]
        for name, spec in (("of", of), ("baseline", base)):
            if not isinstance(spec, MmeTotalSpec | MmeDailyMeanSpec):
                raise FieldError(name, f"{spec.key!r} is a {spec.kind} endpoint; mme_change "
                                       "compares mme_daily_mean (or mme_total) endpoints")
        if type(of) is not type(base):
            raise FieldError("baseline", f"{self.baseline!r} is {base.kind} but {self.of!r} is "
                                         f"{of.kind}; compare like with like")
        n_of, n_base = (s.to_day - s.from_day + 1 for s in (of, base))
        if isinstance(of, MmeTotalSpec) and n_of != n_base:
            raise FieldError("baseline", f"totals over {n_of} and {n_base} days are not "
                                         "comparable; use mme_daily_mean")
        return replace(self, target=_output(of, self.of))

    def _label(self, what: str) -> str:
        return self.label or f"{what} in MME from baseline, {self.of}"[:40]

    def derivation(self) -> str:
        return f"{self.of} - {self.baseline} (change in MME from the baseline window)"
