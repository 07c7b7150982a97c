"""Brief Pain Inventory, short form (BPI-SF): pain severity and pain interference.

Scored items keep the form's numbering: 3 worst, 4 least, 5 average, 6 now
(intensity, 0-10) and 9A-9G (interference, 0-10).  Items 1, 2, 7 and 8 are not
scored and not modelled.  The BPI is copyrighted (C.S. Cleeland / MD Anderson):
we ship neutral labels; a study supplies its licensed wording.
"""

from __future__ import annotations

from scoring.instruments import rules
from scoring.instruments.model import Answers, Instrument, InstrumentScore, Item, Scale

__all__ = ["BPI_SF", "INTENSITY", "INTERFERENCE", "score"]

INTENSITY = ("bpi_3", "bpi_4", "bpi_5", "bpi_6")
INTERFERENCE = tuple(f"bpi_9{x}" for x in "abcdefg")

BPI_SF = Instrument(
    id="bpi_sf",
    name="Brief Pain Inventory (short form)",
    version="1",
    reference=(
        "Cleeland CS, Ryan KM. Pain assessment: global use of the Brief Pain Inventory. "
        "Ann Acad Med Singapore 1994;23:129-138. Cleeland CS. The Brief Pain Inventory "
        "User Guide. Houston: MD Anderson Cancer Center; 2009."
    ),
    licence="licensed",
    items=tuple(
        Item(i, f"BPI item {i.removeprefix('bpi_').upper()}", bounds=(0, 10))
        for i in INTENSITY + INTERFERENCE
    ),
    scales=(
        Scale("severity", "Pain severity (mean of items 3-6)", INTENSITY, 0, 10),
        Scale("interference", "Pain interference (mean of items 9A-9G)", INTERFERENCE, 0, 10),
    ),
    missing_rule=(
        "Interference: mean of the answered items 9A-9G when at least 4 of 7 are answered "
        "(BPI User Guide). Severity: all four intensity items required."
    ),
    coding="The integer rating 0-10 as chosen.",
)


def score(answers: Answers) -> InstrumentScore:
    """Score a BPI-SF response.

    Parameters
    ----------
    answers : mapping of ``bpi_3`` .. ``bpi_6``, ``bpi_9a`` .. ``bpi_9g`` to 0-10 or None

    Returns
    -------
    InstrumentScore
        ``severity``: mean of items 3-6, only when all four are answered (no published
        proration for the four intensity items; we take the conservative reading).
        ``interference``: mean of the answered 9A-9G items when at least 4 of the 7 are
        answered, per the BPI User Guide (Cleeland 2009).

    References
    ----------
    Cleeland CS, Ryan KM. Ann Acad Med Singapore 1994;23:129-138.

    Examples
    --------
    >>> r = score({"bpi_3": 8, "bpi_4": 2, "bpi_5": 5, "bpi_6": 4,
    ...            "bpi_9a": 6, "bpi_9b": 4, "bpi_9c": 5, "bpi_9d": 3})
    >>> r.values  # (8+2+5+4)/4, (6+4+5+3)/4
    {'severity': 4.75, 'interference': 4.5}
    >>> r["interference"].items_missing
    ('bpi_9e', 'bpi_9f', 'bpi_9g')
    """
    given = BPI_SF.check(answers)
    return rules.result(
        BPI_SF,
        given,
        [
            rules.mean(BPI_SF, "severity", given),
            rules.mean(BPI_SF, "interference", given, min_answered=4),
        ],
    )
