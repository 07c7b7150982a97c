"""The SMS reply grammar: what a participant's text means. Pure; case and space tolerant.

=====================================  ==========================================
Text (any case, extra spaces ignored)  Meaning
=====================================  ==========================================
``6``  ``6/10``  ``6 / 10``             a number (today's pain, or the answer to
``pain 6``  ``Pain: 6``  ``pain=6``     the question asked in an SMS questionnaire)
``STOP`` ``STOPALL`` ``UNSUBSCRIBE``    opt out of all texts
``CANCEL`` ``END`` ``QUIT``
``REVOKE`` ``OPTOUT``
``START`` ``UNSTOP``                    opt in again
``HELP`` ``INFO`` ``AIDE`` ``HULP``     the help text (also ``AYUDA``)
``YES`` ``Y`` / ``NO`` ``N``            confirm or refuse a pending correction (also
``OUI`` ``JA`` ``SI`` / ``NON`` ``NEE``  in French, Dutch and Spanish)
``Q`` ``QUESTIONS``                     start the open SMS questionnaire
``MED oxycodone 5mg``                  an analgesic taken now (issue 6): drug name,
``med paracetamol 1 g R``              dose and unit; ``rescue`` or ``R`` (first or
``MED rescue morphine 10 mg``          last) marks a rescue dose
=====================================  ==========================================

Anything else (``6.5``, ``six``, an empty body, an MMS without text) is ``Unclear`` with
the reason, and is answered with help; nothing is stored for it. A ``MED`` text without
a dose is ``Unclear("medication")``; one without a unit is a ``Medication`` whose unit is
``None`` (the reply asks for it). Whether the drug, unit and dose are valid is the
medication diary's rule (diary.medication), not the grammar's.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit",
                        "revoke", "optout"})
START_WORDS = frozenset({"start", "unstop"})
# HELP, YES and NO also in the participant languages (diary.i18n), as their replies
# ask for them; STOP and START stay the carriers' words in every language.
HELP_WORDS = frozenset({"help", "info", "aide", "hulp", "ayuda"})
YES_WORDS = frozenset({"yes", "y", "oui", "ja", "si", "sí"})
NO_WORDS = frozenset({"no", "n", "non", "nee"})
CARRIER_YES = frozenset({"yes", "y"})  # opts back in, as carriers treat it (not OUI, JA)
QUESTION_WORDS = frozenset({"q", "questions", "questionnaire"})

_NUMBER = re.compile(r"^(?:pain\s*[:=]?\s*)?(?P<n>[+-]?\d+)(?:\s*/\s*10)?$")
_DECIMAL = re.compile(r"^(?:pain\s*[:=]?\s*)?\d*[.,]\d+(?:\s*/\s*10)?$")
MAX_DIGITS = 3
MED_WORDS = frozenset({"med", "meds", "medication"})
RESCUE_WORDS = frozenset({"rescue", "r"})
_DOSE = re.compile(r"^(?P<drug>[^\d]*?)\s*(?P<dose>\d{1,6}(?:[.,]\d{1,4})?)\s*"
                   r"(?P<unit>[a-zµμ]+(?:/[a-z]+)?)?$")


@dataclass(frozen=True)
class Number:
    value: int


@dataclass(frozen=True)
class Keyword:
    word: str  # one of "stop", "start", "help", "yes", "no", "questions"
    said: str = field(default="", repr=False, compare=False)  # as typed, normalised


@dataclass(frozen=True)
class Unclear:
    reason: str  # "empty", "decimal", "not understood"


@dataclass(frozen=True)
class Medication:
    drug: str
    dose: str  # decimal text, "." as separator
    unit: str | None
    rescue: bool = False


Command = Number | Keyword | Unclear | Medication


def _medication(words: list[str]) -> Medication | Unclear:
    rescue = False
    for end in (0, -1):
        if len(words) > 1 and words[end] in RESCUE_WORDS:
            rescue = True
            words.pop(end)
    match = _DOSE.fullmatch(" ".join(words))
    if match is None or not match["drug"].strip() or not match["dose"].isascii():
        return Unclear("medication")
    return Medication(match["drug"].strip(), match["dose"].replace(",", "."), match["unit"],
                      rescue)


def normalise(body: str | None) -> str:
    """Lower case, compatibility-folded (full-width digits become ASCII), single spaces,
    without the punctuation phones and people add at the end."""
    text = unicodedata.normalize("NFKC", body or "").casefold()
    text = " ".join(text.split())
    return text.strip(" .!?,;")


def parse(body: str | None) -> Command:
    """What a reply means.

    >>> parse(" Pain: 6/10 "), parse("STOP"), parse("6.5")
    (Number(value=6), Keyword(word='stop'), Unclear(reason='decimal'))
    >>> parse("MED oxycodone 5mg R")
    Medication(drug='oxycodone', dose='5', unit='mg', rescue=True)
    """
    text = normalise(body)
    if not text:
        return Unclear("empty")
    words = text.split(" ")
    if words[0] in MED_WORDS:
        return _medication(words[1:])
    for words, meaning in ((STOP_WORDS, "stop"), (START_WORDS, "start"), (HELP_WORDS, "help"),
                           (YES_WORDS, "yes"), (NO_WORDS, "no"),
                           (QUESTION_WORDS, "questions")):
        if text in words:
            return Keyword(meaning, text)
    match = _NUMBER.fullmatch(text)
    if match and match["n"].isascii() and len(match["n"].lstrip("+-")) <= MAX_DIGITS:
        return Number(int(match["n"]))
    if _DECIMAL.fullmatch(text):
        return Unclear("decimal")
    return Unclear("not understood")
