"""Insomnia Severity Index (ISI), Bastien, Vallières & Morin 2001.

Seven items in published order (1a, 1b, 1c, 2, 3, 4, 5 on the form; ids
``isi_1`` .. ``isi_7``), each scored 0-4; total 0-28.  The ISI is copyrighted
(C.M. Morin): neutral labels only.
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

__all__ = ["ISI", "score"]

ISI = Instrument(
    id="isi",
    name="Insomnia Severity Index",
    version="1",
    reference=(
        "Bastien CH, Vallières A, Morin CM. Validation of the Insomnia Severity Index as an "
        "outcome measure for insomnia research. Sleep Med 2001;2:297-307."
    ),
    licence="licensed",
    items=tuple(
        Item(f"isi_{n}", f"ISI item {n}",
             options=tuple(Option(k, f"ISI item {n}, score {k}") for k in range(5)))
        for n in range(1, 8)
    ),
    scales=(Scale("total", "ISI total", tuple(f"isi_{n}" for n in range(1, 8)), 0, 28),),
    bands=(
        Band("total", 0, "no clinically significant insomnia"),
        Band("total", 8, "subthreshold insomnia"),
        Band("total", 15, "clinical insomnia (moderate severity)"),
        Band("total", 22, "clinical insomnia (severe)"),
    ),
    missing_rule="No published proration: all seven items are required.",
    coding="Item score 0-4 as printed on the form.",
)


def score(answers: Answers) -> InstrumentScore:
    """Score an ISI response.

    Parameters
    ----------
    answers : mapping of ``isi_1`` .. ``isi_7`` to 0-4 or None

    Returns
    -------
    InstrumentScore
        ``total`` 0-28 with bands 0-7 none, 8-14 subthreshold, 15-21 moderate,
        22-28 severe clinical insomnia (Bastien 2001).

    Examples
    --------
    >>> r = score({f"isi_{n}": v for n, v in enumerate([3, 2, 2, 3, 2, 1, 2], 1)})
    >>> r["total"].value, r["total"].band  # 3+2+2+3+2+1+2
    (15, 'clinical insomnia (moderate severity)')
    """
    given = ISI.check(answers)
    return rules.result(ISI, given, [rules.total(ISI, "total", given)])
