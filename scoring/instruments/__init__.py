"""Questionnaire library: instruments as data plus one scoring function each.

Pure (standard library only).  ``model`` holds the data types and answer
validation, ``rules`` the shared sum/mean/proration rules, one module per
instrument family (``nrs``, ``pgic``, ``bpi``, ``dn4``, ``npsi``, ``hads``,
``phq``, ``isi``, ``pcs``, ``psqi``) its definition and scoring function with
the published rule cited, and ``registry`` the instruments by id.
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
