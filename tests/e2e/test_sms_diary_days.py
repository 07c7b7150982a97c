"""Which day an SMS score is for (issue 16): only diary days. Outside the diary nothing is
stored and the reply says so, naming the next diary day; after the last diary day's
late-entry limit the reply says it is too late for that day; "yesterday" is the previous
diary day while it is still open. Every reply fits one GSM-7 segment.

The minimal crossover: diary days -7..35 around each infusion, late entries until 12:00
the next day; S001 enrolled on Mon 1 March, infusion 1 that morning: diary days 1 March
(enrolment) to Mon 5 April."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from diary.db.messaging import InboundSms
from diary.db.models import DiaryEntry
from notifications.planning.messages import gsm7_length
from tests.e2e.sms_support import PHONE, text_in

STUDY = "mini-crossover"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def texter(api, crossover):
    api.enrol(crossover, STUDY, subject_id="S001", site="PAR", sequence="KP", phone=PHONE)
    assert api.event(crossover, STUDY, "S001", type="infusion", period=1,
                     occurred_at="2027-03-01T08:00:00+00:00").status_code == 201
    return crossover


def _entries(api) -> list[tuple[date, int]]:
    with api.app.extensions["paindiary"].session_factory() as s:
        return [tuple(r) for r in s.execute(
            select(DiaryEntry.diary_date, DiaryEntry.score)
            .where(DiaryEntry.is_current.is_(True)).order_by(DiaryEntry.diary_date))]


def _text(api, clock, at: datetime, body: str) -> str:
    clock.set(at)
    _, reply = text_in(api.c, body)
    assert reply is not None and gsm7_length(reply) is not None and gsm7_length(reply) <= 160
    return reply


def test_after_the_last_diary_day_its_late_entry_limit_decides(api, texter, clock):
    # Tue 6 April is day 36: no diary day. Mon 5 April (day 35) is open until 12:00.
    assert _text(api, clock, datetime(2027, 4, 6, 9, tzinfo=PARIS), "4") == \
        "Thanks, pain 4 recorded for Mon 5 Apr."
    assert _text(api, clock, datetime(2027, 4, 6, 10, tzinfo=PARIS), "5").startswith(
        "You already sent pain 4 for Mon 5 Apr.")  # a correction of that day, not day 36
    assert _text(api, clock, datetime(2027, 4, 6, 10, 1, tzinfo=PARIS), "NO") == \
        "OK, pain 4 kept for Mon 5 Apr."
    reply = _text(api, clock, datetime(2027, 4, 6, 12, 30, tzinfo=PARIS), "5")
    assert reply.startswith("Too late for Mon 5 Apr: entries closed Tue 6 Apr 12:00.")
    assert "nothing was recorded" in reply
    assert _entries(api) == [(date(2027, 4, 5), 4)]


def test_an_empty_last_day_is_too_late_after_its_limit(api, texter, clock):
    reply = _text(api, clock, datetime(2027, 4, 7, 20, tzinfo=PARIS), "6")
    assert reply.startswith("Too late for Mon 5 Apr")
    assert _entries(api) == []
    with api.app.extensions["paindiary"].session_factory() as s:
        assert s.scalar(select(InboundSms.outcome)) == "too_late"


def test_between_periods_the_reply_names_the_next_diary_day(api, texter, clock):
    clock.set(datetime(2027, 4, 10, 9, tzinfo=PARIS))
    staff = api.login("admin@site.org", "correct horse battery")  # tokens last 12 h
    assert api.event(staff, STUDY, "S001", type="infusion", period=2,
                     planned_date="2027-05-10").status_code == 201  # diary from Mon 3 May
    reply = _text(api, clock, datetime(2027, 4, 20, 20, tzinfo=PARIS), "6")
    assert reply == "No diary today; your next diary day is Mon 3 May. Nothing was recorded."
    assert _entries(api) == []
    assert _text(api, clock, datetime(2027, 5, 3, 20, tzinfo=PARIS), "6") == \
        "Thanks, pain 6 recorded for Mon 3 May."


def test_before_the_first_diary_day_the_reply_names_it(api, crossover, clock):
    api.enrol(crossover, STUDY, subject_id="S002", site="PAR", sequence="KP", phone=PHONE)
    assert api.event(crossover, STUDY, "S002", type="infusion", period=1,
                     planned_date="2027-03-20").status_code == 201  # diary from Sat 13 Mar
    reply = _text(api, clock, datetime(2027, 3, 5, 20, tzinfo=PARIS), "3")
    assert reply == "No diary today; your next diary day is Sat 13 Mar. Nothing was recorded."
    assert _entries(api) == []


def test_yesterday_is_the_previous_diary_day_while_it_is_open(api, texter, clock):
    # Sat 13 March 00:30: Fri 12 March (a diary day) is open and empty.
    assert _text(api, clock, datetime(2027, 3, 13, 0, 30, tzinfo=PARIS), "2") == \
        "Thanks, pain 2 recorded for Fri 12 Mar."
    # Later that morning Fri is done: a new score is for today.
    assert _text(api, clock, datetime(2027, 3, 13, 9, tzinfo=PARIS), "3") == \
        "Thanks, pain 3 recorded for Sat 13 Mar."
    with api.app.extensions["paindiary"].session_factory() as s:
        assert s.scalar(select(func.count()).select_from(InboundSms)) == 2
