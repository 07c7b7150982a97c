"""The SMS reply grammar and the texts we answer with."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diary.sms import replies
from diary.sms.grammar import Keyword, Medication, Number, Unclear, parse
from notifications.planning.messages import gsm7_length


@pytest.mark.parametrize("text, value", [
    ("6", 6), (" 6 ", 6), ("6/10", 6), ("6 / 10", 6), ("pain 6", 6), ("PAIN 6", 6),
    ("Pain: 6", 6), ("pain=6", 6), ("pain6", 6), ("0", 0), ("10", 10), ("10/10", 10),
    ("6.", 6), ("6!", 6), ("\uff16", 6),  # a full-width digit from some keyboards
    ("11", 11), ("-1", -1), ("007", 7),
])
def test_numbers_in_every_documented_form(text, value):
    assert parse(text) == Number(value)


@pytest.mark.parametrize("text, word", [
    ("STOP", "stop"), ("stop", "stop"), (" Stop. ", "stop"), ("STOPALL", "stop"),
    ("unsubscribe", "stop"), ("CANCEL", "stop"), ("end", "stop"), ("quit", "stop"),
    ("REVOKE", "stop"), ("optout", "stop"), ("START", "start"), ("unstop", "start"),
    ("HELP", "help"), ("info", "help"), ("yes", "yes"), ("Y", "yes"), ("No", "no"),
    ("n", "no"), ("Q", "questions"),
])
def test_keywords_are_case_and_space_tolerant(text, word):
    assert parse(text) == Keyword(word)


@pytest.mark.parametrize("text, reason", [
    (None, "empty"), ("", "empty"), ("   ", "empty"), ("6.5", "decimal"),
    ("pain 6,5", "decimal"), ("six", "not understood"), ("pain", "not understood"),
    ("6 7", "not understood"), ("stop please", "not understood"), ("1234", "not understood"),
    ("\u0663", "not understood"),  # an Arabic-Indic digit: not ASCII, not guessed at
])
def test_anything_else_is_unclear_with_its_reason(text, reason):
    assert parse(text) == Unclear(reason)


@given(st.one_of(st.none(), st.text(max_size=200)))
def test_no_text_makes_the_parser_fail(text):
    assert isinstance(parse(text), Number | Keyword | Unclear)


def _fits(text: str) -> bool:
    return gsm7_length(text) is not None and gsm7_length(text) <= 160


@given(st.integers(0, 10), st.integers(0, 10),
       st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_every_templated_reply_is_one_gsm7_segment(old, new, day):
    for text in (replies.recorded(new, day), replies.already(old, new, day),
                 replies.corrected(old, new, day), replies.kept(old, day)):
        assert _fits(text), text


def test_fixed_replies_are_one_gsm7_segment():
    for medication in (False, True):
        for questionnaires in (False, True):
            assert _fits(replies.help_text(medication=medication,
                                           questionnaires=questionnaires))
    for name in ("NO_MED_BY_TEXT", "RANGE", "UNKNOWN_NUMBER", "STOPPED", "STARTED",
                 "NOTHING_PENDING", "NOT_ENROLLED_ANYMORE", "NO_QUESTIONNAIRE"):
        assert _fits(getattr(replies, name)), name


@given(st.text(alphabet=st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=400))
def test_refusals_and_questions_are_shortened_to_fit(reason):
    assert len(replies.refused(reason)) <= 160
    text = replies.question(reason, 1, 7, meaning="1=Very much improved, 7=Very much worse.",
                            step="2/3")
    assert len(text) <= 160 and text.startswith("2/3: ") and text.endswith(" Reply 1-7.")


def test_the_day_is_named_as_in_the_reminders():
    assert replies.recorded(6, date(2027, 3, 1)) == "Thanks, pain 6 recorded for Mon 1 Mar."


# --- MED: the medication diary by text (issue 6) ---------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("MED oxycodone 5mg", Medication("oxycodone", "5", "mg")),
    ("MED paracetamol 1g", Medication("paracetamol", "1", "g")),
    ("med ibuprofen 400 mg", Medication("ibuprofen", "400", "mg")),
    ("Med Oxycodone 5 MG rescue", Medication("oxycodone", "5", "mg", rescue=True)),
    ("MED R morphine 10mg", Medication("morphine", "10", "mg", rescue=True)),
    ("meds codeine phosphate 30 mg.", Medication("codeine phosphate", "30", "mg")),
    ("MED oxycodone 7,5 mg", Medication("oxycodone", "7.5", "mg")),
    ("MED fentanyl 25 mcg/h", Medication("fentanyl", "25", "mcg/h")),
    ("MED oxycodone 5", Medication("oxycodone", "5", None)),
])
def test_med_texts_name_drug_dose_unit_and_rescue(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["MED", "med oxycodone", "MED 5mg", "med r", "MED rescue"])
def test_med_texts_without_a_drug_or_dose_are_unclear(text):
    assert parse(text) == Unclear("medication")


@given(st.text(max_size=60))
def test_no_med_text_makes_the_parser_fail(rest):
    assert isinstance(parse("MED " + rest), Medication | Unclear)


@given(st.text(max_size=200), st.lists(st.sampled_from(["oxycodone", "oxymorphone"]),
                                       max_size=3))
def test_medication_replies_are_one_gsm7_segment(typed, suggestions):
    assert _fits(replies.unknown_drug(typed, suggestions))
    assert _fits(replies.not_by_text("buprenorphine", patch=True))
    assert _fits(replies.not_by_text("hydromorphone", patch=False))
    assert _fits(replies.medication_recorded("hydromorphone", "123456.1234", "mcg/h", "20:15",
                                             "123456.1234", True))
    for name in ("MED_HELP", "MED_UNIT"):
        assert _fits(getattr(replies, name)), name
