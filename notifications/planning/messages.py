"""SMS texts for reminders, in the participant's language: one segment each.

Bodies are rendered from the reminder's template key and params (the planner stores only
those), so a wording fix never changes a key. The wording comes from the participant
catalogs (diary.i18n; the English text is the message id), dates are Babel's
(``ven 5 mars``), and a window's label (the assessment's label or the instrument's name)
is translated when the catalog knows it. A text keeps its spelling when it fits one
segment (160 GSM-7 or 70 UCS-2 characters); otherwise it is folded to GSM-7 and only the
free text (a label, a participant id) is shortened, never the wording or the dates; the
result is checked, never assumed.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from functools import lru_cache

from diary.i18n import N_, day_label, day_time_label, gettext, language_for
from diary.sms.segments import SMS_LIMIT, fold, gsm7_length, segments

from .model import (
    DIARY,
    DIARY_NUDGE,
    MISSED_DAYS,
    SIDE_EFFECTS_CLOSING,
    SIDE_EFFECTS_OPEN,
    WINDOW_CLOSING,
    WINDOW_OPEN,
    Reminder,
)

__all__ = ["SMS_LIMIT", "TEMPLATES", "gsm7_length", "render", "render_text"]

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        DIARY: N_("Pain diary: how was your pain today (0-10)? Reply with a number, e.g. 6"),
        DIARY_NUDGE: N_("Pain diary: no score yet for {date}. Reply with your pain (0-10), "
                        "e.g. 6, before {deadline}."),
        WINDOW_OPEN: N_("Study questionnaire now open: {label}. Please complete it by "
                        "{until}."),
        WINDOW_CLOSING: N_("Reminder: {label} closes soon. Please complete it by {until}."),
        SIDE_EFFECTS_OPEN: N_("Side effects: please answer the side-effect checklist in the "
                              "app by {until}."),
        SIDE_EFFECTS_CLOSING: N_("Reminder: the side-effect checklist closes soon. Please "
                                 "answer it in the app by {until}."),
        MISSED_DAYS: N_("Coordinator alert: participant {participant} has missed {days} "
                        "diary days in a row, from {first}."),
    },
}
"""The English texts, which are the catalogs' message ids; other languages come from
``diary/i18n/locales`` (a missing translation falls back to English)."""

_FREE_TEXT = ("label", "participant")
_DATES = ("date", "first", "until", "deadline")


def _day(value: str, lang: str) -> str:
    """``2027-03-01`` -> ``Mon 1 Mar``; ``2027-03-01T14:25`` -> ``Mon 1 Mar 14:25``."""
    if "T" in value:
        return day_time_label(datetime.fromisoformat(value), lang)
    return day_label(date.fromisoformat(value), lang)


def _printable(text: str) -> str:
    """Free text on one line: control and format characters become spaces, runs one."""
    return " ".join("".join(" " if unicodedata.category(c)[0] in "CZ" else c
                            for c in text).split())


def render(reminder: Reminder, language: str = "en") -> str:
    """The SMS body for ``reminder``: one segment.

    >>> from notifications.planning.model import Reminder
    >>> from datetime import UTC, datetime
    >>> at = datetime(2027, 3, 1, 19, tzinfo=UTC)
    >>> r = Reminder("k", "p-1", "diary_nudge", "participant", 1, at, at, at, "diary_nudge",
    ...              (("date", "2027-03-01"), ("deadline", "2027-03-02T12:00")))
    >>> render(r)
    'Pain diary: no score yet for Mon 1 Mar. Reply with your pain (0-10), e.g. 6, before Tue 2 Mar 12:00.'
    """  # noqa: E501
    return render_text(reminder.template, reminder.params, language)


@lru_cache(maxsize=4096)  # a tick renders the same reminder for thousands of participants
def render_text(key: str, params: tuple[tuple[str, str], ...], language: str = "en") -> str:
    """The body of template ``key`` with ``params`` in ``language`` (see ``render``).

    Pure: plain strings in, a string out, cached. ``key`` is ``Reminder.template``;
    ``params`` the reminder's ``(name, value)`` pairs sorted by name (dates as ISO text:
    the daily reminder's are ``(("date", "2027-03-05"),)``); ``language`` the resolved one,
    ``diary.i18n.language_for(participant.language, protocol.languages)`` (for a
    coordinator alert ``language_for(None, protocol.languages)``: see
    ``notifications.tick.body_language``). A planner that renders per bucket keys its
    buckets on that resolved language. An unknown ``language`` falls back to English.

    >>> render_text("window_open", (("label", "Brief Pain Inventory (short form)"),
    ...                             ("until", "2027-03-05")), "nl")
    'Studievragenlijst nu open: Beknopte pijnvragenlijst (korte vorm). Vul deze uiterlijk vr 5 mrt in.'
    """  # noqa: E501
    lang = language_for(language)
    template = gettext(lang, TEMPLATES["en"][key])
    values = {}
    gsm7_wording = gsm7_length(template) is not None
    for name, value in params:
        if name in _DATES:
            values[name] = _day(value, lang)
        elif name in _FREE_TEXT:
            text = _printable(gettext(lang, value) if name == "label" else value)
            # Free text alone never turns a GSM-7 wording into UCS-2 (ê -> e).
            values[name] = fold(text) if gsm7_wording else text
        else:
            values[name] = value
    body = template.format(**values)
    if segments(body) == 1:
        return body
    body = fold(body)
    for _ in range(8):  # shorten the free text, never the fixed wording or the dates
        overflow = (gsm7_length(body) or 0) - SMS_LIMIT
        name = next((n for n in _FREE_TEXT if values.get(n)), None)
        if overflow <= 0 or name is None:
            break
        text = fold(values[name])
        values[name] = text[:max(len(text) - overflow - 3, 1)].rstrip() + "..."
        body = fold(template.format(**values))
    length = gsm7_length(body)
    if length is None or length > SMS_LIMIT:
        raise ValueError(f"{key} text does not fit one GSM-7 segment: {body!r}")
    return body
