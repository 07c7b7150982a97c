"""Every SMS text in every participant language, rendered with worst-case parameters, costs
one segment (160 GSM-7 or 70 UCS-2 characters) wherever it can (issue 19).

The few that cannot are listed in ``MULTI`` with their count and the reason, so a wording
change that adds a segment fails here. Worst cases: the longest date of the year in each
language (``mercredi``-style abbreviations and ``sept``), score 10, the longest instrument
name a window or an SMS questionnaire can carry, a 40-character participant id, and the
longest drug names of the medication table's opioids.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from diary.i18n import LANGUAGES, day_label, gettext
from diary.sms import replies
from diary.sms.conversation import prompt, sms_capable
from diary.sms.segments import fold, gsm7_length, segments
from notifications.planning.messages import TEMPLATES, render_text
from scoring.instruments.registry import INSTRUMENTS


def _longest_day(lang: str) -> date:
    days = [date(2027, 1, 1) + timedelta(n) for n in range(365)]
    return max(days, key=lambda d: (len(fold(day_label(d, lang))), d.day))


def _longest_name(lang: str, instruments=None) -> str:
    names = (i.name for i in (instruments or INSTRUMENTS.values()))
    return max(names, key=lambda n: len(gettext(lang, n)))


def reminder_texts(lang: str) -> dict[str, str]:
    day = _longest_day(lang).isoformat()
    params = {"date": day, "first": day, "until": f"{day}T23:59", "deadline": f"{day}T12:00",
              "label": _longest_name(lang), "participant": "P" * 40, "days": "99"}
    out = {}
    for key, template in TEMPLATES["en"].items():
        used = tuple(sorted((k, v) for k, v in params.items() if "{" + k + "}" in template))
        out[key] = render_text(key, used, lang)
    return out


def reply_texts(lang: str) -> dict[str, str]:
    day = _longest_day(lang)
    closed = datetime.combine(day, datetime.min.time()).replace(hour=23, minute=59)
    sms_names = [i for i in INSTRUMENTS.values() if sms_capable(i)]
    out = {f"say:{msgid[:30]}": replies.say(lang, msgid) for msgid in (
        replies.RANGE, replies.UNKNOWN_NUMBER, replies.STOPPED, replies.STARTED,
        replies.NOTHING_PENDING, replies.NOT_ENROLLED_ANYMORE, replies.NO_QUESTIONNAIRE,
        replies.NO_MED_BY_TEXT, replies.MED_HELP, replies.MED_UNIT)}
    for med in (False, True):
        for q in (False, True):
            out[f"help med={med} q={q}"] = replies.help_text(medication=med,
                                                             questionnaires=q, lang=lang)
    out |= {
        "recorded": replies.recorded(10, day, lang=lang),
        "already": replies.already(10, 10, day, lang=lang),
        "corrected": replies.corrected(10, 10, day, lang=lang),
        "kept": replies.kept(10, day, lang=lang),
        "no_diary_today": replies.no_diary_today(day, lang=lang),
        "no_diary_yet": replies.no_diary_today(None, lang=lang),
        "too_late": replies.too_late(day, closed, lang=lang),
        "refused": replies.refused(replies.NO_DIARY_IN_STUDY, lang=lang),
        "answer_range": replies.answer_range(0, 10, lang=lang),
        "questionnaire_done": replies.questionnaire_done(_longest_name(lang, sms_names), day,
                                                         lang=lang),
        "unknown_drug": replies.unknown_drug("x" * 30, ["hydromorphone", "buprenorphine"],
                                             lang=lang),
        "not_by_text patch": replies.not_by_text("buprenorphine", patch=True, lang=lang),
        "not_by_text": replies.not_by_text("hydromorphone", patch=False, lang=lang),
        "medication_recorded": replies.medication_recorded(
            "hydromorphone", "1000.25", "mg", "23:59", "9999.9", True, lang=lang),
    }
    for instrument in sms_names:
        for n in range(len(instrument.items)):
            out[f"question {instrument.id} {n + 1}"] = prompt(instrument, n, lang)
    return out


# (text, language) -> (segments, why it cannot be one)
MULTI: dict[tuple[str, str], tuple[int, str]] = {}


def _all() -> list[tuple[str, str, str]]:
    return [(name, lang, text) for lang in LANGUAGES
            for name, text in (reminder_texts(lang) | reply_texts(lang)).items()]


@pytest.mark.parametrize("name, lang, text", _all(), ids=lambda v: str(v)[:40])
def test_each_text_is_one_segment_or_a_documented_exception(name, lang, text):
    expected = MULTI.get((name, lang), (1, ""))[0]
    assert segments(text) == expected, (len(text), gsm7_length(text), text)


def test_english_texts_are_plain_gsm7():
    for name, text in (reminder_texts("en") | reply_texts("en")).items():
        assert gsm7_length(text) is not None, name


def test_the_counting_rules():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2  # 153 a part
    assert segments("a" * 306) == 2 and segments("a" * 307) == 3
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # extension: 2 septets
    assert segments("ê" * 70) == 1 and segments("ê" * 71) == 2  # UCS-2: 67 a part
    assert segments("ê" * 134) == 2 and segments("ê" * 135) == 3
