"""The ``questionnaire`` endpoint kind: a scale score from the response at a protocol window.

``{key, kind: questionnaire, assessment, scale=total, occurrence=0}``. The caller passes
each participant-period's responses in ``extra["questionnaires"]``, a mapping
``(assessment, occurrence, scale) -> (value or None, response id[, items answered])``
(the items answered of the scale's own: the wide table's ``<key>_n``); the assessment is
the protocol's key for the window (anchored at the period's event, or at enrolment).
Such a score can be the ``of`` and the ``baseline`` of change and percent change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from scoring.params import FieldError, Params
from scoring.results import ScoreResult
from scoring.spec import EndpointSpec, Output, PeriodInputs, register_kind

__all__ = ["QUESTIONNAIRES", "QuestionnaireSpec"]

QUESTIONNAIRES = "questionnaires"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def _name(p: Params, field: str, default: Any = None) -> str:
    v = p._get(field, default) if default is not None else p._get(field, None)
    if not isinstance(v, str) or not _NAME.fullmatch(v):
        raise FieldError(field, f"must be a key such as psqi_d35, got {v!r}")
    return v


@register_kind
@dataclass(frozen=True, kw_only=True)
class QuestionnaireSpec(EndpointSpec):
    """A questionnaire scale score at one assessment window.

    Examples
    --------
    >>> import numpy as np
    >>> from scoring.days import DailySeries
    >>> spec = QuestionnaireSpec.from_dict({"key": "psqi35", "kind": "questionnaire",
    ...                                     "assessment": "psqi_d35", "scale": "global"})
    >>> inputs = PeriodInputs(DailySeries([], []), extra={QUESTIONNAIRES: {
    ...     ("psqi_d35", 0, "global"): (7, "r1")}})
    >>> spec.compute(inputs, {})["psqi35"].value
    7.0
    >>> spec.compute(PeriodInputs(DailySeries([], [])), {})["psqi35"].reason
    'no psqi_d35 response'
    """

    kind: ClassVar[str] = "questionnaire"
    wide_counts: ClassVar[tuple[str, ...]] = ("n",)
    # The protocol loader gives the instrument scale and range ("HADS-A 0-21").
    base_unit: ClassVar[str] = "score"
    baseline_capable: ClassVar[bool] = True
    assessment: str
    scale: str = "total"
    occurrence: int = 0

    @classmethod
    def parse(cls, p: Params) -> dict[str, Any]:
        return {"assessment": _name(p, "assessment"), "scale": _name(p, "scale", "total"),
                "occurrence": p.integer("occurrence", 0, minimum=0)}

    def outputs(self) -> tuple[Output, ...]:
        label = self.label or f"{self.assessment} {self.scale} score"
        return (Output(self.key, self.key, label[:40], self.assessment.upper()),)

    def span(self) -> None:
        return None  # reads no daily scores

    def count_meaning(self, what: str) -> tuple[str, str, str, str]:
        if what == "n":
            return ("N", "Items answered", "num",
                    f"items of scale {self.scale!r} answered in the response the value is "
                    "scored from; 0 without a response")
        return super().count_meaning(what)

    def derivation(self) -> str:
        return (f"scale {self.scale!r} of the current response to assessment "
                f"{self.assessment!r} (occurrence {self.occurrence}), scored on receipt")

    def compute(
        self, inputs: PeriodInputs, done: Mapping[str, ScoreResult]
    ) -> dict[str, ScoreResult]:
        found = inputs.extra.get(QUESTIONNAIRES, {}).get(
            (self.assessment, self.occurrence, self.scale))
        if found is None:
            return {self.key: ScoreResult(None, f"no {self.assessment} response",
                                          n_observed=0)}
        value, response_id, *answered = found
        n = {"n_observed": answered[0]} if answered else {}
        if value is None:
            return {self.key: ScoreResult(None, f"{self.assessment} {self.scale} not "
                                                "scorable (missing items)",
                                          entry_ids=(response_id,), **n)}
        return {self.key: ScoreResult(float(value), entry_ids=(response_id,), **n)}
