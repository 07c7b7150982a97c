"""Units of endpoint values, as a trial report prints them beside a mean ± SD.

An endpoint may declare ``unit:`` (1 to 40 printable characters); otherwise its kind
gives one (:attr:`EndpointSpec.base_unit`): daily pain scores are on the diary's
0-10 numeric rating scale, an AUC of them in score-days, a change in the unit of what
it changes, percentages in %.  A questionnaire score's default is its instrument
scale and range (``"HADS-A 0-21"``), which only the protocol knows: the protocol
loader passes them as ``scale_units``.  Yes/no flags (responders, any adverse event)
have none: they are reported as "n/N (x.x %)".

======================  ====================================
kind                    default unit
======================  ====================================
timepoint, weekly,      NRS 0-10 (the daily diary's measure)
baseline
auc                     NRS 0-10 score-days
compliance              % of diary days
change, mme_change      the unit of ``of``
percent_change          %
questionnaire           the scale and its range, else "score"
mme_total               mg MME
mme_daily_mean          mg MME/day
rescue_days             % of days
symptom_count           days
symptom_max_severity    severity 0-3
responder, ae_any       none (yes/no)
======================  ====================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from scoring.spec import EndpointSpec

__all__ = ["DAILY_UNIT", "resolve_units"]

#: The daily diary's measure (the only one: ``nrs_pain``, an 11-point NRS).
DAILY_UNIT = "NRS 0-10"


def resolve_units(specs: Sequence[EndpointSpec], *,
                  scale_units: Mapping[str, str] | None = None) -> list[EndpointSpec]:
    """The specs, in order, each with ``unit_default`` set from its kind or from the
    endpoint it derives from; ``scale_units`` gives questionnaire endpoints' defaults
    by endpoint key.  A declared ``unit`` always wins (:meth:`EndpointSpec.unit_text`).

    Examples
    --------
    >>> from scoring.endpoints import validate_endpoints
    >>> specs = resolve_units(validate_endpoints([
    ...     {"key": "bl", "kind": "baseline"},
    ...     {"key": "pain_d7", "kind": "timepoint", "day": 7},
    ...     {"key": "chg_d7", "kind": "change", "of": "pain_d7"},
    ...     {"key": "pchg_d7", "kind": "percent_change", "of": "pain_d7"},
    ...     {"key": "auc", "kind": "auc", "from_day": 1, "to_day": 7, "unit": "score-days"},
    ... ]))
    >>> [s.unit_text() for s in specs]
    ['NRS 0-10', 'NRS 0-10', 'NRS 0-10', '%', 'score-days']
    """
    known: dict[str, EndpointSpec] = {}
    out = []
    for spec in specs:
        default = (scale_units or {}).get(spec.key) or spec.unit_for(known)
        spec = replace(spec, unit_default=default or None)
        out.append(spec)
        for o in spec.outputs():
            known[o.key] = spec
    return out
