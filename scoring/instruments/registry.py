"""The shipped instruments by id, answer validation and scoring by id.

Examples
--------
>>> sorted(INSTRUMENTS)[:4]
['bpi_sf', 'dn4', 'dn4_interview', 'eq5d5l']
>>> validate_answers(get("nrs_pain"), {"worst": 11, "mood": 3})
[AnswerError(item='worst', rule='11 is out of range; must be an integer from 0 to 10'), \
AnswerError(item='mood', rule='not an item of nrs_pain')]
>>> score("gad7", {f"gad7_{n}": 1 for n in range(1, 8)})["total"].value
7
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scoring.instruments import (
    bpi,
    dn4,
    eq5d,
    fdi,
    fpsr,
    hads,
    isi,
    npsi,
    nrs,
    pcs,
    pgic,
    phq,
    psqi,
)
from scoring.instruments.model import AnswerError, Answers, Instrument, InstrumentScore

__all__ = ["INSTRUMENTS", "SCORERS", "get", "score", "validate_answers"]

_SHIPPED: tuple[tuple[Instrument, Callable[..., InstrumentScore]], ...] = (
    (nrs.NRS_PAIN, nrs.score),
    (pgic.PGIC, pgic.score),
    (bpi.BPI_SF, bpi.score),
    (dn4.DN4, dn4.score),
    (dn4.DN4_INTERVIEW, dn4.score_interview),
    (npsi.NPSI, npsi.score),
    (hads.HADS, hads.score),
    (phq.PHQ9, phq.score_phq9),
    (phq.GAD7, phq.score_gad7),
    (isi.ISI, isi.score),
    (pcs.PCS, pcs.score),
    (psqi.PSQI, psqi.score),
    (eq5d.EQ5D5L, eq5d.score),
    (fdi.FDI_CHILD, fdi.score_child),
    (fdi.FDI_PARENT, fdi.score_parent),
    (fpsr.FPS_R, fpsr.score),
)

INSTRUMENTS: dict[str, Instrument] = {inst.id: inst for inst, _ in _SHIPPED}
SCORERS: dict[str, Callable[..., InstrumentScore]] = {inst.id: fn for inst, fn in _SHIPPED}


def get(instrument_id: str) -> Instrument:
    """The instrument with this id; ``KeyError`` naming the known ids otherwise."""
    try:
        return INSTRUMENTS[instrument_id]
    except KeyError:
        known = ", ".join(sorted(INSTRUMENTS))
        raise KeyError(f"unknown instrument {instrument_id!r}; known: {known}") from None


def validate_answers(instrument: Instrument, answers: Answers) -> list[AnswerError]:
    """Each refused answer as ``(item, rule)``: unknown items, non-int values (bool,
    float, str), values outside the item's options or range.  Empty when all valid."""
    return instrument.validate(answers)


def score(instrument_id: str, answers: Answers, **options: Any) -> InstrumentScore:
    """Validate and score ``answers`` with the instrument's published rule.

    ``options`` go to the instrument's scoring function (e.g. ``max_missing`` for
    PHQ-9, GAD-7 and the FDI, ``value_set`` for EQ-5D-5L; a protocol's options are
    checked by :func:`scoring.instruments.options.parse_options`).  Raises
    :class:`~scoring.instruments.model.InvalidAnswers` (a ``ValueError`` listing every
    refused item) and ``KeyError`` for an unknown id.
    """
    get(instrument_id)
    return SCORERS[instrument_id](answers, **options)
