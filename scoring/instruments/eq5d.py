"""EQ-5D-5L (EuroQol): five dimensions at five levels, and the EQ VAS 0-100.

Items: mobility (``eq5d_mo``), self-care (``eq5d_sc``), usual activities
(``eq5d_ua``), pain/discomfort (``eq5d_pd``) and anxiety/depression (``eq5d_ad``),
each coded 1 (no problems) to 5 (extreme problems / unable to), and the EQ VAS
(``eq5d_vas``), the respondent's rating of their health today, 0 (worst imaginable)
to 100 (best imaginable).

Scales:

- ``profile``: the five levels as one five-digit code in dimension order, e.g.
  11223 (the EQ-5D health state; every digit is 1-5, so the integer is unambiguous).
  It is a label, not a quantity: do not average it.
- ``lss``: the level sum score, the sum of the five levels, 5-25 (Feng et al.).
- ``vas``: the EQ VAS as answered.
- ``index``: the utility of the profile under a value set *the study supplies* (see
  :mod:`scoring.instruments.eq5d_values`); without one it is not scored, and says so.

Missing: a profile needs all five dimensions (the user guide codes a missing
dimension 9 and gives no index for such a state), so any missing dimension leaves
profile, LSS and index unscored; the VAS is scored on its own.  EQ-5D is copyrighted
by the EuroQol Research Foundation and licensed per study: neutral labels only.
"""

from __future__ import annotations

from fractions import Fraction

from scoring.instruments import rules
from scoring.instruments.eq5d_values import DIMENSIONS, ValueSet
from scoring.instruments.model import (
    Answers,
    Instrument,
    InstrumentScore,
    Item,
    Option,
    Scale,
    ScaleScore,
)

__all__ = ["EQ5D5L", "score"]

_DIMS = tuple(f"eq5d_{d}" for d in DIMENSIONS)


def _dimension(code: str) -> Item:
    label = f"EQ5D5L item {code.upper()}"
    return Item(f"eq5d_{code}", label,
                options=tuple(Option(k, f"{label}, level {k}") for k in range(1, 6)))


EQ5D5L = Instrument(
    id="eq5d5l",
    name="EQ-5D-5L",
    version="1",
    reference=(
        "Herdman M, Gudex C, Lloyd A, et al. Development and preliminary testing of the new "
        "five-level version of EQ-5D (EQ-5D-5L). Qual Life Res 2011;20:1727-1736. EuroQol "
        "Research Foundation. EQ-5D-5L User Guide, version 3.0; 2019. Level sum score: Feng "
        "YS, Jiang R, Pickard AS, Kohlmann T. Combining EQ-5D-5L items into a level summary "
        "score: demonstrating feasibility using non-parametric item response theory using an "
        "international dataset. Qual Life Res 2022;31:11-23 (online 2021)."
    ),
    licence="licensed",
    items=tuple(_dimension(d) for d in DIMENSIONS)
    + (Item("eq5d_vas", "EQ5D5L item VAS", bounds=(0, 100)),),
    scales=(
        Scale("profile", "EQ-5D-5L health state (five-digit profile)", _DIMS, 11111, 55555),
        Scale("lss", "EQ-5D-5L level sum score", _DIMS, 5, 25),
        Scale("vas", "EQ VAS", ("eq5d_vas",), 0, 100),
        # Range of the composite time trade-off; each value set has its own minimum.
        Scale("index", "EQ-5D-5L index (study-supplied value set)", _DIMS, -1, 1),
    ),
    missing_rule=(
        "Profile, level sum score and index need all five dimensions (a missing dimension "
        "leaves them unscored); the VAS is scored on its own. The index is scored only "
        "with a value set supplied by the study."
    ),
    coding="Dimensions: level 1 (no problems) to 5 (extreme problems); VAS: 0-100 as marked.",
)


def _needs_all(scale: str, given: dict[str, int], missing: tuple[str, ...]) -> ScaleScore:
    used = tuple(i for i in _DIMS if i in given)
    reason = (f"{len(missing)} of 5 dimensions missing ({', '.join(missing)}); "
              "all five are required")
    return ScaleScore(scale, None, reason, None, used, missing)


def score(answers: Answers, *, value_set: ValueSet | None = None) -> InstrumentScore:
    """Score an EQ-5D-5L response.

    Parameters
    ----------
    answers : mapping of ``eq5d_mo`` .. ``eq5d_ad`` to 1-5, ``eq5d_vas`` to 0-100, or None
    value_set : ValueSet, keyword-only
        The study's value set for ``index``; without it ``index`` is not scored.

    Examples
    --------
    >>> a = {"eq5d_mo": 1, "eq5d_sc": 1, "eq5d_ua": 2, "eq5d_pd": 2, "eq5d_ad": 3,
    ...      "eq5d_vas": 70}
    >>> r = score(a)
    >>> r["profile"].value, r["lss"].value, r["vas"].value  # 1+1+2+2+3
    (11223, 9, 70)
    >>> r["index"].reason
    'no value set: the study supplies one (instrument option value_set)'
    >>> score(a | {"eq5d_sc": None})["lss"].reason
    '1 of 5 dimensions missing (eq5d_sc); all five are required'
    """
    given = EQ5D5L.check(answers)
    missing = tuple(i for i in _DIMS if i not in given)
    vas = rules.item_value(EQ5D5L, "vas", given)
    if missing:
        scales = [_needs_all(s, given, missing) for s in ("profile", "lss", "index")]
        return rules.result(EQ5D5L, given, [scales[0], scales[1], vas, scales[2]])
    levels = [given[i] for i in _DIMS]
    profile = int("".join(map(str, levels)))
    lss = sum(levels)
    if value_set is None:
        index = ScaleScore("index", None, "no value set: the study supplies one "
                           "(instrument option value_set)", None, _DIMS, ())
    else:
        value = value_set.index(dict(zip(DIMENSIONS, levels, strict=True)))
        index = ScaleScore("index", rules.as_number(Fraction(value)), None, None, _DIMS, ())
    return rules.result(EQ5D5L, given, [
        ScaleScore("profile", profile, None, None, _DIMS, ()),
        ScaleScore("lss", lss, None, None, _DIMS, ()),
        vas,
        index,
    ])
