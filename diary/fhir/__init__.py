"""FHIR R4 mapping of the questionnaire library: plain data in, JSON-ready dicts out.

No Flask or SQLAlchemy here.  Resources are shaped for R4 and checked against
``fhir.resources.R4B`` (fhir.resources 8 defaults to R5; see PITFALLS "FHIR").
"""

from diary.fhir.bundle import ResponseView, response_bundle
from diary.fhir.questionnaire import questionnaire
from diary.fhir.responses import (
    FhirResponseError,
    Issue,
    ParsedResponse,
    answers_from_questionnaire_response,
)

__all__ = [
    "FhirResponseError",
    "Issue",
    "ParsedResponse",
    "ResponseView",
    "answers_from_questionnaire_response",
    "questionnaire",
    "response_bundle",
]
