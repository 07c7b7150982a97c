"""Coordinator alerts (missed diary days, severe or serious safety reports) and their
acknowledgement, through the same service as ``POST /api/v1/studies/<key>/alerts/<id>/
acknowledgement``."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from diary.api.context import db, now
from diary.services.reminder_log import ReminderFilter, acknowledge_alert, list_reminders
from web import bp
from web.access import study_for
from web.paging import page_args

PAGE_SIZE = 50


@bp.route("/studies/<key>/alerts")
def alerts(key):
    access = study_for(key)
    show = request.args.get("show", "open")
    page = page_args()
    rows, total = list_reminders(
        db(), access.who, access.study,
        ReminderFilter(channel="alert", open_only=show != "all"), page=page,
        page_size=PAGE_SIZE)
    return render_template("alerts.html", access=access, alerts=rows, total=total,
                           page=page, page_size=PAGE_SIZE, show=show)


@bp.route("/studies/<key>/alerts/<alert_id>/acknowledge", methods=["POST"])
def acknowledge(key, alert_id):
    """Marks the alert seen; answers its table row as it now stands (htmx swaps it in)."""
    access = study_for(key)
    row = acknowledge_alert(db(), access.who, access.study, alert_id, now=now())
    if not request.headers.get("HX-Request"):  # a plain form post (scripts off)
        return redirect(url_for("web.alerts", key=key))
    return render_template("_alert_row.html", access=access, a=row)
