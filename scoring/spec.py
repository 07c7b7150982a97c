"""The endpoint-kind interface and its open registry.

An endpoint kind is a frozen dataclass subclassing :class:`EndpointSpec`,
registered with :func:`register_kind`.  It reads its parameters from a plain
dict (``from_dict``), names the values it produces (``outputs``) and computes
them for one participant-period (``compute``) and, optionally, for many at
once (``compute_batch``; the default loops over rows).  Later kinds
(questionnaire scores, medication MME, adverse events) register the same way
and read their own data from ``PeriodInputs.extra``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np

from scoring.days import DailySeries
from scoring.matrix import DailyMatrix
from scoring.params import FieldError, Params
from scoring.precision import DEFAULT_DECIMALS
from scoring.results import DTYPE_INTERP, DTYPE_LOCF, DTYPE_NOCB, BatchResult, ScoreResult

__all__ = [
    "KINDS",
    "BatchInputs",
    "EndpointSpec",
    "FieldError",
    "Output",
    "PeriodInputs",
    "register_kind",
]

KINDS: dict[str, type[EndpointSpec]] = {}


def register_kind(cls: type[EndpointSpec]) -> type[EndpointSpec]:
    """Class decorator adding an endpoint kind to :data:`KINDS` under ``cls.kind``."""
    kind = getattr(cls, "kind", None)
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"{cls.__name__} needs a class attribute kind = '<name>'")
    if KINDS.get(kind, cls) is not cls:
        raise ValueError(f"endpoint kind {kind!r} is already registered by {KINDS[kind]}")
    KINDS[kind] = cls
    return cls


@dataclass(frozen=True, slots=True)
class Output:
    """One value an endpoint produces per participant-period.

    ``key`` is its wide column and reference name; ``param`` the endpoint key
    (PARAMCD source); ``visit`` / ``visitnum`` / ``day`` fill AVISIT, AVISITN,
    ADY (study day, anchor = day 0); ``last_day`` is the last diary day it
    reads, so it is pending while ``today_day <= last_day`` (``None``: never).
    """

    key: str
    param: str
    label: str
    visit: str
    visitnum: float | None = None
    day: int | None = None
    last_day: int | None = None


@dataclass(frozen=True)
class PeriodInputs:
    """What one participant-period's endpoints are computed from."""

    daily: DailySeries
    today_day: int | None = None
    stop_day: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    start_day: int | None = None  # first day the diary was open (enrolment)


_NO_DAILY = DailySeries([], [])


@dataclass(frozen=True)
class BatchInputs:
    """The batch form of :class:`PeriodInputs`: one row per participant-period.

    ``today_day`` / ``stop_day`` are per-row int64 arrays, ``NO_DAY`` for none;
    ``start_day`` too, ``-NO_DAY`` for none (or None: no row has one).
    """

    daily: DailyMatrix
    today_day: np.ndarray
    stop_day: np.ndarray
    extra: Sequence[Mapping[str, Any]] | None = None
    start_day: np.ndarray | None = None

    def row(self, i: int, *, with_daily: bool = True) -> PeriodInputs:
        """Row ``i``; ``with_daily=False`` skips building its daily series (kinds that
        read only ``extra`` need none, and building it is most of a row's cost)."""
        from scoring.compliance import NO_DAY

        t, s = int(self.today_day[i]), int(self.stop_day[i])
        b = -NO_DAY if self.start_day is None else int(self.start_day[i])
        return PeriodInputs(
            self.daily.series(i) if with_daily else _NO_DAILY,
            None if t == NO_DAY else t,
            None if s == NO_DAY else s,
            {} if self.extra is None else self.extra[i],
            None if b == -NO_DAY else b,
        )


@dataclass(frozen=True, kw_only=True)
class EndpointSpec:
    """Base of endpoint kinds; subclasses add their parameters as fields."""

    kind: ClassVar[str] = ""
    #: May this kind's outputs be the ``of`` of change / percent_change / responder?
    derivable: ClassVar[bool] = True
    #: Does it read the daily pain series?  Kinds that read only ``extra`` say False, and
    #: the default ``compute_batch`` then gives them rows without one.
    reads_daily: ClassVar[bool] = True
    #: May it be named as the ``baseline`` of change / percent_change (the daily
    #: ``baseline`` kind, or a questionnaire score at a baseline visit)?
    baseline_capable: ClassVar[bool] = False
    #: Are its values yes/no flags (1.0 / 0.0)?  The summary table then reports the
    #: count and percent of 1s per group (responders, any adverse event).
    binary: ClassVar[bool] = False
    #: ADaM PARCAT1 of its long-table rows (the endpoint family); empty: the kind upper-cased.
    family: ClassVar[str] = ""
    #: Count columns the wide table adds after the value (see scoring.tables.WIDE_COUNTS):
    #: "n" observed days used, "dtype" imputation, "expected"/"completed" diary days.
    wide_counts: ClassVar[tuple[str, ...]] = ()

    key: str
    label: str | None = None
    paramcd: str | None = None
    #: Decimals its values are written with (``precision: 2``); ``None``: the default of
    #: :meth:`decimals`.
    precision: int | None = None
    #: Unit of its values as a report prints it (``unit: NRS 0-10``); ``None``: the
    #: default :func:`scoring.units.resolve_units` fills into ``unit_default``.
    unit: str | None = None
    #: The trial's primary endpoint (``primary: true``): the summary flags its rows.
    primary: bool = False
    #: The unit when none is declared: the kind's, or that of the value it derives from
    #: (set by :func:`scoring.units.resolve_units`, never read from the declaration).
    unit_default: str | None = None
    #: The unit a kind's values have when nothing else says (override per kind).
    base_unit: ClassVar[str] = ""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        """Validate a declaration dict; raise :class:`FieldError` naming the field."""
        p = Params(d)
        common = {"key": p.key(), "label": p.label(), "paramcd": p.paramcd(),
                  "precision": p.precision(), "unit": p.unit(),
                  "primary": p.flag("primary")}
        spec = cls(**common, **cls.parse(p))
        p.finish()
        return spec

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        """Kind-specific fields read from *p* (override)."""
        return {}

    def decimals(self) -> int:
        """Declared decimals of its values (:mod:`scoring.precision`): its ``precision``,
        else 0 for yes/no flags, else ``DEFAULT_DECIMALS`` (one)."""
        if self.precision is not None:
            return self.precision
        return 0 if self.binary else DEFAULT_DECIMALS

    def count_meaning(self, what: str) -> tuple[str, str, str, str]:
        """XPORT prefix, label, type and derivation of one of its ``wide_counts`` columns
        (:data:`scoring.tables.WIDE_COUNTS`); kinds whose ``n`` counts something other
        than diary days say what (override)."""
        from scoring.tables import WIDE_COUNTS  # tables imports this module

        return WIDE_COUNTS[what]

    def unit_text(self) -> str:
        """The unit of its values: declared, else the default; empty for yes/no flags."""
        return self.unit or self.unit_default or ""

    def unit_for(self, known: Mapping[str, EndpointSpec]) -> str:
        """Default unit given the endpoints declared before it, by output key (override:
        a change has the unit of what it changes)."""
        return self.base_unit

    def references(self) -> dict[str, str]:
        """Fields naming other endpoints' output keys: ``{field: key}``."""
        return {}

    def resolve(self, known: Mapping[str, EndpointSpec]) -> Self:
        """Check references against earlier specs (by output key); fill defaults."""
        return self

    def outputs(self) -> tuple[Output, ...]:
        raise NotImplementedError

    def span(self) -> tuple[int, int] | None:
        """First and last study day of the daily series this endpoint reads."""
        return None

    def derivation(self) -> str:
        """Derivation rule text for the data dictionary."""
        return f"{self.kind} endpoint"

    def parcat(self) -> str:
        """ADaM PARCAT1 (parameter category): the endpoint family."""
        return self.family or self.kind.upper()

    def param_text(self) -> str:
        """ADaM PARAM: the declared label, else one derived from the definition.

        Kinds override :meth:`default_param` so that two endpoints of one kind
        with different definitions get different texts (one PARAM per PARAMCD).
        """
        return self.label or self.default_param()

    def default_param(self) -> str:
        """PARAM text derived from the definition (override); here the first output's label."""
        return self.outputs()[0].label

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        """Values of :meth:`outputs` for one participant-period (override)."""
        raise NotImplementedError

    def compute_batch(
        self, inputs: BatchInputs, done: Mapping[str, BatchResult]
    ) -> dict[str, BatchResult]:
        """Batch form of :meth:`compute`; this default loops over the rows."""
        keys = [o.key for o in self.outputs()]
        rows = []
        for i in range(inputs.daily.n_rows):
            row_done = {k: r.result(i) for k, r in done.items()}
            rows.append(self.compute(inputs.row(i, with_daily=self.reads_daily), row_done))
        return {k: stack_results([r[k] for r in rows]) for k in keys}


_BITS = {"INTERP": DTYPE_INTERP, "NOCB": DTYPE_NOCB, "LOCF": DTYPE_LOCF}


def stack_results(results: list[ScoreResult]) -> BatchResult:
    """Row results as one batch result (the default ``compute_batch``'s last step)."""
    values = np.array([np.nan if r.value is None else r.value for r in results])
    reasons = [r.reason for r in results]
    mask = np.array(
        [sum(_BITS.get(x, 0) for x in (r.dtype or "").split("+")) for r in results],
        dtype=np.uint8,
    )
    base = np.array([np.nan if r.base is None else r.base for r in results])
    counts = {}
    for name in ("n_observed", "n_expected"):
        got = [getattr(r, name) for r in results]
        if results and None not in got:     # kept only when every row has one
            counts[name] = np.array(got, dtype=np.int64)
    return BatchResult(
        values,
        lambda i: reasons[i],
        dtype_mask=mask,
        base=base,
        row_ids=[r.entry_ids for r in results],
        **counts,
    )


def check_day_range(lo: int, hi: int, lo_name: str, hi_name: str) -> None:
    """Raise :class:`FieldError` on *lo_name* unless ``lo <= hi``."""
    if lo > hi:
        raise FieldError(lo_name, f"must be <= {hi_name} ({lo} > {hi})")
