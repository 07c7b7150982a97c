"""HELP lists the commands the study accepts (issue 16): MED only with a medication diary,
Q only with questionnaires that can be answered by text; always one GSM-7 segment."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from diary.db.safety_models import MedicationIntake
from notifications.planning.messages import gsm7_length
from tests.conftest import MINIMAL_CROSSOVER
from tests.e2e.sms_support import PHONE, text_in

PARIS = ZoneInfo("Europe/Paris")
NOT_BY_TEXT = """assessments:
  - {key: dn4_d7, instrument: dn4, anchor: infusion, offset: P7D,
     window: {open: -P1D, close: P1D}}
"""


def _protocol(*, medication: bool, questionnaire: bool) -> str:
    source = MINIMAL_CROSSOVER.replace("key: mini-crossover", "key: help-study")
    if not questionnaire:  # the DN4 (10 items, an examination) cannot be answered by text
        source = source[:source.index("assessments:")] + NOT_BY_TEXT
    if medication:
        source += "medication: {table: cdc-2022}\n"
    return source


def _help(api, admin, clock, *, medication: bool, questionnaire: bool) -> str:
    api.create_study(admin, _protocol(medication=medication, questionnaire=questionnaire))
    api.enrol(admin, "help-study", subject_id="S001", site="PAR", sequence="KP", phone=PHONE)
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    _, reply = text_in(api.c, "HELP")
    assert gsm7_length(reply) is not None and gsm7_length(reply) <= 160, reply
    return reply


@pytest.mark.parametrize("medication, questionnaire", [
    (False, False), (True, False), (False, True), (True, True)])
def test_help_lists_what_the_study_accepts_in_one_segment(api, admin, clock, medication,
                                                          questionnaire):
    reply = _help(api, admin, clock, medication=medication, questionnaire=questionnaire)
    assert "0" in reply and "10" in reply and "STOP" in reply
    assert ("MED" in reply) is medication
    assert (" Q:" in reply) is questionnaire


def test_med_in_a_study_without_a_medication_diary_stores_nothing(api, admin, clock):
    _help(api, admin, clock, medication=False, questionnaire=True)
    _, reply = text_in(api.c, "MED oxycodone 5mg")
    assert reply.startswith("This study does not record medicines by text.")
    assert "MED" not in reply and gsm7_length(reply) <= 160
    with api.app.extensions["paindiary"].session_factory() as s:
        assert s.scalars(select(MedicationIntake)).all() == []
