"""Short questionnaires by SMS: one item per message, answered with a number.

An instrument qualifies when it has at most ``SMS_MAX_ITEMS`` items, each a range of
whole numbers or coded options (PGIC, single NRS items), and is free to use: a licensed
one ships neutral labels whose wording the study supplies for the app, and the FPS-R is
answered by pointing at pictures of faces, neither of which an SMS can show.  ``Q``
starts the open window that closes first; each answer is checked against its item; the
last one records the response through the same service as the app (window matching,
scoring, audit).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from diary import audit
from diary.db.messaging import SmsConversation
from diary.db.models import Participant, QuestionnaireResponse
from diary.errors import DomainError
from diary.i18n import gettext
from diary.services.entries import protocol_for
from diary.services.events import schedule_of
from diary.services.questionnaires import NewResponse, record_response
from diary.timezones import local_date, zone
from scoring.instruments.model import Instrument, Item
from scoring.instruments.registry import INSTRUMENTS

from . import replies

SMS_MAX_ITEMS = 3


def sms_capable(instrument: Instrument | None) -> bool:
    return (instrument is not None and instrument.licence == "free"
            and 0 < len(instrument.items) <= SMS_MAX_ITEMS)


def _range(item: Item) -> tuple[int, int]:
    if item.bounds is not None:
        return item.bounds
    codes = [o.code for o in item.options]
    return min(codes), max(codes)


def prompt(instrument: Instrument, index: int, lang: str = "en") -> str:
    """The text asking item ``index``, ending with the numbers it takes and, for coded
    options, what the lowest and highest mean (in ``lang`` where the catalog has them)."""
    item = instrument.items[index]
    low, high = _range(item)
    meaning = ""
    if item.options:
        first, last = item.options[0], item.options[-1]
        meaning = (f"{first.code}={gettext(lang, first.label)}, "
                   f"{last.code}={gettext(lang, last.label)}.")
    step = f"{index + 1}/{len(instrument.items)}" if len(instrument.items) > 1 else ""
    return replies.question(gettext(lang, item.label), low, high, meaning=meaning, step=step,
                            lang=lang)


def replace_conversation(session: Session, participant_id: str, kind: str, state: dict,
                         now: datetime, expires_at: datetime) -> None:
    """Open a conversation, ending any the participant had (one at a time); commits."""
    old = session.get(SmsConversation, participant_id)
    if old is not None:
        session.delete(old)
        session.flush()
    session.add(SmsConversation(participant_id=participant_id, kind=kind, state=state,
                                started_at=now, expires_at=expires_at))
    session.commit()


def start_questionnaire(session: Session, p: Participant, now: datetime,
                        ttl: timedelta, lang: str = "en") -> tuple[str, str]:
    """Open the SMS questionnaire for the unanswered open window that closes first."""
    protocol = protocol_for(session, p)
    answered = set(session.scalars(select(QuestionnaireResponse.window_id).where(
        QuestionnaireResponse.participant_id == p.id,
        QuestionnaireResponse.is_current.is_(True),
        QuestionnaireResponse.window_id.is_not(None))))
    windows = sorted((w for w in schedule_of(session, protocol, p).open_windows(now)
                      if w.id not in answered and sms_capable(INSTRUMENTS.get(w.instrument))),
                     key=lambda w: w.closes_at)
    if not windows:
        return replies.say(lang, replies.NO_QUESTIONNAIRE), "no_questionnaire"
    window = windows[0]
    replace_conversation(session, p.id, "questionnaire",
                         {"instrument": window.instrument, "window_id": window.id,
                          "answers": {}}, now, min(now + ttl, window.closes_at))
    return prompt(INSTRUMENTS[window.instrument], 0, lang), "questionnaire_started"


def answer_questionnaire(session: Session, p: Participant, conversation: SmsConversation,
                         value: int, sid: str, now: datetime,
                         lang: str = "en") -> tuple[str, str]:
    """Take the answer to the current item; ask the next or record the response."""
    state = dict(conversation.state)
    instrument = INSTRUMENTS[state["instrument"]]
    answers = dict(state["answers"])
    item = instrument.items[len(answers)]
    if not item.accepts(value):
        low, high = _range(item)
        return replies.answer_range(low, high, lang=lang), "answer_out_of_range"
    answers[item.id] = value
    if len(answers) < len(instrument.items):
        conversation.state = {**state, "answers": answers}
        session.commit()
        return prompt(instrument, len(answers), lang), "questionnaire_answer"
    session.delete(conversation)
    session.commit()
    try:
        record_response(session, p, protocol_for(session, p), NewResponse(
            instrument=instrument.id, answers=answers, client_id=sid, device_time=None,
            window_id=state["window_id"], channel="sms"),
            actor=audit.Actor(f"participant:{p.id}"), now=now)
    except DomainError as exc:
        session.rollback()
        return replies.refused(exc.message, lang=lang), "refused"
    return replies.questionnaire_done(instrument.name, local_date(now, zone(p.timezone)),
                                      lang=lang), \
        "questionnaire_recorded"
