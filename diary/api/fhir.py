"""The FHIR R4 base ``/fhir``: the CapabilityStatement and the published Questionnaires."""

from __future__ import annotations

from flask.views import MethodView

from diary.api.blueprint import Blueprint
from diary.api.context import BEARER, authenticated, now
from diary.api.fhir_docs import fhir_response
from diary.api.questionnaires import fhir_json
from diary.errors import NotFound
from diary.fhir import questionnaire
from diary.fhir.capability import capability_statement
from scoring.instruments.registry import INSTRUMENTS

blp = Blueprint("fhir", __name__, url_prefix="/fhir",
                description="FHIR R4: what this server supports, and the Questionnaires")


@blp.route("/metadata")
class Metadata(MethodView):
    @blp.doc(**fhir_response(200, "CapabilityStatement", "What this FHIR server supports"))
    def get(self):
        """The CapabilityStatement (no token needed, as FHIR clients expect)"""
        return fhir_json(capability_statement(now().date().isoformat()))


@blp.route("/Questionnaire")
class Questionnaires(MethodView):
    @authenticated
    @blp.doc(security=BEARER, **fhir_response(200, "Bundle", "A searchset Bundle of every "
                                                             "published Questionnaire"))
    def get(self):
        """Every shipped instrument as a FHIR Questionnaire"""
        entries = [{"fullUrl": f"urn:paindiary/Questionnaire/{i.id}",
                    "resource": questionnaire(i), "search": {"mode": "match"}}
                   for _, i in sorted(INSTRUMENTS.items())]
        return fhir_json({"resourceType": "Bundle", "type": "searchset",
                          "total": len(entries), "entry": entries})


@blp.route("/Questionnaire/<questionnaire_id>")
class QuestionnaireRead(MethodView):
    @authenticated
    @blp.doc(security=BEARER, **fhir_response(200, "Questionnaire", "The Questionnaire"))
    def get(self, questionnaire_id):
        """One instrument as a FHIR Questionnaire, by its id (phq9, bpi-sf)"""
        instrument = INSTRUMENTS.get(questionnaire_id) or INSTRUMENTS.get(
            questionnaire_id.replace("-", "_"))
        if instrument is None:
            raise NotFound(f"no Questionnaire {questionnaire_id!r}; ids: "
                           + ", ".join(sorted(i.replace("_", "-") for i in INSTRUMENTS)),
                           field="questionnaire_id")
        return fhir_json(questionnaire(instrument))
