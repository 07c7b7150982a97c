"""Questionnaires: instrument definitions, participants' responses, screening."""

import json
from datetime import UTC

from flask import Response
from flask.views import MethodView
from sqlalchemy import select

from diary.api.blueprint import Blueprint
from diary.api.context import BEARER, authenticated, db, now, page_body, principal
from diary.api.fhir_docs import (
    FHIR_JSON,
    FhirQuestionnaireOut,
    fhir_request,
    fhir_response,
)
from diary.api.questionnaire_schemas import (
    InstrumentArgs,
    InstrumentOut,
    ResponseIn,
    ResponseOut,
    ResponsePage,
    ScreeningIn,
    ScreeningOut,
)
from diary.api.schemas import EntryListArgs, LangArgs
from diary.api.staff_schemas import StaffResponseIn
from diary.db.models import QuestionnaireResponse, Screening
from diary.fhir import ResponseView, questionnaire, response_bundle
from diary.i18n import gettext, language_for
from diary.services import enrolment, questionnaires
from diary.services.answers import instrument_or_error
from diary.services.entries import protocol_for
from diary.services.principals import participant_of
from diary.services.screening import record_screening
from diary.services.studies import get_study
from scoring.instruments.registry import INSTRUMENTS

blp = Blueprint("questionnaires", __name__,
                description="Questionnaires: definitions, responses scored on receipt, "
                            "eligibility screening")


def instrument_view(instrument, texts: dict[str, str] | None = None,
                    language: str | None = None) -> dict:
    """An instrument as the app renders it; ``texts`` is the study's licensed wording, and
    with a ``language`` the name, items and options the study does not word are shown
    from the participant catalogs where they translate them (English otherwise)."""
    texts = texts or {}

    def tr(text: str) -> str:
        return gettext(language, text) if language else text

    return {
        "id": instrument.id, "name": tr(instrument.name), "version": instrument.version,
        "licence": instrument.licence, "reference": instrument.reference,
        "coding": instrument.coding, "missing_rule": instrument.missing_rule,
        "language": language,
        "items": [{"id": i.id, "text": texts.get(i.id) or tr(i.label),
                   "options": [{"code": o.code,
                                "label": texts.get(f"{i.id}.{o.code}") or tr(o.label)}
                               for o in i.options] or None,
                   "min": i.bounds[0] if i.bounds else None,
                   "max": i.bounds[1] if i.bounds else None, "unit": i.unit,
                   "scored": i.scored, "clinician": i.clinician}
                  for i in instrument.items],
        "scales": instrument.scales,
    }


@blp.route("/instruments")
class Instruments(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, InstrumentOut(many=True))
    def get(self):
        """Every shipped instrument, with items, coding, scales and scoring rules"""
        return [instrument_view(i) for _, i in sorted(INSTRUMENTS.items())]


@blp.route("/instruments/<instrument_id>")
class InstrumentItem(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(InstrumentArgs, location="query")
    @blp.response(200, InstrumentOut,
                  description="Our JSON, or with format=fhir a FHIR R4 Questionnaire")
    @blp.alt_response(200, schema=FhirQuestionnaireOut, content_type=FHIR_JSON,
                      description="Our JSON, or with format=fhir a FHIR R4 Questionnaire")
    def get(self, args, instrument_id):
        """One instrument's definition (licensed ones carry neutral item labels)"""
        instrument = instrument_or_error(instrument_id)
        if args["format"] == "fhir":
            return fhir_json(questionnaire(instrument))
        return instrument_view(instrument)


@blp.route("/me/instruments/<instrument_id>")
class MyInstrument(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(LangArgs, location="query")
    @blp.response(200, InstrumentOut)
    def get(self, args, instrument_id):
        """An instrument with the study's wording in your language (or ``lang``'s)"""
        session = db()
        p = participant_of(session, principal())
        protocol = protocol_for(session, p, principal().protocol_sha256)
        instrument = instrument_or_error(instrument_id)
        wanted = args["lang"] or p.language
        texts = protocol.instrument_texts.get(instrument.id, {}).get(wanted)
        language = wanted if texts else language_for(wanted, protocol.languages)
        return instrument_view(instrument, texts, language)


@blp.route("/me/questionnaire-responses")
class MyResponses(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(EntryListArgs, location="query")
    @blp.response(200, ResponsePage)
    def get(self, args):
        """Your questionnaire responses, newest first, with every correction"""
        session = db()
        p = participant_of(session, principal())
        rows, total = questionnaires.list_responses(
            session, p.id, page=args["page"], page_size=args["page_size"],
            include_superseded=not args["current_only"])
        return page_body(rows, total, args)

    @authenticated
    @blp.doc(security=BEARER, **fhir_request("QuestionnaireResponse"))
    @blp.arguments(ResponseIn)
    @blp.response(201, ResponseOut)
    @blp.alt_response(200, schema=ResponseOut, description="A retry: the original response")
    @blp.alt_response(409, description="Window already answered (send corrects), or "
                                        "client_id reused")
    @blp.alt_response(422, description="An answer refused: errors names each item (FHIR: "
                                        "by path, e.g. item[3].answer[0].valueCoding.code)")
    def post(self, body):
        """Answer a questionnaire (our JSON, or a FHIR R4 QuestionnaireResponse as
        application/fhir+json); it is scored on receipt and matched to its window"""
        session, who = db(), principal()
        p = participant_of(session, who)
        r = questionnaires.NewResponse(
            instrument=body["instrument"], answers=body["answers"],
            client_id=str(body["client_id"]), device_time=body["device_time"].astimezone(UTC),
            window_id=body["window_id"], corrects=body["corrects"], reason=body["reason"],
            channel="fhir" if body["source"] else "app", source=body["source"],
            partial=body["partial"], client_totals=body["client_totals"],
            intake_warnings=body["intake_warnings"])
        result = questionnaires.record_response(
            session, p, protocol_for(session, p, who.protocol_sha256), r, actor=who.actor,
            now=now())
        return result.response, 201 if result.created else 200


@blp.route("/studies/<key>/participants/<subject_id>/questionnaire-responses")
class ParticipantResponses(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(EntryListArgs, location="query")
    @blp.response(200, ResponsePage)
    def get(self, args, key, subject_id):
        """A participant's questionnaire responses with scores and windows"""
        session = db()
        _, _, p = enrolment.get_participant(session, principal(), key, subject_id)
        rows, total = questionnaires.list_responses(
            session, p.id, page=args["page"], page_size=args["page_size"],
            include_superseded=not args["current_only"])
        return page_body(rows, total, args)

    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(StaffResponseIn)
    @blp.response(201, ResponseOut)
    @blp.alt_response(200, schema=ResponseOut, description="A retry: the original response")
    @blp.alt_response(409, description="Window already answered (send corrects), or "
                                        "client_id reused")
    @blp.alt_response(422, description="An answer refused: errors names each item")
    def post(self, body, key, subject_id):
        """Enter a questionnaire for a participant (clinician-administered items such as
        DN4 8-10, a paper form, a call) with a source and a reason; audited as staff entry"""
        session, who = db(), principal()
        _, protocol, p = enrolment.get_participant(session, who, key, subject_id, need="write")
        r = questionnaires.NewResponse(
            instrument=body["instrument"], answers=body["answers"],
            client_id=str(body["client_id"]),
            device_time=body["administered_at"], window_id=body["window_id"],
            corrects=body["corrects"], reason=body["reason"], channel="coordinator",
            entry_source=body["source"])
        result = questionnaires.record_response(session, p, protocol, r, actor=who.actor,
                                                now=now(), recorded_by=who.account_id)
        return result.response, 201 if result.created else 200


@blp.route("/studies/<key>/participants/<subject_id>/fhir-bundle")
class ParticipantBundle(MethodView):
    @authenticated
    @blp.doc(security=BEARER, **fhir_response(200, "Bundle", "FHIR R4 Bundle (collection)"))
    def get(self, key, subject_id):
        """A participant's responses as FHIR QuestionnaireResponses with score Observations"""
        session = db()
        _, _, p = enrolment.get_participant(session, principal(), key, subject_id)
        rows = session.scalars(select(QuestionnaireResponse).where(
            QuestionnaireResponse.participant_id == p.id,
            QuestionnaireResponse.is_current.is_(True))
            .order_by(QuestionnaireResponse.received_at)).all()
        views = [ResponseView(
            id=r.id, instrument_id=r.instrument, instrument_version=r.instrument_version,
            status="in-progress" if r.partial else "amended" if r.version > 1 else "completed",
            answers=r.answers,
            scores={k: (v["value"], v["band"]) for k, v in r.scores.items()},
            authored=r.device_time or r.received_at, received_at=r.received_at)
            for r in rows]
        return fhir_json(response_bundle(p.subject_id, views))


def fhir_json(resource: dict) -> Response:
    return Response(json.dumps(resource), mimetype=FHIR_JSON)


def screening_view(row: Screening) -> dict:
    return {"id": row.id, "screening_number": row.screening_number, "site": row.site,
            "instrument": row.instrument, "instrument_version": row.instrument_version,
            "scores": row.scores, "eligible": row.eligible, "verdicts": row.verdicts,
            "recorded_at": row.recorded_at, "enrolled": row.participant_id is not None}


@blp.route("/studies/<key>/screenings")
class Screenings(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, ScreeningOut(many=True))
    def get(self, key):
        """Screenings of the study (of your sites)"""
        session, who = db(), principal()
        study, _ = get_study(session, who, key)
        stmt = select(Screening).where(Screening.study_id == study.id)
        sites = who.sites(study.id)
        if sites is not None:
            stmt = stmt.where(Screening.site.in_(sites))
        return [screening_view(r) for r in session.scalars(
            stmt.order_by(Screening.recorded_at, Screening.screening_number))]

    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(ScreeningIn)
    @blp.response(201, ScreeningOut)
    @blp.alt_response(409, description="This screening number already has that instrument")
    @blp.alt_response(422, description="Not a screening instrument of the study, or an "
                                        "answer refused")
    def post(self, body, key):
        """Record a screening questionnaire before enrolment; the verdict follows the protocol"""
        row = record_screening(db(), principal(), key, now=now(), **body)
        return screening_view(row)
