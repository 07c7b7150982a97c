"""Code systems and canonical URLs shared by the Questionnaire, response and Bundle mappings."""

from __future__ import annotations

from scoring.instruments.model import Instrument, Option

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

# The base of the canonical URLs we publish (diary.fhir.questionnaire's default).
OUR_BASE = "urn:paindiary"


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
