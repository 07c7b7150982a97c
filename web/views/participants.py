"""A study's participants (with their diary completion) and one participant's page.

The participant page shows status and completion here; the participant's schedule,
curve, entries and actions are added by the participant-page work (issue 15, part 2).
"""

from __future__ import annotations

from flask import render_template, request

from diary.api.context import db, now
from diary.db.models import Participant
from diary.services.completion import completion_for
from diary.services.paging import page_of
from diary.services.roster import visible
from web import bp
from web.access import study_for
from web.paging import page_args
from web.views.participant_page import render_participant

PAGE_SIZE = 100


@bp.route("/studies/<key>/participants")
def participants(key):
    access = study_for(key)
    site = request.args.get("site") or None
    if site is not None and site not in access.protocol.sites:
        site = None  # an unknown site filters nothing rather than failing the page
    page, session = page_args(), db()
    people, total = page_of(session, visible(access.who, access.study, site),
                            Participant.subject_id, page=page, page_size=PAGE_SIZE)
    done = completion_for(session, access.protocol, people, now())
    return render_template("participants.html", access=access, site=site, total=total,
                           rows=[(p, done[p.id]) for p in people], page=page,
                           page_size=PAGE_SIZE)


@bp.route("/studies/<key>/participants/<subject_id>")
def participant(key, subject_id):
    # The full page (schedule, curve, entries, actions): web/views/participant_page.py
    return render_participant(key, subject_id)
