"""DN4 (Douleur Neuropathique 4) and its self-report part, DN4-interview.

Ten yes/no items in published order: 1-7 are the interview (pain characteristics
and associated symptoms), 8-10 the clinical examination.  Yes = 1, no = 0.
DN4-interview uses the same item ids ``dn4_1`` .. ``dn4_7``.  The DN4 is
copyrighted: neutral labels only.
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

__all__ = ["DN4", "DN4_INTERVIEW", "score", "score_interview"]

_REFERENCE = (
    "Bouhassira D, Attal N, Alchaar H, et al. Comparison of pain syndromes associated with "
    "nervous or somatic lesions and development of a new neuropathic pain diagnostic "
    "questionnaire (DN4). Pain 2005;114:29-36."
)
_YES_NO = (Option(0, "no"), Option(1, "yes"))
# Items 8-10 are the examiner's findings (touch, pinprick, brushing; Bouhassira 2005):
# marked ``clinician`` so only study staff may enter them.
_ITEMS = tuple(Item(f"dn4_{n}", f"DN4 item {n}", options=_YES_NO, clinician=n >= 8)
               for n in range(1, 11))
_RULE = "No published proration: every item is required for the total."
_CODING = "Each item 1 = yes, 0 = no."

DN4 = Instrument(
    id="dn4",
    name="DN4 neuropathic pain diagnostic questionnaire",
    version="1",
    reference=_REFERENCE,
    licence="licensed",
    items=_ITEMS,
    scales=(Scale("total", "DN4 total", tuple(i.id for i in _ITEMS), 0, 10),),
    bands=(
        Band("total", 0, "neuropathic pain unlikely"),
        Band("total", 4, "neuropathic pain likely"),
    ),
    missing_rule=_RULE,
    coding=_CODING,
)

DN4_INTERVIEW = Instrument(
    id="dn4_interview",
    name="DN4-interview (self-report items 1-7 of DN4)",
    version="1",
    reference=_REFERENCE,
    licence="licensed",
    items=_ITEMS[:7],
    scales=(Scale("total", "DN4-interview total", tuple(i.id for i in _ITEMS[:7]), 0, 7),),
    bands=(
        Band("total", 0, "neuropathic pain unlikely"),
        Band("total", 3, "neuropathic pain likely"),
    ),
    missing_rule=_RULE,
    coding=_CODING,
)


def score(answers: Answers) -> InstrumentScore:
    """Score a DN4 response: the number of "yes" answers, 0-10.

    Parameters
    ----------
    answers : mapping of ``dn4_1`` .. ``dn4_10`` to 0 (no), 1 (yes) or None

    Returns
    -------
    InstrumentScore
        Scale ``total``; band "neuropathic pain likely" from 4 (Bouhassira 2005).
        Any missing item leaves the total unscored.

    Examples
    --------
    >>> r = score({f"dn4_{n}": int(n in (1, 3, 5, 8)) for n in range(1, 11)})
    >>> r["total"].value, r["total"].band  # 1+1+1+1
    (4, 'neuropathic pain likely')
    """
    given = DN4.check(answers)
    return rules.result(DN4, given, [rules.total(DN4, "total", given)])


def score_interview(answers: Answers) -> InstrumentScore:
    """Score a DN4-interview response: "yes" answers to items 1-7, 0-7.

    Parameters
    ----------
    answers : mapping of ``dn4_1`` .. ``dn4_7`` to 0, 1 or None

    Returns
    -------
    InstrumentScore
        Scale ``total``; band "neuropathic pain likely" from 3 (Bouhassira 2005).

    Examples
    --------
    >>> r = score_interview({f"dn4_{n}": int(n <= 3) for n in range(1, 8)})
    >>> r["total"].value, r["total"].band
    (3, 'neuropathic pain likely')
    """
    given = DN4_INTERVIEW.check(answers)
    return rules.result(DN4_INTERVIEW, given, [rules.total(DN4_INTERVIEW, "total", given)])
