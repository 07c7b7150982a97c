"""Coordinators' view of participants: enrol, withdrawal, entries, schedule (anchor events:
diary/api/events.py)."""

from dataclasses import replace

from flask import current_app, request
from flask.views import MethodView

from diary.api.blueprint import Blueprint
from diary.api.context import BEARER, authenticated, db, now, page_body, principal
from diary.api.schemas import (
    CodeOut,
    EnrolIn,
    EnrolledOut,
    EntryListArgs,
    EntryOut,
    EntryPage,
    LanguageIn,
    ParticipantListArgs,
    ParticipantOut,
    ParticipantPage,
    ReminderTimeIn,
    ScheduleOut,
    WithdrawIn,
)
from diary.api.staff_schemas import StaffEntryIn
from diary.db.models import Participant
from diary.security import mask_phone
from diary.services import (
    activation_link,
    enrolment,
    entries,
    events,
    languages,
    reminder_times,
    roster,
)
from diary.services.blinding import AllocationView, allocation_view
from diary.services.completion import completion_for
from diary.services.paging import page_of
from diary.services.studies import get_study

blp = Blueprint("participants", __name__, description="Enrolment and follow-up (coordinators)")
BASE = "/studies/<key>/participants"


def participant_view(p: Participant, shown: AllocationView, completion=None) -> dict:
    """A participant as staff see it; ``shown`` masks the allocation for blinded staff."""
    vault = current_app.extensions["paindiary"].vault
    return {
        "subject_id": p.subject_id, "site": p.site, "arm": shown.arm(p.arm),
        "sequence": shown.sequence(p.sequence),
        "timezone": p.timezone, "language": p.language, "reminder_time": p.reminder_time,
        "reminder_time_chosen": p.reminder_time_chosen,
        "phone": mask_phone(vault.decrypt(p.phone_encrypted)) if p.phone_encrypted else None,
        "status": "withdrawn" if p.withdrawn_at else "active", "enrolled_at": p.enrolled_at,
        "withdrawn_at": p.withdrawn_at, "withdrawal_reason": p.withdrawal_reason,
        "sms_opted_out_at": p.sms_opted_out_at, "sms_problem": p.sms_problem,
        "sms_problem_at": p.sms_problem_at, "completion": completion,
    }


def _code_view(code) -> dict:
    """A fresh activation code, its expiry, and the link that opens the web app with it."""
    base = activation_link.app_base_url(current_app.config, request.url_root)
    return {"activation_code": code.code, "activation_expires_at": code.expires_at,
            "activation_url": activation_link.activation_url(base, code.code)}


def _shown(session, who, key) -> AllocationView:
    study, protocol = get_study(session, who, key)
    return allocation_view(session, who, study, protocol)


@blp.route(BASE)
class Participants(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(ParticipantListArgs, location="query")
    @blp.response(200, ParticipantPage)
    def get(self, args, key):
        """Participants (of your sites) with their diary completion up to yesterday"""
        session, who = db(), principal()
        study, protocol = get_study(session, who, key)
        stmt = roster.visible(who, study, args["site"])
        page, size = args["page"], args["page_size"]
        rows, total = page_of(session, stmt, Participant.subject_id, page=page, page_size=size)
        done = completion_for(session, protocol, rows, now())
        shown = allocation_view(session, who, study, protocol)
        items = [participant_view(p, shown, {"expected_days": c.expected_days,
                                      "completed_days": c.completed_days, "rate": c.rate,
                                      "percent": c.percent,
                                      "today_done": c.today_done})
                 for p in rows for c in [done[p.id]]]
        return {"items": items, "page": page, "page_size": size, "total": total}

    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(EnrolIn)
    @blp.response(201, EnrolledOut)
    @blp.alt_response(409, description="Subject id already enrolled")
    @blp.alt_response(422, description="Site, arm, sequence, time zone, phone... refused")
    def post(self, body, key):
        """Enrol a participant; the response holds a single-use activation code"""
        rt = current_app.extensions["paindiary"]
        session, who = db(), principal()
        p, code = enrolment.enrol(session, who, key, enrolment.Enrolment(**body),
                                  now=now(), ph=rt.hasher, vault=rt.vault,
                                  code_ttl=rt.config["ACTIVATION_CODE_TTL"])
        return {**participant_view(p, _shown(session, who, key)), **_code_view(code)}


@blp.route(BASE + "/<subject_id>")
class ParticipantItem(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, ParticipantOut)
    def get(self, key, subject_id):
        """One participant"""
        session, who = db(), principal()
        study, protocol, p = enrolment.get_participant(session, who, key, subject_id)
        return participant_view(p, allocation_view(session, who, study, protocol))


@blp.route(BASE + "/<subject_id>/activation-code")
class ActivationCode(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(201, CodeOut)
    def post(self, key, subject_id):
        """Issue a new activation code (the previous unused one stops working)"""
        rt = current_app.extensions["paindiary"]
        code = enrolment.reissue_code(db(), principal(), key, subject_id, now=now(),
                                      ph=rt.hasher, code_ttl=rt.config["ACTIVATION_CODE_TTL"])
        return _code_view(code)


@blp.route(BASE + "/<subject_id>/schedule")
class ScheduleView(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, ScheduleOut)
    def get(self, key, subject_id):
        """Every assessment window and diary span, in the participant's time zone"""
        session, who = db(), principal()
        study, protocol, p = enrolment.get_participant(session, who, key, subject_id)
        shown = allocation_view(session, who, study, protocol)
        s = events.schedule_of(session, protocol, p)
        return {"windows": [replace(w, treatment=shown.treatment(w.treatment))
                            for w in s.windows],
                "diary_spans": [replace(d, treatment=shown.treatment(d.treatment))
                                for d in s.diary_spans]}


@blp.route(BASE + "/<subject_id>/reminder-time")
class ReminderTime(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(ReminderTimeIn)
    @blp.response(200, ParticipantOut)
    @blp.alt_response(422, description='Not "HH:MM", or in the study\'s quiet hours')
    def put(self, body, key, subject_id):
        """Set the participant's evening reminder time (null: the study's), audited"""
        session, who = db(), principal()
        study, protocol, p = enrolment.get_participant(session, who, key, subject_id,
                                                       need="write")
        reminder_times.set_reminder_time(session, p, protocol, body["reminder_time"],
                                         actor=who.actor, now=now())
        return participant_view(p, allocation_view(session, who, study, protocol))


@blp.route(BASE + "/<subject_id>/language")
class Language(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(LanguageIn)
    @blp.response(200, ParticipantOut)
    @blp.alt_response(422, description="Not one of the study's languages")
    def put(self, body, key, subject_id):
        """Set the language of the participant's texts (SMS, app, questionnaires), audited"""
        session, who = db(), principal()
        study, protocol, p = enrolment.get_participant(session, who, key, subject_id,
                                                       need="write")
        languages.set_language(session, p, protocol, body["language"], actor=who.actor,
                               now=now())
        return participant_view(p, allocation_view(session, who, study, protocol))


@blp.route(BASE + "/<subject_id>/withdrawal")
class Withdrawal(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(WithdrawIn)
    @blp.response(200, ParticipantOut)
    @blp.alt_response(403, description="Wrong password in the signature")
    @blp.alt_response(409, description="Already withdrawn")
    @blp.alt_response(422, description="No reason, or a signature the protocol needs is "
                                       "missing or its meaning is not one it lists")
    def post(self, body, key, subject_id):
        """Withdraw a participant; data given so far is kept. Signed when the protocol
        lists `withdrawal` under `signatures`"""
        session, who = db(), principal()
        p = enrolment.withdraw(session, who, key, subject_id, reason=body["reason"], now=now(),
                               signature=body["signature"],
                               ph=current_app.extensions["paindiary"].hasher)
        return participant_view(p, _shown(session, who, key))


@blp.route(BASE + "/<subject_id>/entries")
class ParticipantEntries(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(EntryListArgs, location="query")
    @blp.response(200, EntryPage)
    def get(self, args, key, subject_id):
        """The participant's diary entries, newest first, with every correction"""
        session = db()
        _, _, p = enrolment.get_participant(session, principal(), key, subject_id)
        rows, total = entries.list_entries(session, p.id, page=args["page"],
                                           page_size=args["page_size"],
                                           include_superseded=not args["current_only"])
        return page_body(rows, total, args)


@blp.route(BASE + "/<subject_id>/diary-entries")
class StaffDiaryEntries(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(StaffEntryIn)
    @blp.response(201, EntryOut)
    @blp.alt_response(200, schema=EntryOut, description="A retry: the original entry")
    @blp.alt_response(404, description="corrects names no entry of the participant")
    @blp.alt_response(409, description="The day has an entry and corrects was not sent, "
                                        "or the client_id was used for other content")
    @blp.alt_response(422, description="Future, before enrolment, after withdrawal")
    def post(self, body, key, subject_id):
        """Enter a day's score for a participant (a paper diary, a call): any past day, with
        a source and a reason; audited as staff entry"""
        session, who = db(), principal()
        _, protocol, p = enrolment.get_participant(session, who, key, subject_id, need="write")
        e = entries.NewEntry(diary_date=body["diary_date"], score=body["score"],
                             client_id=str(body["client_id"]), device_time=None,
                             reason=body["reason"], channel="coordinator",
                             source=body["source"], corrects=body["corrects"])
        result = entries.record_diary_entry(session, p, protocol, e, actor=who.actor,
                                            now=now(), recorded_by=who.account_id)
        return result.entry, 201 if result.created else 200
