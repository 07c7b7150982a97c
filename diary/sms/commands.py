"""Which SMS commands a study accepts, from its protocol: the pain score and STOP always,
``MED`` with a medication diary, ``Q`` with questionnaires that can be answered by text."""

from __future__ import annotations

from diary.protocol.model import QUESTIONNAIRE, Protocol
from scoring.instruments.registry import INSTRUMENTS

from . import replies
from .conversation import sms_capable

# Endpoints computed from the medication diary (scoring/medication_kind.py).
MEDICATION_ENDPOINT_KINDS = frozenset({"mme_total", "mme_daily_mean", "rescue_days",
                                       "mme_change"})


def accepts_medication(protocol: Protocol) -> bool:
    """A medication diary: the protocol's ``medication:`` section, or an endpoint on it."""
    return protocol.medication_diary or any(
        getattr(e, "kind", None) in MEDICATION_ENDPOINT_KINDS for e in protocol.endpoints)


def accepts_questionnaires(protocol: Protocol) -> bool:
    return any(a.form == QUESTIONNAIRE and sms_capable(INSTRUMENTS.get(a.instrument))
               for a in protocol.assessments)


def help_for(protocol: Protocol, lang: str = "en") -> str:
    return replies.help_text(medication=accepts_medication(protocol),
                             questionnaires=accepts_questionnaires(protocol), lang=lang)
