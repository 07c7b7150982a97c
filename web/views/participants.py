"""A study's participants (with their diary completion) and one participant's page.

The participant page shows status and completion here; the participant's schedule,
curve, entries and actions are added by the participant-page work (issue 15, part 2).
"""

from __future__ import annotations

from flask import render_template, request

from diary.api.context import db, now
from diary.services.roster import roster
from web import bp
from web.access import study_for
from web.views.participant_page import render_participant


@bp.route("/studies/<key>/participants")
def participants(key):
    access = study_for(key)
    site = request.args.get("site") or None
    if site is not None and site not in access.protocol.sites:
        site = None  # an unknown site filters nothing rather than failing the page
    r = roster(db(), access.who, access.study, access.protocol, now(), site=site, trend_days=0)
    return render_template("participants.html", access=access, rows=r.participants,
                           site=site)


@bp.route("/studies/<key>/participants/<subject_id>")
def participant(key, subject_id):
    # The full page (schedule, curve, entries, actions): web/views/participant_page.py
    return render_participant(key, subject_id)
