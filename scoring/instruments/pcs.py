"""Pain Catastrophizing Scale (PCS), Sullivan, Bishop & Pivik 1995.

Thirteen items scored 0-4 ("not at all" .. "all the time"); total 0-52 and three
subscales: rumination (items 8-11), magnification (6, 7, 13), helplessness
(1-5, 12).  Copyrighted (M.J.L. Sullivan): neutral labels only.
"""

from __future__ import annotations

from scoring.instruments import rules
from scoring.instruments.model import (
    Answers,
    Band,
    Instrument,
    InstrumentScore,
    Item,
    Option,
    Scale,
)

__all__ = ["PCS", "score"]


def _ids(*numbers: int) -> tuple[str, ...]:
    return tuple(f"pcs_{n}" for n in numbers)


PCS = Instrument(
    id="pcs",
    name="Pain Catastrophizing Scale",
    version="1",
    reference=(
        "Sullivan MJL, Bishop SR, Pivik J. The Pain Catastrophizing Scale: development and "
        "validation. Psychol Assess 1995;7:524-532. Sullivan MJL. The Pain Catastrophizing "
        "Scale: User Manual. Montreal: McGill University; 2009."
    ),
    licence="licensed",
    items=tuple(
        Item(f"pcs_{n}", f"PCS item {n}",
             options=tuple(Option(k, f"PCS item {n}, score {k}") for k in range(5)))
        for n in range(1, 14)
    ),
    scales=(
        Scale("total", "PCS total", _ids(*range(1, 14)), 0, 52),
        Scale("rumination", "Rumination", _ids(8, 9, 10, 11), 0, 16),
        Scale("magnification", "Magnification", _ids(6, 7, 13), 0, 12),
        Scale("helplessness", "Helplessness", _ids(1, 2, 3, 4, 5, 12), 0, 24),
    ),
    bands=(
        Band("total", 0, "below the clinical cut-off"),
        # 30 = 75th percentile of chronic pain patients (PCS User Manual).
        Band("total", 30, "clinically relevant catastrophizing"),
    ),
    missing_rule="No proration: each score needs all of its items.",
    coding="Item score 0-4 as printed on the form.",
)


def score(answers: Answers) -> InstrumentScore:
    """Score a PCS response.

    Parameters
    ----------
    answers : mapping of ``pcs_1`` .. ``pcs_13`` to 0-4 or None

    Returns
    -------
    InstrumentScore
        ``total`` (sum of 13 items, 0-52; band from 30 per the User Manual) and the
        sums ``rumination`` (8-11), ``magnification`` (6, 7, 13) and ``helplessness``
        (1-5, 12).  A subscale with all its items is scored even if another is not.

    Examples
    --------
    >>> r = score({f"pcs_{n}": 2 for n in range(1, 14)} | {"pcs_8": 4})
    >>> r.values  # total 12*2+4; rumination 4+2+2+2
    {'total': 28, 'rumination': 10, 'magnification': 6, 'helplessness': 12}
    """
    given = PCS.check(answers)
    return rules.result(PCS, given, [rules.total(PCS, s.id, given) for s in PCS.scales])
