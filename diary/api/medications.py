"""The medication diary: participants' own intakes, coordinators' recording for them,
and the coded drug list (issue 6)."""

from datetime import UTC

from flask.views import MethodView

from diary.api.blueprint import Blueprint
from diary.api.context import BEARER, authenticated, db, now, page_body, principal
from diary.api.safety_schemas import CatalogueOut, IntakeIn, IntakeOut, IntakePage, VersionListArgs
from diary.services import entries, medications
from diary.services.enrolment import get_participant
from diary.services.principals import participant_of

blp = Blueprint("medications", __name__, description="Medication diary (MME)")
COORDINATOR = "/studies/<key>/participants/<subject_id>/medications"


def _mine():
    session, who = db(), principal()
    p = participant_of(session, who)
    return session, p, entries.protocol_for(session, p, who.protocol_sha256)


def new_intake(body, channel: str) -> medications.NewIntake:
    return medications.NewIntake(
        drug=body["drug"], dose=body["dose"], unit=body["unit"], route=body["route"],
        taken_at=body["taken_at"].astimezone(UTC), client_id=str(body["client_id"]),
        rescue=body["rescue"], worn_hours=body["worn_hours"], corrects=body["corrects"],
        reason=body["reason"], channel=channel)


@blp.route("/me/medication-drugs")
class Drugs(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, CatalogueOut)
    def get(self):
        """The study's coded drug list: routes, units and MME factors (the pinned table)"""
        _, _, protocol = _mine()
        return medications.catalogue(protocol)


@blp.route("/me/medications")
class MyMedications(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(VersionListArgs, location="query")
    @blp.response(200, IntakePage)
    def get(self, args):
        """Your recorded intakes, latest first, including corrected versions"""
        session = db()
        p = participant_of(session, principal())
        rows, total = medications.list_intakes(session, p.id, page=args["page"],
                                               page_size=args["page_size"],
                                               include_superseded=not args["current_only"])
        return page_body(rows, total, args)

    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(IntakeIn)
    @blp.response(201, IntakeOut)
    @blp.alt_response(200, schema=IntakeOut, description="A retry: the original intake")
    @blp.alt_response(404, description="corrects names no intake of yours")
    @blp.alt_response(409, description="client_id reused, or the version was corrected")
    @blp.alt_response(422, description="Unknown drug (with suggestions), a unit or route "
                                       "that does not fit, an impossible dose, a closed day")
    def post(self, body):
        """Record an analgesic intake (converted to MME); a retry returns the original"""
        session, p, protocol = _mine()
        result = medications.record_intake(session, p, protocol, new_intake(body, "app"),
                                           actor=principal().actor, now=now())
        return result.intake, 201 if result.created else 200


@blp.route(COORDINATOR)
class ParticipantMedications(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(VersionListArgs, location="query")
    @blp.response(200, IntakePage)
    def get(self, args, key, subject_id):
        """The participant's intakes, latest first, with every correction"""
        session = db()
        _, _, p = get_participant(session, principal(), key, subject_id)
        rows, total = medications.list_intakes(session, p.id, page=args["page"],
                                               page_size=args["page_size"],
                                               include_superseded=not args["current_only"])
        return page_body(rows, total, args)

    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(IntakeIn)
    @blp.response(201, IntakeOut)
    @blp.alt_response(200, schema=IntakeOut, description="A retry: the original intake")
    @blp.alt_response(409, description="client_id reused, or the version was corrected")
    @blp.alt_response(422, description="Refused drug, unit, route, dose or date")
    def post(self, body, key, subject_id):
        """Record an intake for a participant (from a chart or a call; no late-entry limit)"""
        session, who = db(), principal()
        _, protocol, p = get_participant(session, who, key, subject_id, need="write")
        result = medications.record_intake(session, p, protocol, new_intake(body, "coordinator"),
                                           actor=who.actor, now=now(),
                                           recorded_by=who.account_id, late_rule=False)
        return result.intake, 201 if result.created else 200
