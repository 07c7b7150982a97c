"""The studies list and a study's overview: enrolment and diary completion by site, the
completion trend, open alerts and what became of the last week's reminders."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template

from diary.api.context import db, now
from diary.services.reminder_log import ReminderFilter, list_reminders, reminder_outcomes
from diary.services.roster import roster
from diary.services.studies import list_studies
from web import bp
from web.access import study_for
from web.auth import caller

REMINDER_WEEK = timedelta(days=7)
ALERTS_ON_OVERVIEW = 10


@bp.route("/studies")
def studies():
    return render_template("studies.html", studies=list_studies(db(), caller()))


def trend_series(trend) -> dict:
    """The completion trend as the chart's columns: x in seconds (noon UTC, so the day
    reads the same in every browser zone), y in percent (null where nothing was owed)."""
    return {"x": [int(d.diary_date.toordinal() - 719163) * 86400 + 43200 for d in trend],
            "y": [round(100 * d.completed / d.expected, 1) if d.expected else None
                  for d in trend],
            "owed": [d.expected for d in trend]}


@bp.route("/studies/<key>")
def study(key):
    access = study_for(key)
    session, instant = db(), now()
    r = roster(session, access.who, access.study, access.protocol, instant)
    alerts, open_alerts = list_reminders(
        session, access.who, access.study, ReminderFilter(channel="alert", open_only=True),
        page=1, page_size=ALERTS_ON_OVERVIEW)
    outcomes = reminder_outcomes(session, access.who, access.study,
                                 ReminderFilter(channel="sms", due_since=instant - REMINDER_WEEK))
    return render_template("study.html", access=access, sites=r.sites,
                           trend=trend_series(r.trend), alerts=alerts, open_alerts=open_alerts,
                           outcomes=outcomes)
