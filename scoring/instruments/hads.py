"""Hospital Anxiety and Depression Scale (HADS), Zigmond & Snaith 1983.

Fourteen items in published order; odd items form the anxiety subscale (HADS-A),
even items the depression subscale (HADS-D), each 0-21.

Answer coding: an answer is the item *score* 0-3 printed beside the option on
the published form, not the option's position.  The form prints items 1, 3, 5,
6, 8, 10, 11 and 13 with scores running 3, 2, 1, 0 from the top option, and the
other items 0, 1, 2, 3: these first ones are the "reversed" items when a client
codes options by position.  Each item's ``options`` are in printed order with
their scores, so :meth:`Item.code_at` converts a position to the score; scoring
itself never reverses anything.  HADS is copyrighted: neutral labels only.
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

__all__ = ["HADS", "score"]

_DESCENDING = (1, 3, 5, 6, 8, 10, 11, 13)


def _item(n: int) -> Item:
    scores = (3, 2, 1, 0) if n in _DESCENDING else (0, 1, 2, 3)
    options = tuple(
        Option(s, f"HADS item {n}, option {pos} (scores {s})") for pos, s in enumerate(scores, 1)
    )
    return Item(f"hads_{n}", f"HADS item {n}", options=options)


def _bands(scale: str) -> tuple[Band, ...]:
    return (
        Band(scale, 0, "normal"),
        Band(scale, 8, "possible case (borderline)"),
        Band(scale, 11, "probable case"),
    )


HADS = Instrument(
    id="hads",
    name="Hospital Anxiety and Depression Scale",
    version="1",
    reference=(
        "Zigmond AS, Snaith RP. The Hospital Anxiety and Depression Scale. "
        "Acta Psychiatr Scand 1983;67:361-370. Missing items: Bell ML, Fairclough DL, "
        "Fiero MH, Butow PN. Handling missing items in the Hospital Anxiety and Depression "
        "Scale (HADS): a simulation study. BMC Res Notes 2016;9:479."
    ),
    licence="licensed",
    items=tuple(_item(n) for n in range(1, 15)),
    scales=(
        Scale("anxiety", "HADS-A", tuple(f"hads_{n}" for n in range(1, 15, 2)), 0, 21),
        Scale("depression", "HADS-D", tuple(f"hads_{n}" for n in range(2, 15, 2)), 0, 21),
    ),
    bands=_bands("anxiety") + _bands("depression"),
    reversed=tuple(f"hads_{n}" for n in _DESCENDING),
    missing_rule=(
        "Per subscale: with one of 7 items missing, the mean of the other 6 times 7, "
        "rounded half up (proration, Bell et al. 2016); with two or more, not scored."
    ),
    coding="Item score 0-3 as printed on the form (see module docstring), not the position.",
)


def score(answers: Answers) -> InstrumentScore:
    """Score a HADS response.

    Parameters
    ----------
    answers : mapping of ``hads_1`` .. ``hads_14`` to the printed item score 0-3 or None

    Returns
    -------
    InstrumentScore
        ``anxiety`` (odd items) and ``depression`` (even items), 0-21 each, with bands
        0-7 normal, 8-10 possible case, 11-21 probable case (Zigmond & Snaith 1983).
        One missing item in a subscale is prorated (6 answered items: sum * 7/6,
        rounded half up); two or more leave that subscale unscored.

    Examples
    --------
    >>> a = {f"hads_{n}": 1 for n in range(1, 15)} | {"hads_1": 3, "hads_14": None}
    >>> r = score(a)
    >>> r["anxiety"].value, r["anxiety"].band  # 3+1+1+1+1+1+1
    (9, 'possible case (borderline)')
    >>> r["depression"].value, r["depression"].prorated  # (1*6) * 7/6
    (7, True)
    """
    given = HADS.check(answers)
    return rules.result(
        HADS,
        given,
        [rules.total(HADS, s.id, given, max_missing=1) for s in HADS.scales],
    )
