"""Neuropathic Pain Symptom Inventory (NPSI), Bouhassira et al. 2004.

Twelve items in published order: ten descriptors rated 0-10 (items 1, 2, 3, 5, 6,
8, 9, 10, 11, 12) and two temporal items (4: duration of spontaneous pain;
7: number of pain attacks) that are not scored.  The NPSI is copyrighted:
neutral labels only.
"""

from __future__ import annotations

from scoring.instruments import rules
from scoring.instruments.model import (
    Answers,
    Instrument,
    InstrumentScore,
    Item,
    Option,
    Scale,
)

__all__ = ["DESCRIPTORS", "NPSI", "score"]

DESCRIPTORS = tuple(f"npsi_{n}" for n in (1, 2, 3, 5, 6, 8, 9, 10, 11, 12))
_TEMPORAL = (4, 7)


def _item(n: int) -> Item:
    if n in _TEMPORAL:
        options = tuple(Option(k, f"NPSI item {n}, option {k}") for k in range(1, 6))
        return Item(f"npsi_{n}", f"NPSI item {n}", options=options, scored=False)
    return Item(f"npsi_{n}", f"NPSI item {n}", bounds=(0, 10))


def _ids(*numbers: int) -> tuple[str, ...]:
    return tuple(f"npsi_{n}" for n in numbers)


NPSI = Instrument(
    id="npsi",
    name="Neuropathic Pain Symptom Inventory",
    version="1",
    reference=(
        "Bouhassira D, Attal N, Fermanian J, et al. Development and validation of the "
        "Neuropathic Pain Symptom Inventory. Pain 2004;108:248-257."
    ),
    licence="licensed",
    items=tuple(_item(n) for n in range(1, 13)),
    scales=(
        Scale("total", "Total intensity (sum of the 10 descriptors)", DESCRIPTORS, 0, 100),
        Scale("burning", "Burning (superficial) spontaneous pain", _ids(1), 0, 10),
        Scale("pressing", "Pressing (deep) spontaneous pain", _ids(2, 3), 0, 10),
        Scale("paroxysmal", "Paroxysmal pain", _ids(5, 6), 0, 10),
        Scale("evoked", "Evoked pain", _ids(8, 9, 10), 0, 10),
        Scale("paresthesia", "Paresthesia/dysesthesia", _ids(11, 12), 0, 10),
    ),
    missing_rule="No published proration: each score needs all of its items.",
    coding=(
        "Descriptors: the integer rating 0-10. Temporal items 4 and 7: option number 1-5 "
        "in printed order (not scored)."
    ),
)


def score(answers: Answers) -> InstrumentScore:
    """Score an NPSI response.

    Parameters
    ----------
    answers : mapping of ``npsi_1`` .. ``npsi_12`` to an int or None

    Returns
    -------
    InstrumentScore
        ``total`` = sum of the 10 descriptors (0-100); subscores (0-10), each the mean
        of its items: ``burning`` = item 1, ``pressing`` = (2+3)/2,
        ``paroxysmal`` = (5+6)/2, ``evoked`` = (8+9+10)/3,
        ``paresthesia`` = (11+12)/2 (Bouhassira 2004).  A score with a missing item
        is ``None``; the other scores are still given.

    Examples
    --------
    >>> a = dict(zip(DESCRIPTORS, (6, 3, 4, 7, 5, 2, 2, 5, 1, 0)))
    >>> score(a).values  # total 6+3+4+7+5+2+2+5+1+0; evoked (2+2+5)/3
    {'total': 35, 'burning': 6, 'pressing': 3.5, 'paroxysmal': 6, 'evoked': 3, \
'paresthesia': 0.5}
    """
    given = NPSI.check(answers)
    scales = [rules.total(NPSI, "total", given)]
    scales += [rules.mean(NPSI, s.id, given) for s in NPSI.scales[1:]]
    return rules.result(NPSI, given, scales)
