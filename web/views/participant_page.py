"""One participant's page: status, the schedule as a timeline, the daily pain curve with
its anchors, diary entries with every version, questionnaires, medication (MME), side
effects and adverse events; and the forms of the actions (web/views/participant_actions.py).

Everything is read through the services the API uses (``get_participant``, ``schedule_of``,
``list_entries``, ...) and shown as the API shows it to this caller: blinded staff see no
treatment at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from flask import render_template, session
from sqlalchemy import select

from diary.api.context import db, now
from diary.api.events import event_views
from diary.db.models import STAFF_SOURCES, AnchorEvent
from diary.schedule import CONFIRMED
from diary.services import events, medications, questionnaires, side_effects
from diary.services.adverse_events import list_adverse_events
from diary.services.completion import completion_for
from diary.services.entries import list_entries
from diary.services.reminder_log import ReminderFilter, list_reminders
from diary.timezones import local_date, zone
from web.access import StudyAccess, participant_for
from web.forms import FormState
from web.record_labels import record_labels

# A participant's record is small (a diary day each, a few questionnaires): one page holds
# it all. Past these counts the page says how many more there are.
SHOWN = 500
NOTICE = "participant_notice"


@dataclass(frozen=True)
class TimelineItem:
    """A window or an anchor on the participant's timeline."""

    at: datetime
    kind: str  # "anchor" or "window"
    state: str  # window: past, open, upcoming; anchor: planned, confirmed, cancelled
    label: str
    closes: datetime | None = None
    period: int | None = None
    treatment: str | None = None


def _epoch_noon(day: date) -> int:
    """A diary date as the chart's x: seconds at noon UTC (the same day in every zone)."""
    return (day.toordinal() - 719163) * 86400 + 43200


def timeline(schedule, event_rows: list[dict], instant: datetime, access: StudyAccess):
    items = []
    for e in event_rows:
        at = e["occurred_at"] or e["planned_at"] or datetime.combine(
            e["planned_date"], datetime.min.time(), tzinfo=instant.tzinfo)
        items.append(TimelineItem(at, "anchor", e["status"], e["type"], period=e["period"]))
    for w in schedule.windows:
        state = ("past" if w.closes_at <= instant else
                 "open" if w.opens_at <= instant else "upcoming")
        items.append(TimelineItem(w.opens_at, "window", state, w.assessment,
                                  closes=w.closes_at, period=w.period,
                                  treatment=w.treatment if access.sees_allocation else None))
    return sorted(items, key=lambda i: (i.at, i.kind != "anchor"))


def curve(entries, event_rows: list[dict], spans) -> dict:
    """The chart's data: current scores by diary date, and the anchors' day 0."""
    current = sorted((e for e in entries if e.is_current), key=lambda e: e.diary_date)
    days = [s.first for s in spans] + [s.last for s in spans] + [e.diary_date for e in current]
    first, last = (min(days), max(days)) if days else (None, None)
    return {
        "x": [_epoch_noon(e.diary_date) for e in current],
        "y": [e.score for e in current],
        "staff": [e.entry_source != "participant" for e in current],
        "range": [_epoch_noon(first) - 43200, _epoch_noon(last) + 43200] if first else None,
        "anchors": [{"x": _epoch_noon(e["day0"]) - 43200 + 1, "status": e["status"],
                     "label": f'{e["type"]}{" " + str(e["period"]) if e["period"] else ""}'}
                    for e in event_rows if e["status"] != "cancelled"],
    }


def render_participant(key: str, subject_id: str, *, form: FormState | None = None,
                       issued=None, status: int = 200):
    access, p = participant_for(key, subject_id)
    s, instant = db(), now()
    completion = completion_for(s, access.protocol, [p], instant)[p.id]
    alerts, _ = list_reminders(s, access.who, access.study,
                               ReminderFilter(subject_id=p.subject_id, channel="alert",
                                              open_only=True), page=1, page_size=50)
    rows = list(s.scalars(select(AnchorEvent).where(AnchorEvent.participant_id == p.id)
                          .order_by(AnchorEvent.occurred_at, AnchorEvent.id)))
    event_rows = event_views(s, p, rows)
    schedule = events.schedule_of(s, access.protocol, p)
    entries, n_entries = list_entries(s, p.id, page=1, page_size=SHOWN)
    responses, n_responses = questionnaires.list_responses(s, p.id, page=1, page_size=SHOWN)
    intakes, n_intakes = medications.list_intakes(s, p.id, page=1, page_size=SHOWN)
    reports, n_reports = side_effects.list_reports(s, p.id, page=1, page_size=SHOWN)
    aes, n_aes = list_adverse_events(s, access.who, key, subject_id, page=1, page_size=SHOWN)
    return render_template(
        "participant_detail.html", access=access, p=p, completion=completion, alerts=alerts,
        events=event_rows, timeline=timeline(schedule, event_rows, instant, access),
        chart=curve(entries, event_rows, schedule.diary_spans), entries=entries,
        counts={"entries": n_entries, "responses": n_responses, "intakes": n_intakes,
                "reports": n_reports, "aes": n_aes},
        responses=responses, intakes=intakes, reports=reports, aes=aes,
        anchors=access.protocol.anchors, sources=STAFF_SOURCES,
        form=form or FormState(), issued=issued, client_id=str(uuid.uuid4()),
        notice=session.pop(NOTICE, None), **record_labels(),
        today=local_date(instant, zone(p.timezone)).isoformat(), confirmed=CONFIRMED), status
