"""The server's FHIR R4 ``CapabilityStatement`` (served at ``/fhir/metadata``).

It states what is really there: ``Questionnaire`` read and search at the FHIR base
(``/fhir``), one per shipped instrument; ``QuestionnaireResponse`` taken by the
participant's endpoint ``POST /api/v1/me/questionnaire-responses`` (not a FHIR create at
the base, so no interaction is claimed: the documentation says where and how).

Examples
--------
>>> cs = capability_statement("2026-12-02")
>>> cs["fhirVersion"], [r["type"] for r in cs["rest"][0]["resource"]]
('4.0.1', ['Questionnaire', 'QuestionnaireResponse'])
"""

from __future__ import annotations

SDC_QUESTIONNAIRE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire"
SDC_RESPONSE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaireresponse"

RESPONSE_INTAKE = (
    "Sent by a participant's device to POST /api/v1/me/questionnaire-responses as "
    "application/fhir+json. The instrument is found from questionnaire (our canonical, "
    "http://loinc.org/q/<panel>, Questionnaire/<code>, or a study alias), a contained "
    "Questionnaire, or the items' linkIds and LOINC codes; calculated totals are compared "
    "with our score (a difference is a warning); any modifierExtension is refused; "
    "status in-progress is kept as partial or refused as the study's protocol says; "
    "authored needs a time zone. The reply is the stored response in our JSON; a refusal "
    "names each path (item[3].answer[0].valueCoding.code) and the value."
)


def capability_statement(date: str, *, software_version: str = "1") -> dict:
    """The CapabilityStatement (``kind`` instance) as a JSON-ready dict; ``date`` is
    ``YYYY-MM-DD``."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "paindiary",
        "kind": "instance",
        "software": {"name": "paindiary", "version": software_version},
        "implementation": {"description": "paindiary ePRO: pain diaries and questionnaires "
                                          "for clinical trials"},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "FHIR base /fhir. Bearer tokens from /api/v1/auth/login (staff) "
                             "or /api/v1/participant/activate (a participant's device).",
            "security": {"description": "Authorization: Bearer <token> on every request "
                                        "but this one."},
            "resource": [
                {"type": "Questionnaire",
                 "profile": "http://hl7.org/fhir/StructureDefinition/Questionnaire",
                 "supportedProfile": [SDC_QUESTIONNAIRE],
                 "documentation": "One per shipped instrument, id as published "
                                  "(phq9, bpi-sf), LOINC-coded where LOINC has codes.",
                 "interaction": [{"code": "read"}, {"code": "search-type"}]},
                {"type": "QuestionnaireResponse",
                 "supportedProfile": [SDC_RESPONSE],
                 "documentation": RESPONSE_INTAKE},
            ],
        }],
    }
