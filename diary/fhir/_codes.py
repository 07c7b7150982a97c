"""Code systems and canonical URLs shared by the Questionnaire, response and Bundle mappings."""

from __future__ import annotations

import re

from scoring.instruments.model import Instrument, Item, Option
from scoring.instruments.registry import INSTRUMENTS

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

_OURS = re.compile(r"(?:^|/)Questionnaire/([^/]+)\Z")
_LOINC_Q = re.compile(r"^http://loinc\.org/q/([0-9]+-[0-9])$")


def questionnaire_url(base_url: str, instrument_id: str) -> str:
    return f"{base_url}/Questionnaire/{instrument_id}"


def answer_system(base_url: str, instrument_id: str) -> str:
    """Our code system for options without a verified LOINC answer code (code = the score)."""
    return f"{base_url}/CodeSystem/{instrument_id}"


def option_coding(instrument: Instrument, option: Option, base_url: str) -> dict:
    """The Coding of an option: LOINC where verified, else our system with the score as code."""
    if option.loinc:
        return {"system": LOINC, "code": option.loinc, "display": option.label}
    system = answer_system(base_url, instrument.id)
    return {"system": system, "code": str(option.code), "display": option.label}


def loinc_coding(code: str | None, display: str) -> list[dict]:
    return [{"system": LOINC, "code": code, "display": display}] if code else []


def item_by_link_id(instrument: Instrument, link_id: str) -> Item | None:
    """Our item for a linkId: the item id, or the item's LOINC code as LHNCBC lforms
    writes it (``/44250-9``, or a path such as ``/44249-1/44250-9``: last segment)."""
    for item in instrument.items:
        if item.id == link_id:
            return item
    code = link_id.rsplit("/", 1)[-1]
    for item in instrument.items:
        if item.loinc is not None and item.loinc == code:
            return item
    return None


def instrument_at(url: str) -> Instrument | None:
    """The instrument a Questionnaire canonical URL (without ``|version``) names:
    ``<any base>/Questionnaire/<id>``, or LOINC's ``http://loinc.org/q/<panel code>``."""
    if m := _OURS.search(url):
        return INSTRUMENTS.get(m.group(1))
    if m := _LOINC_Q.fullmatch(url):
        return next((i for i in INSTRUMENTS.values() if i.loinc == m.group(1)), None)
    return None
