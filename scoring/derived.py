"""Built-in endpoint kinds derived from other endpoints.

``change`` and ``percent_change`` compare an endpoint (``of``) with a baseline
endpoint (``baseline``; default: the only ``baseline`` endpoint declared
before); ``responder`` flags a reduction of at least ``reduction_percent``
(IMMPACT 30 / 50), from a ``percent_change`` endpoint or from any score and
its baseline.  Rules and rounding are those of :mod:`scoring.baseline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Self

from scoring.baseline import (
    change,
    change_batch,
    percent_change,
    percent_change_batch,
    responder,
    responder_batch,
)
from scoring.params import FieldError, Params
from scoring.results import BatchResult, ScoreResult
from scoring.spec import BatchInputs, EndpointSpec, Output, PeriodInputs
from scoring.spec import register_kind as _register

__all__ = ["ChangeSpec", "PercentChangeSpec", "ResponderSpec"]


def _output(spec: EndpointSpec, key: str) -> Output:
    return next(o for o in spec.outputs() if o.key == key)


def _names(target: Output | None) -> tuple[str | None, str]:
    """Reader's names of a derived value ("week 5", its visit) and its baseline, for reasons."""
    return (target.visit.lower() if target is not None and target.visit else None), "baseline"


def _resolve_baseline(given: str | None, known: Mapping[str, EndpointSpec]) -> str:
    if given is not None:
        if not known[given].baseline_capable:
            raise FieldError("baseline", f"{given!r} is a {known[given].kind} endpoint, "
                                         "not a baseline")
        return given
    found = [k for k, s in known.items() if s.kind == "baseline"]
    if not found:
        raise FieldError("baseline", "no baseline endpoint is declared before this one")
    if len(found) > 1:
        raise FieldError("baseline", f"required: several baselines ({', '.join(found)})")
    return found[0]


def _check_of(of: str, known: Mapping[str, EndpointSpec], kind: str) -> None:
    if not known[of].derivable:
        raise FieldError("of", f"{of!r} is a {known[of].kind} endpoint; {kind} needs a "
                               "score such as auc, timepoint or weekly")


@_register
@dataclass(frozen=True, kw_only=True)
class ChangeSpec(EndpointSpec):
    """``{key, kind: change, of: <endpoint>, baseline: <baseline endpoint>}``."""

    kind: ClassVar[str] = "change"
    derivable: ClassVar[bool] = False
    of: str
    baseline: str | None = None
    target: Output | None = None

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        return {"of": p.ref("of"), "baseline": p.ref("baseline", None)}

    def references(self) -> dict[str, str]:
        refs = {"of": self.of}
        if self.baseline is not None:
            refs["baseline"] = self.baseline
        return refs

    def resolve(self, known: Mapping[str, EndpointSpec]) -> Self:
        _check_of(self.of, known, self.kind)
        bl = _resolve_baseline(self.baseline, known)
        return replace(self, baseline=bl, target=_output(known[self.of], self.of))

    def _label(self, what: str) -> str:
        return self.label or f"{what} from baseline, {self.of}"

    def unit_for(self, known: Mapping[str, EndpointSpec]) -> str:
        """A change has the unit of the value it changes."""
        return known[self.of].unit_text() if self.of in known else self.base_unit

    def outputs(self) -> tuple[Output, ...]:
        t = self.target or Output(self.of, self.of, self.of, "")
        return (Output(self.key, self.key, self._label("Change"), t.visit, t.visitnum, t.day),)

    def derivation(self) -> str:
        return f"{self.of} - {self.baseline} (change from baseline)"

    def adam_annotation(self) -> tuple[str, str]:
        """(row output key, ADaM column) this value fills in the long table."""
        return self.of, "CHG"

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        names = _names(self.target)
        return {self.key: change(done[self.of], done[self.baseline], names=names)}

    def compute_batch(
        self, inputs: BatchInputs, done: Mapping[str, BatchResult]
    ) -> dict[str, BatchResult]:
        names = _names(self.target)
        return {self.key: change_batch(done[self.of], done[self.baseline], names=names)}


@_register
@dataclass(frozen=True, kw_only=True)
class PercentChangeSpec(ChangeSpec):
    """``{key, kind: percent_change, of, baseline}``: ``100*(of-baseline)/baseline``."""

    kind: ClassVar[str] = "percent_change"
    base_unit: ClassVar[str] = "%"

    def unit_for(self, known: Mapping[str, EndpointSpec]) -> str:
        return self.base_unit

    def outputs(self) -> tuple[Output, ...]:
        (o,) = super().outputs()
        return (replace(o, label=self._label("Percent change")),)

    def derivation(self) -> str:
        return (f"100 * ({self.of} - {self.baseline}) / {self.baseline}, rounded to 6 "
                "decimals; none if baseline is 0")

    def adam_annotation(self) -> tuple[str, str]:
        return self.of, "PCHG"

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        names = _names(self.target)
        return {self.key: percent_change(done[self.of], done[self.baseline], names=names)}

    def compute_batch(
        self, inputs: BatchInputs, done: Mapping[str, BatchResult]
    ) -> dict[str, BatchResult]:
        names = _names(self.target)
        return {self.key: percent_change_batch(done[self.of], done[self.baseline],
                                               names=names)}


@_register
@dataclass(frozen=True, kw_only=True)
class ResponderSpec(EndpointSpec):
    """``{key, kind: responder, of, reduction_percent: 30, baseline}``; value 1.0 / 0.0.

    ``of`` is a ``percent_change`` endpoint, or a score compared with
    ``baseline`` (default: the only baseline endpoint).
    """

    kind: ClassVar[str] = "responder"
    derivable: ClassVar[bool] = False
    binary: ClassVar[bool] = True
    of: str
    reduction_percent: float
    baseline: str | None = None
    row: str | None = None
    target: Output | None = None

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        return {"of": p.ref("of"), "baseline": p.ref("baseline", None),
                "reduction_percent": p.number("reduction_percent", above=0, at_most=100)}

    def references(self) -> dict[str, str]:
        refs = {"of": self.of}
        if self.baseline is not None:
            refs["baseline"] = self.baseline
        return refs

    @property
    def via_percent_change(self) -> bool:
        return self.row is not None and self.row != self.of

    def resolve(self, known: Mapping[str, EndpointSpec]) -> Self:
        src = known[self.of]
        if isinstance(src, PercentChangeSpec):
            if self.baseline is not None:
                raise FieldError("baseline", f"not used: {self.of!r} is a percent change "
                                             "with its own baseline")
            return replace(self, row=src.of, target=_output(src, self.of))
        _check_of(self.of, known, self.kind)
        bl = _resolve_baseline(self.baseline, known)
        return replace(self, baseline=bl, row=self.of, target=_output(src, self.of))

    def outputs(self) -> tuple[Output, ...]:
        t = self.target or Output(self.of, self.of, self.of, "")
        label = self.label or f">= {self.reduction_percent:g} % reduction, {self.of}"
        return (Output(self.key, self.key, label, t.visit, t.visitnum, t.day),)

    def criterion(self) -> str:
        """ADaM CRITy text."""
        return f"PCHG <= -{self.reduction_percent:g}"

    def derivation(self) -> str:
        src = self.of if self.via_percent_change else (
            f"100 * ({self.of} - {self.baseline}) / {self.baseline}")
        return (f"1 if {src} <= -{self.reduction_percent:g} (percent change rounded to 6 "
                "decimals), else 0")

    def adam_annotation(self) -> tuple[str, str]:
        return self.row or self.of, "CRIT"

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        r = self.reduction_percent
        if self.via_percent_change:
            return {self.key: responder(done[self.of], reduction_percent=r)}
        p = percent_change(done[self.of], done[self.baseline], names=_names(self.target))
        return {self.key: responder(p, reduction_percent=r)}

    def compute_batch(
        self, inputs: BatchInputs, done: Mapping[str, BatchResult]
    ) -> dict[str, BatchResult]:
        r = self.reduction_percent
        if self.via_percent_change:
            return {self.key: responder_batch(done[self.of], reduction_percent=r)}
        p = percent_change_batch(done[self.of], done[self.baseline],
                                 names=_names(self.target))
        return {self.key: responder_batch(p, reduction_percent=r)}
