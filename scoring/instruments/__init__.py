"""Questionnaire library: instruments as data plus one scoring function each.

Pure (standard library only).  ``model`` holds the data types and answer
validation, ``rules`` the shared sum/mean/proration rules, one module per
instrument family (``nrs``, ``pgic``, ``bpi``, ``dn4``, ``npsi``, ``hads``,
``phq``, ``isi``, ``pcs``, ``psqi``, ``eq5d``, ``fdi``, ``fpsr``) its definition and
scoring function with the published rule cited, ``registry`` the instruments by id,
and ``options`` the scoring options a study may set (``eq5d_values``: the EQ-5D-5L
value set a study supplies).
"""

from scoring.instruments.model import (
    AnswerError,
    Answers,
    Band,
    Instrument,
    InstrumentScore,
    InvalidAnswers,
    Item,
    Option,
    Scale,
    ScaleScore,
)
from scoring.instruments.registry import INSTRUMENTS, SCORERS, get, score, validate_answers

__all__ = [
    "INSTRUMENTS",
    "SCORERS",
    "AnswerError",
    "Answers",
    "Band",
    "Instrument",
    "InstrumentScore",
    "InvalidAnswers",
    "Item",
    "Option",
    "Scale",
    "ScaleScore",
    "get",
    "score",
    "validate_answers",
]
