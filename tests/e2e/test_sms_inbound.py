"""Inbound SMS: signatures, the reply grammar, late entries, corrections, STOP and START."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from diary.db.audit_models import AuditRecord
from diary.db.messaging import InboundSms
from diary.db.models import DiaryEntry, Participant
from diary.db.safety_models import MedicationIntake
from diary.sms.signature import sign
from tests.e2e.sms_support import (
    AUTH_TOKEN,
    PHONE,
    PUBLIC,
    message_sid,
    post_signed,
    text_in,
)

STUDY = "mini-crossover"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def crossover_source(crossover_source):
    """The minimal crossover with a medication diary, so MED texts are accepted."""
    return crossover_source + "medication: {table: cdc-2022}\n"


@pytest.fixture
def texter(api, crossover, clock):
    """S001 enrolled with a phone, infusion 1 on 1 March: diary days from 1 March."""
    api.enrol(crossover, STUDY, subject_id="S001", site="PAR", sequence="KP", phone=PHONE)
    assert api.event(crossover, STUDY, "S001", type="infusion", period=1,
                     occurred_at="2027-03-01T08:00:00+00:00").status_code == 201
    return crossover


def _db(api):
    return api.app.extensions["paindiary"].session_factory()


def _entries(api) -> list[tuple[date, int, int, bool, str]]:
    with _db(api) as s:
        return [tuple(r) for r in s.execute(
            select(DiaryEntry.diary_date, DiaryEntry.score, DiaryEntry.version,
                   DiaryEntry.is_current, DiaryEntry.channel)
            .order_by(DiaryEntry.diary_date, DiaryEntry.version))]


def _inbound_count(api) -> int:
    with _db(api) as s:
        return s.scalar(select(func.count()).select_from(InboundSms))


# --- signatures --------------------------------------------------------------------------

def test_a_valid_signature_for_the_public_url_is_accepted_behind_a_proxy(api, texter, clock):
    # The test client calls http://localhost/..., Twilio signed https://diary.example.org/...
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    r, reply = text_in(api.c, "6")
    assert r.status_code == 200 and r.mimetype == "application/xml"
    assert reply == "Thanks, pain 6 recorded for Mon 1 Mar."


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", None])
def test_missing_or_wrong_signatures_get_403_and_store_nothing(api, texter, signature):
    form = {"MessageSid": message_sid(), "From": PHONE, "Body": "6"}
    if signature is None:  # signed for the URL the app sees, not the configured public one
        r = post_signed(api.c, "/sms/inbound", form, base="http://localhost")
    else:
        r = post_signed(api.c, "/sms/inbound", form, signature=signature)
    assert r.status_code == 403
    assert r.json["field"] == "X-Twilio-Signature"
    assert _inbound_count(api) == 0 and _entries(api) == []


def test_a_signature_made_with_another_token_is_refused(api, texter):
    form = {"MessageSid": message_sid(), "From": PHONE, "Body": "6"}
    r = post_signed(api.c, "/sms/inbound", form, token="someone-else")
    assert r.status_code == 403 and _inbound_count(api) == 0


def test_a_tampered_body_breaks_the_signature(api, texter):
    form = {"MessageSid": message_sid(), "From": PHONE, "Body": "6"}
    signature = sign(AUTH_TOKEN, f"{PUBLIC}/sms/inbound", form)
    r = api.c.post("/sms/inbound", data={**form, "Body": "9"},
                   headers={"X-Twilio-Signature": signature})
    assert r.status_code == 403 and _inbound_count(api) == 0


# --- scores, days and corrections -------------------------------------------------------------

def test_the_raw_message_is_logged_with_the_number_masked(api, texter, clock):
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    sid = message_sid()
    text_in(api.c, " Pain: 7/10 ", sid=sid)
    with _db(api) as s:
        row = s.scalar(select(InboundSms).where(InboundSms.message_sid == sid))
    assert row.body == " Pain: 7/10 " and row.outcome == "recorded"
    assert PHONE not in str(row.raw) and row.raw["From"].endswith("78")
    assert row.diary_entry_id is not None
    assert _entries(api) == [(date(2027, 3, 1), 7, 1, True, "sms")]


def test_a_replayed_webhook_gets_an_empty_response_and_stores_nothing_new(api, texter,
                                                                          clock):
    """Twilio retries a webhook with the same MessageSid; the TwiML <Message> is itself an
    SMS, so answering the replay as the first time would text the participant twice."""
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    sid = message_sid()
    _, first = text_in(api.c, "6", sid=sid)
    assert first == "Thanks, pain 6 recorded for Mon 1 Mar."
    clock.set(datetime(2027, 3, 1, 20, 1, tzinfo=PARIS))
    for body in ("6", "STOP", "MED oxycodone 5mg"):  # whatever the replay says
        r, again = text_in(api.c, body, sid=sid)
        assert r.status_code == 200 and r.mimetype == "application/xml"
        assert again is None and b"<Message" not in r.data and b"<Response" in r.data
    assert _inbound_count(api) == 1 and len(_entries(api)) == 1
    with _db(api) as s:
        p = s.scalar(select(Participant))
        assert p.sms_opted_out_at is None


def test_after_midnight_a_reply_counts_for_yesterday_while_it_is_open(api, texter, clock):
    clock.set(datetime(2027, 3, 3, 0, 30, tzinfo=PARIS))  # Tue 2 Mar is open until Wed 12:00
    _, reply = text_in(api.c, "4")
    assert reply == "Thanks, pain 4 recorded for Tue 2 Mar."
    clock.set(datetime(2027, 3, 3, 9, 0, tzinfo=PARIS))  # yesterday is done now: today
    _, reply = text_in(api.c, "5")
    assert reply == "Thanks, pain 5 recorded for Wed 3 Mar."
    clock.set(datetime(2027, 3, 5, 12, 30, tzinfo=PARIS))  # Thu 4 Mar closed at 12:00
    _, reply = text_in(api.c, "3")
    assert reply == "Thanks, pain 3 recorded for Fri 5 Mar."
    assert [(d, s) for d, s, *_ in _entries(api)] == [
        (date(2027, 3, 2), 4), (date(2027, 3, 3), 5), (date(2027, 3, 5), 3)]


def test_a_second_score_asks_before_correcting_and_yes_corrects(api, texter, clock):
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    text_in(api.c, "6")
    _, reply = text_in(api.c, "8")
    assert reply == "You already sent pain 6 for Mon 1 Mar. Reply YES to change it to 8, " \
                    "or NO to keep 6."
    assert _entries(api) == [(date(2027, 3, 1), 6, 1, True, "sms")]
    _, reply = text_in(api.c, "yes")
    assert reply == "Changed: pain 8 recorded for Mon 1 Mar (was 6)."
    assert _entries(api) == [(date(2027, 3, 1), 6, 1, False, "sms"),
                             (date(2027, 3, 1), 8, 2, True, "sms")]
    with _db(api) as s:
        reasons = s.scalars(select(AuditRecord.reason).where(
            AuditRecord.action == "diary_entry.correct")).all()
    assert reasons == ["corrected by SMS: participant replied YES to confirm"]
    _, reply = text_in(api.c, "yes")  # nothing left to confirm
    assert reply.startswith("There is nothing to confirm.")


def test_no_keeps_the_first_score(api, texter, clock):
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    text_in(api.c, "6")
    text_in(api.c, "2")
    _, reply = text_in(api.c, "N")
    assert reply == "OK, pain 6 kept for Mon 1 Mar."
    assert _entries(api) == [(date(2027, 3, 1), 6, 1, True, "sms")]


def test_the_same_score_again_is_just_confirmed(api, texter, clock):
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    text_in(api.c, "6")
    _, reply = text_in(api.c, "pain 6")
    assert reply == "Thanks, pain 6 recorded for Mon 1 Mar." and len(_entries(api)) == 1


@pytest.mark.parametrize("body, expected", [
    ("11", "Please reply with a whole number from 0 (no pain) to 10"),
    ("6.5", "Please reply with a whole number from 0 (no pain) to 10"),
    ("six", "Pain diary: text your pain from 0 to 10 (worst), e.g. 6."),
    (None, "Pain diary: text your pain from 0 to 10 (worst), e.g. 6."),  # MMS, no text
    ("HELP", "Pain diary: text your pain from 0 to 10 (worst), e.g. 6."),
])
def test_unclear_or_out_of_range_replies_get_help_and_store_no_entry(api, texter, clock,
                                                                     body, expected):
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    r, reply = text_in(api.c, body)
    assert r.status_code == 200 and reply.startswith(expected) and len(reply) <= 160
    assert _entries(api) == [] and _inbound_count(api) == 1


def test_an_unknown_number_gets_a_neutral_reply_and_only_the_raw_log(api, texter):
    _, reply = text_in(api.c, "6", sender="+447700900123")
    assert reply == ("This number is not registered with a study. "
                     "Please contact your study team.")
    assert _entries(api) == [] and _inbound_count(api) == 1


def test_a_withdrawn_participant_is_told_nothing_was_recorded(api, texter, clock):
    clock.set(datetime(2027, 3, 2, 10, tzinfo=UTC))
    admin = api.login("admin@site.org", "correct horse battery")
    assert api.c.post(f"/api/v1/studies/{STUDY}/participants/S001/withdrawal",
                      headers=api.bearer(admin), json={"reason": "moved"}).status_code == 200
    clock.set(datetime(2027, 3, 3, 20, tzinfo=PARIS))
    _, reply = text_in(api.c, "5")
    assert reply.startswith("You are no longer taking part") and _entries(api) == []


# --- the medication diary by text (issue 6) -------------------------------------------------

def _intakes(api) -> list[tuple]:
    with _db(api) as s:
        return [tuple(r) for r in s.execute(
            select(MedicationIntake.drug, MedicationIntake.dose, MedicationIntake.unit,
                   MedicationIntake.route, MedicationIntake.rescue, MedicationIntake.mme,
                   MedicationIntake.channel, MedicationIntake.client_id)
            .order_by(MedicationIntake.received_at, MedicationIntake.drug))]


def test_med_records_an_intake_taken_now_and_confirms_it(api, texter, clock):
    clock.set(datetime(2027, 3, 1, 20, 15, tzinfo=PARIS))
    sid = message_sid()
    _, reply = text_in(api.c, "MED oxycodone 5mg", sid=sid)
    assert reply == "Recorded: oxycodone 5 mg at 20:15 (7.5 MME). Reply HELP for help."
    _, again = text_in(api.c, "MED oxycodone 5mg", sid=sid)  # a retried webhook
    assert again is None  # answered with an empty <Response/>: the reply went out once
    _, reply = text_in(api.c, "med paracetamol 1g R")
    assert reply == "Recorded: paracetamol 1 g (rescue) at 20:15. Reply HELP for help."
    assert [r[:7] for r in _intakes(api)] == [
        ("oxycodone", "5", "mg", "oral", False, "7.5", "sms"),
        ("paracetamol", "1000", "mg", "oral", True, "0", "sms")]
    assert _intakes(api)[0][7] == sid


@pytest.mark.parametrize("body, expected", [
    ("MED oxycodon 5mg", "Unknown medicine 'oxycodon'. Did you mean oxycodone?"),
    ("MED fentanyl 25 mcg/h", "Not recorded: fentanyl patches cannot be recorded by text."),
    ("MED oxycodone 5000 mg", "Not recorded: 5000 mg is above the largest plausible"),
    ("MED oxycodone 5 mcg/h", "Not recorded: mcg/h is a patch delivery rate"),
    ("MED oxycodone 5", "Please add the unit to the dose"),
    ("MED", "To record a medicine you took, text MED"),
])
def test_refused_med_texts_get_a_short_reply_and_store_nothing(api, texter, clock, body,
                                                               expected):
    clock.set(datetime(2027, 3, 1, 20, 15, tzinfo=PARIS))
    r, reply = text_in(api.c, body)
    assert r.status_code == 200 and reply.startswith(expected) and len(reply) <= 160, reply
    assert _intakes(api) == []


# --- opt-out ------------------------------------------------------------------------------

def test_stop_records_the_opt_out_with_its_time_and_start_undoes_it(api, texter, clock):
    clock.set(datetime(2027, 3, 2, 9, tzinfo=UTC))
    _, reply = text_in(api.c, "Stop")
    assert reply.startswith("You will get no more texts")
    with _db(api) as s:
        p = s.scalar(select(Participant))
        assert p.sms_opted_out_at == datetime(2027, 3, 2, 9, tzinfo=UTC)
        actions = s.scalars(select(AuditRecord.action).where(
            AuditRecord.action.like("sms.%"))).all()
    assert actions == ["sms.opt_out"]
    clock.set(datetime(2027, 3, 2, 9, 5, tzinfo=UTC))
    _, reply = text_in(api.c, "UNSTOP")
    assert reply.startswith("Pain diary texts are on again")
    with _db(api) as s:
        assert s.scalar(select(Participant)).sms_opted_out_at is None


# --- no input makes the webhook fail ---------------------------------------------------------

@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.none(), st.text(max_size=60),
                      st.from_regex(r"\s*(pain\s*)?[0-9]{1,3}(\s*/\s*10)?\s*", fullmatch=True),
                      st.sampled_from(["YES", "no", "STOP", "START", "HELP", "Q", "6.5"]),
                      st.from_regex(r"\s*(med|MED)\s+(r\s+)?[a-zA-Z ]{0,20}\s*[0-9]{0,7}"
                                    r"([.,][0-9]{0,5})?\s*(mg|g|mcg|mcg/h|ml|µg)?(\s+rescue)?\s*",
                                    fullmatch=True)))
def test_no_input_makes_the_webhook_fail_and_every_reply_fits_one_sms(api, texter, clock,
                                                                       body):
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    r, reply = text_in(api.c, body)
    assert r.status_code == 200
    assert reply is not None and 0 < len(reply) <= 160


# --- a short questionnaire by SMS -------------------------------------------------------------

def test_q_starts_the_open_questionnaire_one_item_per_message(api, texter, clock):
    clock.set(datetime(2027, 3, 3, 20, tzinfo=PARIS))  # the day-7 NRS window is not open yet
    _, reply = text_in(api.c, "Q")
    assert reply.startswith("There is no questionnaire to answer by text right now.")
    clock.set(datetime(2027, 3, 8, 19, tzinfo=PARIS))
    _, reply = text_in(api.c, "q")
    assert reply.startswith("1/3: Your pain on average over the last 24 hours")
    assert reply.endswith("Reply 0-10.")
    _, reply = text_in(api.c, "4")
    assert reply.startswith("2/3: Your worst pain")
    _, reply = text_in(api.c, "11")
    assert reply == "Please reply with a whole number from 0 to 10."
    _, reply = text_in(api.c, "7")
    assert reply.startswith("3/3: Your pain right now")
    _, reply = text_in(api.c, "pain 3")
    assert reply.startswith("Thank you, your ") and "Mon 8 Mar" in reply
    r = api.c.get(f"/api/v1/studies/{STUDY}/participants/S001/questionnaire-responses",
                  headers=api.bearer(api.login("admin@site.org", "correct horse battery")))
    [response] = r.json["items"]
    assert response["instrument"] == "nrs_pain" and response["channel"] == "sms"
    assert response["timing"] == "in_window"
    assert response["answers"] == {"average": 4, "worst": 7, "current": 3}
    # The diary is untouched: those numbers answered the questionnaire, not the diary.
    assert _entries(api) == []
    _, reply = text_in(api.c, "Q")  # answered: nothing left to ask
    assert reply.startswith("There is no questionnaire")
