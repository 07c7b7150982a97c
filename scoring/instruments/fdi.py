"""Functional Disability Inventory (FDI), Walker & Greene 1991: child and parent forms.

Fifteen everyday activities (at home, at school, in play and social life) rated for
difficulty over the last few days, each scored 0-4 (0 = no trouble,
1 = a little trouble, 2 = some trouble, 3 = a lot of trouble, 4 = impossible); the
total is their sum, 0-60.  The child rates their own difficulty (``fdi_child``); on
the parent form a parent rates the child's (``fdi_parent``).  Both forms share item
ids ``fdi_1`` .. ``fdi_15`` and the rule, so they are two instruments and one scorer.

Bands: the clinical reference points of Kashikar-Zuck et al. 2011 (0-12 no or
minimal, 13-29 moderate, 30-60 severe disability), derived from child reports in
youth with chronic pain: they are attached to the child form only.

Missing items: the published total is the sum of all 15 items, and we found no
published proration rule we could verify, so by default any missing item leaves the
total unscored.  A study whose analysis plan prorates may set ``max_missing`` (at
most 3, a fifth of the items): the mean of the answered items times 15, rounded
half up.  The FDI is copyrighted (L.S. Walker): neutral labels only.
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

__all__ = ["FDI_CHILD", "FDI_PARENT", "ITEMS", "MAX_MISSING", "score_child", "score_parent"]

ITEMS = tuple(f"fdi_{n}" for n in range(1, 16))
#: The largest ``max_missing`` a study may choose (3 of 15 items).
MAX_MISSING = 3

_WALKER = (
    "Walker LS, Greene JW. The Functional Disability Inventory: measuring a neglected "
    "dimension of child health status. J Pediatr Psychol 1991;16(1):39-58."
)
_KASHIKAR_ZUCK = (
    "Kashikar-Zuck S, Flowers SR, Claar RL, et al. Clinical utility and validity of the "
    "Functional Disability Inventory among a multicenter sample of youth with chronic "
    "pain. Pain 2011;152:1600-1607."
)
_ITEMS = tuple(
    Item(f"fdi_{n}", f"FDI item {n}",
         options=tuple(Option(k, f"FDI item {n}, score {k}") for k in range(5)))
    for n in range(1, 16)
)
_MISSING = (
    "Sum of the 15 items; by default any missing item leaves it unscored. A study may "
    f"allow max_missing (1-{MAX_MISSING}): the mean of the answered items times 15, "
    "rounded half up."
)
_CODING = ("Item score 0-4: 0 = no trouble, 1 = a little, 2 = some, 3 = a lot of trouble, "
           "4 = impossible.")

FDI_CHILD = Instrument(
    id="fdi_child",
    name="Functional Disability Inventory (child form)",
    version="1",
    reference=f"{_WALKER} Reference points: {_KASHIKAR_ZUCK}",
    licence="licensed",
    items=_ITEMS,
    scales=(Scale("total", "FDI total", ITEMS, 0, 60),),
    bands=(
        Band("total", 0, "no or minimal disability"),
        Band("total", 13, "moderate disability"),
        Band("total", 30, "severe disability"),
    ),
    missing_rule=_MISSING,
    coding=_CODING,
)

FDI_PARENT = Instrument(
    id="fdi_parent",
    name="Functional Disability Inventory (parent form)",
    version="1",
    reference=_WALKER,
    licence="licensed",
    items=_ITEMS,
    scales=(Scale("total", "FDI total (parent report)", ITEMS, 0, 60),),
    missing_rule=_MISSING,
    coding=_CODING,
)


def _score(inst: Instrument, answers: Answers, max_missing: int) -> InstrumentScore:
    if type(max_missing) is not int or not 0 <= max_missing <= MAX_MISSING:
        raise ValueError(f"max_missing must be an integer from 0 to {MAX_MISSING}")
    given = inst.check(answers)
    return rules.result(inst, given, [rules.total(inst, "total", given,
                                                  max_missing=max_missing)])


def score_child(answers: Answers, *, max_missing: int = 0) -> InstrumentScore:
    """Score the FDI child form: the sum of items 1-15, 0-60, with its band.

    Parameters
    ----------
    answers : mapping of ``fdi_1`` .. ``fdi_15`` to 0-4 or None
    max_missing : int, keyword-only
        Missing items prorated (0-3; default 0, all items required).

    Examples
    --------
    >>> r = score_child({f"fdi_{n}": 1 for n in range(1, 16)})
    >>> r["total"].value, r["total"].band
    (15, 'moderate disability')
    >>> a = {f"fdi_{n}": 2 for n in range(1, 14)}
    >>> score_child(a)["total"].value is None, score_child(a, max_missing=2)["total"].value
    (True, 30)
    """
    return _score(FDI_CHILD, answers, max_missing)


def score_parent(answers: Answers, *, max_missing: int = 0) -> InstrumentScore:
    """Score the FDI parent form: the same sum (0-60), without reference bands.

    Examples
    --------
    >>> score_parent({f"fdi_{n}": 4 for n in range(1, 16)}).values
    {'total': 60}
    """
    return _score(FDI_PARENT, answers, max_missing)
