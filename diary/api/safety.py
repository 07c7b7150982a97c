"""The side-effect diary (participants' daily checklist) and adverse events (recorded by
coordinators); severe or serious reports alert the coordinators (issue 6)."""

from datetime import UTC

from flask.views import MethodView

from diary.api.blueprint import Blueprint
from diary.api.context import BEARER, authenticated, db, now, page_body, principal
from diary.api.safety_schemas import (
    AdverseEventIn,
    AdverseEventOut,
    AdverseEventPage,
    ChecklistOut,
    SideEffectsIn,
    SideEffectsOut,
    SideEffectsPage,
    VersionListArgs,
)
from diary.api.schemas import LangArgs
from diary.i18n import language_for
from diary.i18n.labels import severity_labels, symptom_labels
from diary.services import adverse_events, entries, side_effects
from diary.services.enrolment import get_participant
from diary.services.principals import participant_of

blp = Blueprint("safety", __name__, description="Side effects and adverse events")
P = "/studies/<key>/participants/<subject_id>"


@blp.route("/me/side-effect-checklist")
class MyChecklist(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(LangArgs, location="query")
    @blp.response(200, ChecklistOut)
    def get(self, args):
        """Your study's side-effect checklist: each symptom with its label (in your
        language, or ``lang``'s), and the severities to answer it with"""
        session, who = db(), principal()
        p = participant_of(session, who)
        protocol = entries.protocol_for(session, p, who.protocol_sha256)
        language = language_for(args["lang"] or p.language, protocol.languages)
        return {"symptoms": symptom_labels(protocol.side_effects, language),
                "severities": severity_labels(language), "language": language}


@blp.route("/me/side-effects")
class MySideEffects(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(VersionListArgs, location="query")
    @blp.response(200, SideEffectsPage)
    def get(self, args):
        """Your side-effect reports, newest day first, including corrected versions"""
        session = db()
        p = participant_of(session, principal())
        rows, total = side_effects.list_reports(session, p.id, page=args["page"],
                                                page_size=args["page_size"],
                                                include_superseded=not args["current_only"])
        return page_body(rows, total, args)

    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(SideEffectsIn)
    @blp.response(201, SideEffectsOut)
    @blp.alt_response(200, schema=SideEffectsOut, description="A retry: the original")
    @blp.alt_response(409, description="The day has a report and no reason was given, "
                                        "or the client_id was used for other content")
    @blp.alt_response(422, description="Unknown symptom, bad severity, a closed day")
    def post(self, body):
        """Answer the side-effect checklist for a day (every symptom, none to severe)"""
        session, who = db(), principal()
        p = participant_of(session, who)
        protocol = entries.protocol_for(session, p, who.protocol_sha256)
        n = side_effects.NewReport(
            diary_date=body["diary_date"], answers=body["answers"],
            client_id=str(body["client_id"]), device_time=body["device_time"].astimezone(UTC),
            free_text=body["free_text"], reason=body["reason"])
        result = side_effects.record_side_effects(session, p, protocol, n, actor=who.actor,
                                                  now=now())
        return result.report, 201 if result.created else 200


@blp.route(P + "/side-effects")
class ParticipantSideEffects(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(VersionListArgs, location="query")
    @blp.response(200, SideEffectsPage)
    def get(self, args, key, subject_id):
        """The participant's side-effect reports, with every correction"""
        session = db()
        _, _, p = get_participant(session, principal(), key, subject_id)
        rows, total = side_effects.list_reports(session, p.id, page=args["page"],
                                                page_size=args["page_size"],
                                                include_superseded=not args["current_only"])
        return page_body(rows, total, args)


@blp.route(P + "/adverse-events")
class AdverseEvents(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(VersionListArgs, location="query")
    @blp.response(200, AdverseEventPage)
    def get(self, args, key, subject_id):
        """The participant's adverse events, latest onset first, with every correction"""
        rows, total = adverse_events.list_adverse_events(
            db(), principal(), key, subject_id, page=args["page"],
            page_size=args["page_size"], include_superseded=not args["current_only"])
        return page_body(rows, total, args)

    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(AdverseEventIn)
    @blp.response(201, AdverseEventOut)
    @blp.alt_response(200, schema=AdverseEventOut, description="A retry: the original")
    @blp.alt_response(404, description="corrects names no event of this participant")
    @blp.alt_response(409, description="client_id reused, or the version was corrected")
    @blp.alt_response(422, description="Bad severity, onset or resolution date")
    def post(self, body, key, subject_id):
        """Record an adverse event, or correct one (corrects + reason); serious or
        severe events alert the coordinators"""
        n = adverse_events.NewAdverseEvent(
            term=body["term"], onset=body["onset"], resolved=body["resolved"],
            severity=body["severity"], serious=body["serious"],
            relatedness=body["relatedness"], client_id=str(body["client_id"]),
            corrects=body["corrects"], reason=body["reason"])
        result = adverse_events.record_adverse_event(db(), principal(), key, subject_id, n,
                                                     now=now())
        return result.event, 201 if result.created else 200
