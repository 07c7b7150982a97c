"""Patient Global Impression of Change (PGIC), one item coded 1-7.

Coding follows the Clinical Global Impression of Improvement (Guy 1976) as used
for pain by Farrar et al. 2001: 1 = very much improved ... 4 = no change ...
7 = very much worse (lower is better).  Free to use; the wording is generic.
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

__all__ = ["PGIC", "score"]

_LABELS = (
    "Very much improved",
    "Much improved",
    "Minimally improved",
    "No change",
    "Minimally worse",
    "Much worse",
    "Very much worse",
)

PGIC = Instrument(
    id="pgic",
    name="Patient Global Impression of Change",
    version="1",
    reference=(
        "Guy W. ECDEU Assessment Manual for Psychopharmacology. Rockville, MD: US DHEW; 1976. "
        "Farrar JT, Young JP, LaMoreaux L, Werth JL, Poole RM. Clinical importance of changes "
        "in chronic pain intensity measured on an 11-point numerical pain rating scale. "
        "Pain 2001;94:149-158."
    ),
    licence="free",
    items=(
        Item(
            "pgic",
            "Since the start of the study, how would you describe the change (if any) "
            "in your overall status?",
            options=tuple(Option(code, label) for code, label in enumerate(_LABELS, start=1)),
        ),
    ),
    scales=(Scale("pgic", "Global impression of change", ("pgic",), 1, 7),),
    bands=(
        # "much" or "very much improved" is the IMMPACT responder definition
        # (Dworkin RH, et al. J Pain 2008;9:105-121).
        Band("pgic", 1, "much or very much improved"),
        Band("pgic", 3, "minimally improved"),
        Band("pgic", 4, "no change"),
        Band("pgic", 5, "worse"),
    ),
    missing_rule="Single item: unanswered means no score.",
    coding="1 = very much improved ... 4 = no change ... 7 = very much worse.",
)


def score(answers: Answers) -> InstrumentScore:
    """Score a PGIC response.

    Parameters
    ----------
    answers : mapping ``{"pgic": 1..7 or None}``

    Returns
    -------
    InstrumentScore
        Scale ``pgic``: the answer and its band; responders are codes 1 and 2.

    References
    ----------
    Farrar JT, et al. Pain 2001;94:149-158; Dworkin RH, et al. J Pain 2008;9:105-121.

    Examples
    --------
    >>> r = score({"pgic": 2})
    >>> r["pgic"].value, r["pgic"].band
    (2, 'much or very much improved')
    """
    given = PGIC.check(answers)
    return rules.result(PGIC, given, [rules.item_value(PGIC, "pgic", given)])
