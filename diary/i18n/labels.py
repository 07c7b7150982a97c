"""What a window opens, as the participant knows it: the assessment's label, else the
instrument's display name, never its id ("now open: bpi_sf" told nobody anything).

The result is English or the protocol's own wording, i.e. a catalog message id:
``gettext(lang, window_label(...))`` shows it in a language (issue 19)."""

from __future__ import annotations

from diary.protocol.model import SIDE_EFFECTS
from diary.safety.checklist import DEFAULT_SYMPTOMS, SEVERITIES, Checklist, Symptom
from scoring.instruments.registry import INSTRUMENTS

from . import N_, gettext

_DEFAULT_LABELS = {s.code: s.label for s in DEFAULT_SYMPTOMS}

SIDE_EFFECT_CHECKLIST = N_("Side-effect checklist")


def window_label(protocol, window) -> str:
    """The assessment's label, else the instrument's name (the checklist's for a
    side-effect window), else the instrument id as a last resort."""
    assessment = protocol.assessment(window.assessment)
    if assessment is not None and getattr(assessment, "label", None):
        return assessment.label
    if getattr(window, "form", None) == SIDE_EFFECTS:
        return SIDE_EFFECT_CHECKLIST
    instrument = INSTRUMENTS.get(window.instrument) if window.instrument else None
    return instrument.name if instrument is not None else (window.instrument or "")


def symptom_labels(checklist: Checklist, lang: str) -> list[Symptom]:
    """The checklist's symptoms as a participant reads them in ``lang``: our default
    symptoms translated, a study's own symptoms in the study's own words."""
    return [Symptom(s.code, gettext(lang, s.label)) if _DEFAULT_LABELS.get(s.code) == s.label
            else s for s in checklist.symptoms]


def severity_labels(lang: str) -> list[dict]:
    """The four severities (0 none ... 3 severe), their words in ``lang``."""
    return [{"code": i, "label": gettext(lang, word)} for i, word in enumerate(SEVERITIES)]
