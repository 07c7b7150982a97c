"""Coordinators' anchor events: record or plan them, then confirm, reschedule, cancel or
correct them (diary/services/events.py, event_changes.py). Each change is a new version;
the event's id, and with it every window id, stays."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from sqlalchemy import select

from diary.api.blueprint import Blueprint
from diary.api.context import BEARER, authenticated, db, now, principal
from diary.api.event_schemas import (
    CancelIn,
    ConfirmIn,
    CorrectIn,
    EventIn,
    EventOut,
    RescheduleIn,
)
from diary.db.models import AnchorEvent, Participant
from diary.errors import NotFound
from diary.schedule import CONFIRMED
from diary.services import event_changes, events
from diary.services.enrolment import get_participant
from diary.timezones import local_date, zone

blp = Blueprint("events", __name__, description="Anchor events that start follow-up clocks "
                                                "(coordinators)")
BASE = "/studies/<key>/participants/<subject_id>/events"


def timing(row, tz) -> dict:
    """An event's or a version's place in time, by status: what happened (confirmed), or
    what is (or was, cancelled) planned: a local date, and the instant when one was given."""
    day0 = local_date(row.occurred_at, tz)
    confirmed = row.status == CONFIRMED
    return {"status": row.status, "period": row.period, "day0": day0,
            "occurred_at": row.occurred_at if confirmed else None,
            "planned_date": None if confirmed else day0,
            "planned_at": None if confirmed or row.date_only else row.occurred_at}


def event_views(session, p: Participant, rows: list[AnchorEvent]) -> list[dict]:
    tz = zone(p.timezone)
    history = event_changes.versions_of(session, [e.id for e in rows])
    return [{**timing(e, tz), "id": e.id, "type": e.type, "version": e.version,
             "recorded_at": e.recorded_at,
             "history": [{**timing(v, tz), "version": v.version, "action": v.action,
                          "reason": v.reason, "recorded_at": v.recorded_at,
                          "recorded_by": v.recorded_by} for v in history[e.id]]}
            for e in rows]


def one_view(event: AnchorEvent) -> dict:
    session = db()
    return event_views(session, session.get(Participant, event.participant_id), [event])[0]


@blp.route(BASE)
class Events(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, EventOut(many=True))
    def get(self, key, subject_id):
        """The participant's anchor events (planned, confirmed, cancelled), with history"""
        session = db()
        _, _, p = get_participant(session, principal(), key, subject_id)
        rows = session.scalars(select(AnchorEvent).where(AnchorEvent.participant_id == p.id)
                               .order_by(AnchorEvent.occurred_at, AnchorEvent.id)).all()
        return event_views(session, p, list(rows))

    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(EventIn)
    @blp.response(201, EventOut)
    @blp.alt_response(409, description="Period already recorded, or too many events")
    @blp.alt_response(422, description="Unknown type, bad period, future instant, past plan")
    def post(self, body, key, subject_id):
        """Record an anchor event that happened (occurred_at), or plan one (planned_date,
        or planned_at with a time): planned events start clocks too"""
        return one_view(events.record_event(db(), principal(), key, subject_id, now=now(),
                                            **body))


@blp.route(BASE + "/<event_id>")
class EventItem(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, EventOut)
    def get(self, key, subject_id, event_id):
        """One anchor event, its current version and its history"""
        session = db()
        _, _, p = get_participant(session, principal(), key, subject_id)
        event = session.scalar(select(AnchorEvent).where(AnchorEvent.id == event_id,
                                                         AnchorEvent.participant_id == p.id))
        if event is None:
            raise NotFound(f"no event {event_id!r} of participant {subject_id!r}")
        return event_views(session, p, [event])[0]


# Each change is a POST of its own (a new version, never an edit in place).

@blp.route(BASE + "/<event_id>/confirmation")
class EventConfirmation(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(ConfirmIn)
    @blp.response(200, EventOut)
    @blp.alt_response(404, description="No such event of this participant")
    @blp.alt_response(409, description="The event is not planned")
    @blp.alt_response(422, description="A future instant, or out of period order")
    def post(self, body, key, subject_id, event_id):
        """Confirm a planned event with the instant it happened"""
        return one_view(event_changes.confirm_event(db(), principal(), key, subject_id,
                                                    event_id, now=now(), **body))


@blp.route(BASE + "/<event_id>/rescheduling")
class EventRescheduling(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(RescheduleIn)
    @blp.response(200, EventOut)
    @blp.alt_response(404, description="No such event of this participant")
    @blp.alt_response(409, description="The event is not planned")
    @blp.alt_response(422, description="No reason, a past date, the same date")
    def post(self, body, key, subject_id, event_id):
        """Move a planned event to another date or instant, with a reason"""
        return one_view(event_changes.reschedule_event(db(), principal(), key, subject_id,
                                                       event_id, now=now(), **body))


@blp.route(BASE + "/<event_id>/cancellation")
class EventCancellation(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(CancelIn)
    @blp.response(200, EventOut)
    @blp.alt_response(404, description="No such event of this participant")
    @blp.alt_response(409, description="The event is not planned")
    @blp.alt_response(403, description="Wrong password in the signature")
    @blp.alt_response(422, description="No reason, or a signature the protocol needs")
    def post(self, body, key, subject_id, event_id):
        """Cancel a planned event, with a reason: its windows and reminders go (signed
        when the protocol lists `anchor_cancellation` under `signatures`)"""
        return one_view(event_changes.cancel_event(db(), principal(), key, subject_id,
                                                   event_id, now=now(), ph=_hasher(), **body))


@blp.route(BASE + "/<event_id>/corrections")
class EventCorrections(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(CorrectIn)
    @blp.response(200, EventOut)
    @blp.alt_response(404, description="No such event of this participant")
    @blp.alt_response(409, description="The event is not confirmed")
    @blp.alt_response(403, description="Wrong password in the signature")
    @blp.alt_response(422, description="No reason, a future or unchanged instant, or a "
                                       "signature the protocol needs")
    def post(self, body, key, subject_id, event_id):
        """Correct a confirmed event's instant, with a reason: a new version, same id
        (signed when the protocol lists `anchor_correction` under `signatures`)"""
        return one_view(event_changes.correct_event(db(), principal(), key, subject_id,
                                                    event_id, now=now(), ph=_hasher(), **body))


def _hasher():
    return current_app.extensions["paindiary"].hasher
