"""NRS-11 pain intensity: average, worst and current pain, each 0-10.

Three single-item scales scored as answered (no total, no bands).  Free to use;
the wording below is ours.
"""

from __future__ import annotations

from scoring.instruments import rules
from scoring.instruments.model import Answers, Instrument, InstrumentScore, Item, Scale

__all__ = ["NRS_PAIN", "score"]

_ANCHORS = "from 0 (no pain) to 10 (worst pain imaginable)"
_ITEMS = (
    ("average", f"Your pain on average over the last 24 hours, {_ANCHORS}"),
    ("worst", f"Your worst pain over the last 24 hours, {_ANCHORS}"),
    ("current", f"Your pain right now, {_ANCHORS}"),
)

NRS_PAIN = Instrument(
    id="nrs_pain",
    name="Numeric Rating Scale for pain intensity (NRS-11)",
    version="1",
    reference=(
        "Dworkin RH, et al. Core outcome measures for chronic pain clinical trials: "
        "IMMPACT recommendations. Pain 2005;113:9-19."
    ),
    licence="free",
    items=tuple(Item(i, text, bounds=(0, 10)) for i, text in _ITEMS),
    scales=tuple(Scale(i, i, (i,), 0, 10) for i, _ in _ITEMS),
    missing_rule="Each item is its own scale; an unanswered item has no score.",
    coding="The integer rating 0-10 as chosen.",
)


def score(answers: Answers) -> InstrumentScore:
    """Score an NRS-11 pain response.

    Parameters
    ----------
    answers : mapping of item id (``average``, ``worst``, ``current``) to 0-10 or None

    Returns
    -------
    InstrumentScore
        One scale per item; a missing item has ``value=None`` and a reason.

    References
    ----------
    Dworkin RH, et al. Pain 2005;113:9-19 (IMMPACT: 0-10 NRS of pain intensity).

    Examples
    --------
    >>> r = score({"average": 4, "worst": 7})
    >>> r.values
    {'average': 4, 'worst': 7, 'current': None}
    >>> r["current"].reason
    'item current missing'
    """
    given = NRS_PAIN.check(answers)
    scales = [rules.item_value(NRS_PAIN, s.id, given) for s in NRS_PAIN.scales]
    return rules.result(NRS_PAIN, given, scales)
