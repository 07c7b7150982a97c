"""Reminders with their outcomes: sent, delivered, failed and why, and whether (and how
soon after) the participant did what they asked; filtered by site, state and kind."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template, request

from diary.api.context import db, now
from diary.db.messaging import OUTBOX_STATES
from diary.services.reminder_log import ReminderFilter, list_reminders, reminder_outcomes
from web import bp
from web.access import study_for
from web.paging import page_args

PAGE_SIZE = 50


@bp.route("/studies/<key>/reminders")
def reminders(key):
    access = study_for(key)
    site = request.args.get("site") or None
    state = request.args.get("state") or None
    site = site if site in access.protocol.sites else None
    state = state if state in OUTBOX_STATES else None
    page = page_args()
    f = ReminderFilter(site=site, state=state, channel="sms")
    session = db()
    rows, total = list_reminders(session, access.who, access.study, f, page=page,
                                 page_size=PAGE_SIZE)
    week = reminder_outcomes(session, access.who, access.study,
                             ReminderFilter(site=site, channel="sms",
                                            due_since=now() - timedelta(days=7)))
    template = "_reminder_rows.html" if request.headers.get("HX-Request") else "reminders.html"
    return render_template(template, access=access, reminders=rows, total=total, page=page,
                           page_size=PAGE_SIZE, site=site, state=state, states=OUTBOX_STATES,
                           outcomes=week)
