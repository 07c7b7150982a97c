"""Coordinators' view of reminders (every message's life and whether its task got done)
and of alerts (missed-day streaks), with acknowledgement."""

from flask.views import MethodView

from diary.api.blueprint import Blueprint
from diary.api.context import BEARER, authenticated, db, now, page_body, principal
from diary.api.reminder_schemas import AlertListArgs, ReminderListArgs, ReminderOut, ReminderPage
from diary.services.reminder_log import ReminderFilter, acknowledge_alert, list_reminders
from diary.services.studies import get_study

blp = Blueprint("reminders", __name__, description="Reminders and alerts (coordinators)")


@blp.route("/studies/<key>/reminders")
class Reminders(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(ReminderListArgs, location="query")
    @blp.response(200, ReminderPage)
    def get(self, args, key):
        """Reminders of your sites, latest first: planned, sent, delivered, failed or
        cancelled (with why), and when the task they asked for was done"""
        session, who = db(), principal()
        study, _ = get_study(session, who, key)
        f = ReminderFilter(args["subject_id"], args["site"], args["kind"], args["state"])
        rows, total = list_reminders(session, who, study, f, page=args["page"],
                                     page_size=args["page_size"])
        return page_body(rows, total, args)


@blp.route("/studies/<key>/alerts")
class Alerts(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.arguments(AlertListArgs, location="query")
    @blp.response(200, ReminderPage)
    def get(self, args, key):
        """Coordinator alerts of your sites (e.g. N missed diary days in a row)"""
        session, who = db(), principal()
        study, _ = get_study(session, who, key)
        f = ReminderFilter(args["subject_id"], args["site"], channel="alert")
        rows, total = list_reminders(session, who, study, f, page=args["page"],
                                     page_size=args["page_size"])
        return page_body(rows, total, args)


@blp.route("/studies/<key>/alerts/<alert_id>/acknowledgement")
class Acknowledgement(MethodView):
    @authenticated
    @blp.doc(security=BEARER)
    @blp.response(200, ReminderOut)
    @blp.alt_response(409, description="Already acknowledged")
    def post(self, key, alert_id):
        """Mark an alert as seen (audited)"""
        session, who = db(), principal()
        study, _ = get_study(session, who, key)
        return acknowledge_alert(session, who, study, alert_id, now=now())
