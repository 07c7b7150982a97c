"""OpenAPI fragments declaring ``application/fhir+json`` where the API takes or gives FHIR R4
resources (issue 18); merged into the operations with ``@blp.doc``."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

FHIR_JSON = "application/fhir+json"


def fhir_schema(resource_type: str) -> dict:
    """A JSON schema naming the FHIR R4 resource (its full definition is FHIR's own)."""
    return {"type": "object", "required": ["resourceType"],
            "properties": {"resourceType": {"type": "string", "enum": [resource_type]}},
            "description": f"A FHIR R4 {resource_type}: "
                           f"https://hl7.org/fhir/R4/{resource_type.lower()}.html"}


def fhir_request(resource_type: str) -> dict:
    """``requestBody`` that also takes the FHIR resource (the JSON body stays declared)."""
    return {"requestBody": {"content": {FHIR_JSON: {"schema": fhir_schema(resource_type)}}}}


def fhir_response(status: int, resource_type: str, description: str) -> dict:
    return {"responses": {str(status): {"description": description, "content": {
        FHIR_JSON: {"schema": fhir_schema(resource_type)}}}}}


class FhirQuestionnaireOut(ma.Schema):
    """A FHIR R4 Questionnaire (https://hl7.org/fhir/R4/questionnaire.html), SDC-shaped."""

    resourceType = fields.String(metadata={"enum": ["Questionnaire"]})  # noqa: N815
