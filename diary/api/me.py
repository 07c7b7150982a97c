"""The mobile app's API: a participant's own profile, tasks and diary entries."""

from datetime import UTC

from flask.views import MethodView

from diary.api.blueprint import Blueprint
from diary.api.context import BEARER, authenticated, db, now, page_body, principal
from diary.api.schemas import (
    EntryIn,
    EntryListArgs,
    EntryOut,
    EntryPage,
    LangArgs,
    LanguageIn,
    MeOut,
    ReminderTimeIn,
    TasksOut,
)
from diary.db.models import Participant, Study
from diary.services import entries, languages, reminder_times
from diary.services.overview import tasks_for
from diary.services.principals import participant_of

blp = Blueprint("me", __name__, description="The participant's own diary (mobile app)")


def _mine():
    """The caller's session, participant row and current protocol (loaded with the token)."""
    session, who = db(), principal()
    p = participant_of(session, who)
    return session, p, entries.protocol_for(session, p, who.protocol_sha256)


@blp.route("/me")
class Me(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, MeOut)
    def get(self):
        """Your profile in the study"""
        session = db()
        return _me_view(session, participant_of(session, principal()))


def _me_view(session, p) -> dict:
    study = session.get(Study, p.study_id)
    return {"study": study.key, "study_title": study.title, "subject_id": p.subject_id,
            "timezone": p.timezone, "language": p.language,
            "reminder_time": p.reminder_time, "reminder_time_chosen": p.reminder_time_chosen,
            "enrolled_at": p.enrolled_at, "withdrawn_at": p.withdrawn_at}


@blp.route("/me/reminder-time")
class MyReminderTime(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(ReminderTimeIn)
    @blp.response(200, MeOut)
    @blp.alt_response(422, description='Not "HH:MM", or in the study\'s quiet hours')
    def put(self, body):
        """Set your evening reminder time (null: the study's time)"""
        session, p, protocol = _mine()
        p = session.get(Participant, p.id)  # this session's row, whatever the token loaded
        reminder_times.set_reminder_time(session, p, protocol, body["reminder_time"],
                                         actor=principal().actor, now=now())
        return _me_view(session, p)


@blp.route("/me/language")
class MyLanguage(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(LanguageIn)
    @blp.response(200, MeOut)
    @blp.alt_response(422, description="Not one of the study's languages")
    def put(self, body):
        """Set the language of your texts (one of the study's languages)"""
        session, p, protocol = _mine()
        p = session.get(Participant, p.id)  # this session's row, whatever the token loaded
        languages.set_language(session, p, protocol, body["language"],
                               actor=principal().actor, now=now())
        return _me_view(session, p)


@blp.route("/me/tasks")
class Tasks(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(LangArgs, location="query")
    @blp.response(200, TasksOut)
    def get(self, args):
        """Today's tasks: is today's diary due and done, which windows are open (a
        questionnaire, or the side-effect checklist: see ``form``) and which are done"""
        session, p, protocol = _mine()
        return tasks_for(session, protocol, p, now(), args["lang"])


@blp.route("/me/diary-entries")
class DiaryEntries(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(EntryListArgs, location="query")
    @blp.response(200, EntryPage)
    def get(self, args):
        """Your diary entries, newest first, including corrected versions"""
        session = db()
        p = participant_of(session, principal())
        rows, total = entries.list_entries(session, p.id, page=args["page"],
                                           page_size=args["page_size"],
                                           include_superseded=not args["current_only"])
        return page_body(rows, total, args)

    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(EntryIn)
    @blp.response(201, EntryOut)
    @blp.alt_response(200, schema=EntryOut, description="A retry: the original entry")
    @blp.alt_response(409, description="The day has an entry and no reason was given, "
                                        "or the client_id was used for other content")
    @blp.alt_response(422, description="Future, before enrolment, after withdrawal, too late")
    def post(self, body):
        """Record today's (or a recent day's) pain score; a retry returns the original"""
        session, p, protocol = _mine()
        e = entries.NewEntry(diary_date=body["diary_date"], score=body["score"],
                             client_id=str(body["client_id"]),
                             device_time=body["device_time"].astimezone(UTC),
                             reason=body["reason"])
        result = entries.record_diary_entry(session, p, protocol, e, actor=principal().actor,
                                            now=now())
        # A retry gets the original with 200 rather than 201: nothing new was created.
        return result.entry, 201 if result.created else 200
