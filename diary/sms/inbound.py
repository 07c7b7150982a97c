"""Acting on an inbound SMS: log it raw, find the participant, apply the grammar, reply.

Idempotent on Twilio's MessageSid: a retried webhook changes nothing and is answered with
an empty reply, because the TwiML reply is itself an SMS and the first one was already
sent. With Twilio's Advanced Opt-Out the message carries ``OptOutType`` (STOP, START or
HELP) and Twilio has already answered it with the configured text: we record what it
means and answer nothing, so the participant does not get two replies.

A score counts for a diary day only (diary.sms.days): today's, or the previous diary
day's while that is still open (before its late-entry limit) and empty: a reply to the
morning nudge lands on the day it asked about, and the confirmation names the day.
Outside the diary nothing is stored and the reply says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diary import audit
from diary.db.messaging import InboundSms, SmsConversation
from diary.db.models import DiaryEntry, Participant
from diary.errors import DomainError
from diary.security import PhoneVault, mask_phone, normalise_phone
from diary.services.entries import NewEntry, protocol_for, record_diary_entry
from diary.timezones import zone

from . import opt_out, replies
from .commands import accepts_medication, help_for
from .conversation import answer_questionnaire, replace_conversation, start_questionnaire
from .days import reply_day
from .grammar import CARRIER_YES, Keyword, Medication, Number, Unclear, parse
from .language import language_of
from .medication import record_sms_intake

CONFIRM_FOR = timedelta(hours=12)


@dataclass(frozen=True)
class Reply:
    text: str
    outcome: str


def handle_inbound(session: Session, vault: PhoneVault, form: dict[str, str],
                   now: datetime) -> str:
    """The reply text for one signed inbound message (stored before anything is done)."""
    # PostgreSQL text cannot hold NUL: keep every other character as sent, mark NUL as U+FFFD.
    form = {k: v.replace("\x00", "\ufffd") for k, v in form.items()}
    sid = form["MessageSid"]
    if session.scalar(select(InboundSms.id).where(InboundSms.message_sid == sid)) is not None:
        return ""  # a replay: the first answer was already sent
    try:
        phone = normalise_phone(form.get("From", ""))
    except ValueError:
        phone = None
    log = InboundSms(message_sid=sid, received_at=now, body=form.get("Body"),
                     from_index=vault.index(phone) if phone else None,
                     from_masked=mask_phone(phone) if phone else None,
                     raw={k: (mask_phone(phone) if k == "From" and phone else v)
                          for k, v in form.items()})
    session.add(log)
    try:
        session.commit()
    except IntegrityError:  # the same message, delivered twice at once: one answer
        session.rollback()
        return ""
    people = participants_for(session, log.from_index)
    opt_out_type = (form.get("OptOutType") or "").strip().upper()
    if not people:
        reply = Reply(replies.say("en", replies.UNKNOWN_NUMBER), "unknown_number")
    elif opt_out_type in ADVANCED_OPT_OUT:
        reply = advanced_opt_out(session, people, opt_out_type, now)
    else:
        reply = act(session, people, parse(form.get("Body")), sid, now)
    session.execute(update(InboundSms).where(InboundSms.id == log.id).values(
        participant_id=people[0].id if people else None, outcome=reply.outcome,
        reply=reply.text, diary_entry_id=_entry_id(session, sid, people)))
    session.commit()
    return reply.text


# OptOutType values (Twilio's Advanced Opt-Out): what the keyword was, and our outcome.
ADVANCED_OPT_OUT = {"STOP": "opt_out", "START": "opt_in", "HELP": "help"}


def advanced_opt_out(session: Session, people: list[Participant], kind: str,
                     now: datetime) -> Reply:
    """Record what Twilio recognised (its reply is already on its way): an empty reply."""
    if kind in ("STOP", "START"):
        set_opt_out(session, people, now, opted_out=kind == "STOP",
                    source=opt_out.ADVANCED_OPT_OUT)
    return Reply("", ADVANCED_OPT_OUT[kind])


def participants_for(session: Session, phone_index: str | None) -> list[Participant]:
    """Everyone enrolled with this number, the active and most recent first."""
    if phone_index is None:
        return []
    rows = session.scalars(select(Participant).where(Participant.phone_index == phone_index))
    return sorted(rows, key=lambda p: (p.withdrawn_at is not None, -p.enrolled_at.timestamp()))


def act(session: Session, people: list[Participant], cmd, sid: str, now: datetime) -> Reply:
    p = people[0]
    lang = language_of(session, p)
    if isinstance(cmd, Keyword) and cmd.word == "stop":
        set_opt_out(session, people, now, opted_out=True, source=opt_out.KEYWORD)
        return Reply(replies.say(lang, replies.STOPPED), "opt_out")
    if isinstance(cmd, Keyword) and cmd.word == "start":
        set_opt_out(session, people, now, opted_out=False, source=opt_out.KEYWORD)
        return Reply(replies.say(lang, replies.STARTED), "opt_in")
    if isinstance(cmd, Keyword) and cmd.word == "help":
        return Reply(help_for(protocol_for(session, p), lang), "help")
    if p.withdrawn_at is not None and p.withdrawn_at <= now:
        return Reply(replies.say(lang, replies.NOT_ENROLLED_ANYMORE), "withdrawn")
    conversation = session.get(SmsConversation, p.id)
    if conversation is not None and conversation.expires_at <= now:
        session.delete(conversation)
        session.commit()
        conversation = None
    if isinstance(cmd, Keyword) and cmd.said in CARRIER_YES \
            and p.sms_opted_out_at is not None and conversation is None:
        # carriers treat YES as opt-in (the English word only: OUI, JA are answers)
        set_opt_out(session, people, now, opted_out=False, source=opt_out.KEYWORD)
        return Reply(replies.say(lang, replies.STARTED), "opt_in")
    if isinstance(cmd, Keyword) and cmd.word in ("yes", "no"):
        if conversation is None or conversation.kind != "correction":
            return Reply(replies.say(lang, replies.NOTHING_PENDING), "nothing_pending")
        return confirm_correction(session, p, conversation, cmd.word == "yes", now, lang)
    if isinstance(cmd, Keyword) and cmd.word == "questions":
        text, outcome = start_questionnaire(session, p, now, CONFIRM_FOR, lang)
        return Reply(text, outcome)
    if isinstance(cmd, Number) and conversation is not None \
            and conversation.kind == "questionnaire":
        text, outcome = answer_questionnaire(session, p, conversation, cmd.value, sid, now,
                                             lang)
        return Reply(text, outcome)
    if isinstance(cmd, Number):
        return record_score(session, p, cmd.value, sid, now, lang)
    protocol = protocol_for(session, p)
    if isinstance(cmd, Medication) or getattr(cmd, "reason", "") == "medication":
        if not accepts_medication(protocol):
            return Reply(replies.say(lang, replies.NO_MED_BY_TEXT), "refused")
    if isinstance(cmd, Medication):
        return Reply(*record_sms_intake(session, p, cmd, sid, now, lang))
    assert isinstance(cmd, Unclear | Keyword)
    reason = getattr(cmd, "reason", "")
    msgid = {"decimal": replies.RANGE, "medication": replies.MED_HELP}.get(reason)
    text = replies.say(lang, msgid) if msgid else help_for(protocol, lang)
    return Reply(text, "unclear")


def set_opt_out(session: Session, people: list[Participant], now: datetime, *,
                opted_out: bool, source: str) -> None:
    """STOP silences every enrolment with this number (one person, one phone); recorded
    once and audited (diary.sms.opt_out); commits."""
    ids = [p.id for p in people]
    if opted_out:
        opt_out.record_opt_out(session, ids, now, source=source)
    else:
        opt_out.record_opt_in(session, ids, now, source=source)
    session.commit()


def record_score(session: Session, p: Participant, score: int, sid: str,
                 now: datetime, lang: str = "en") -> Reply:
    if not 0 <= score <= 10:
        return Reply(replies.say(lang, replies.RANGE), "out_of_range")
    protocol = protocol_for(session, p)
    if protocol.daily_diary is None:
        return Reply(replies.refused(replies.NO_DIARY_IN_STUDY, lang=lang), "refused")
    choice = reply_day(session, p, protocol, now,
                       filled=lambda d: _current(session, p.id, d) is not None)
    if choice.day is None and choice.closed_day is not None:
        closed = choice.closed_at.astimezone(zone(p.timezone))
        return Reply(replies.too_late(choice.closed_day, closed, lang=lang), "too_late")
    if choice.day is None:
        return Reply(replies.no_diary_today(choice.next_day, lang=lang), "no_diary_today")
    day = choice.day
    current = _current(session, p.id, day)
    if current is not None and current.client_id != sid:
        if current.score == score:
            return Reply(replies.recorded(score, day, lang=lang), "duplicate_score")
        replace_conversation(session, p.id, "correction",
                             {"date": day.isoformat(), "score": score, "old": current.score,
                              "message_sid": sid}, now, now + CONFIRM_FOR)
        return Reply(replies.already(current.score, score, day, lang=lang), "confirm_correction")
    try:
        record_diary_entry(session, p, protocol, NewEntry(day, score, sid, None, channel="sms"),
                           actor=_actor(p), now=now)
    except DomainError as exc:
        session.rollback()
        return Reply(replies.refused(exc.message, lang=lang), "refused")
    return Reply(replies.recorded(score, day, lang=lang), "recorded")


def confirm_correction(session: Session, p: Participant, conversation: SmsConversation,
                       yes: bool, now: datetime, lang: str = "en") -> Reply:
    state = dict(conversation.state)
    day = date.fromisoformat(state["date"])
    session.delete(conversation)
    session.commit()
    if not yes:
        return Reply(replies.kept(state["old"], day, lang=lang), "correction_declined")
    protocol = protocol_for(session, p)
    entry = NewEntry(day, state["score"], state["message_sid"], None,
                     reason="corrected by SMS: participant replied YES to confirm",
                     channel="sms")
    try:
        record_diary_entry(session, p, protocol, entry, actor=_actor(p), now=now)
    except DomainError as exc:
        session.rollback()
        return Reply(replies.refused(exc.message, lang=lang), "refused")
    return Reply(replies.corrected(state["old"], state["score"], day, lang=lang), "corrected")


def _current(session: Session, participant_id: str, day: date) -> DiaryEntry | None:
    return session.scalar(select(DiaryEntry).where(
        DiaryEntry.participant_id == participant_id, DiaryEntry.diary_date == day,
        DiaryEntry.is_current.is_(True)))


def _entry_id(session: Session, sid: str, people: list[Participant]) -> str | None:
    if not people:
        return None
    return session.scalar(select(DiaryEntry.id).where(
        DiaryEntry.participant_id == people[0].id, DiaryEntry.client_id == sid))


def _actor(p: Participant) -> audit.Actor:
    return audit.Actor(f"participant:{p.id}")
