"""SMS texts for reminders: one GSM-7 segment (<= 160 characters) each.

Bodies are rendered at send time from the reminder's template key and params, so a
wording fix never changes a key. Free text from the protocol (an assessment's label) or
an id is folded to GSM-7 and shortened to fit; the result is checked, never assumed.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from functools import lru_cache

from diary.sms.replies import day_label

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

SMS_LIMIT = 160
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")  # each costs two septets (escape + char)


TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        DIARY: "Pain diary: how was your pain today (0-10)? Reply with a number, e.g. 6",
        DIARY_NUDGE: "Pain diary: no score yet for {date}. Reply with your pain (0-10), "
                     "e.g. 6, before {deadline}.",
        WINDOW_OPEN: "Study questionnaire now open: {label}. Please complete it by {until}.",
        WINDOW_CLOSING: "Reminder: {label} closes soon. Please complete it by {until}.",
        SIDE_EFFECTS_OPEN: "Side effects: please answer the side-effect checklist in the app "
                           "by {until}.",
        SIDE_EFFECTS_CLOSING: "Reminder: the side-effect checklist closes soon. Please "
                              "answer it in the app by {until}.",
        MISSED_DAYS: "Coordinator alert: participant {participant} has missed {days} diary "
                     "days in a row, from {first}.",
    },
}
"""Texts per language; a language without a text falls back to English."""

_FREE_TEXT = ("label", "participant")


def gsm7_length(text: str) -> int | None:
    """Septets ``text`` takes in GSM-7 (extension characters count two); None if it cannot
    be sent in GSM-7 at all (the message would switch to UCS-2, 70 characters a segment)."""
    total = 0
    for char in text:
        if char in GSM7_BASIC:
            total += 1
        elif char in GSM7_EXTENDED:
            total += 2
        else:
            return None
    return total


def _fold(text: str) -> str:
    """Free text as plain GSM-7: accents the alphabet lacks are stripped (ê -> e), other
    characters outside it and control characters become spaces, runs of spaces one."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in GSM7_BASIC and char not in "\n\r":
            out.append(char)
            continue
        base = unicodedata.normalize("NFKD", char)
        out.append("".join(c for c in base if c in GSM7_BASIC and c not in "\n\r") or " ")
    return " ".join("".join(out).split())


def _day(value: str) -> str:
    """``2027-03-01`` -> ``Mon 1 Mar``; ``2027-03-01T14:25`` -> ``Mon 1 Mar 14:25``."""
    if "T" in value:
        at = datetime.fromisoformat(value)
        return f"{_day(at.date().isoformat())} {at:%H:%M}"
    d = date.fromisoformat(value)
    return day_label(d)


def render(reminder: Reminder, language: str = "en") -> str:
    """The SMS body for ``reminder``: GSM-7, at most 160 characters.

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
    """The body of template ``key`` with ``params`` (see ``render``)."""
    texts = TEMPLATES.get(language) or TEMPLATES["en"]
    template = texts.get(key) or TEMPLATES["en"][key]
    values = {}
    for name, value in params:
        if name in ("date", "first", "until", "deadline"):
            values[name] = _day(value)
        else:
            values[name] = _fold(value) if name in _FREE_TEXT else value
    body = template.format(**values)
    overflow = len(body) - SMS_LIMIT
    for name in _FREE_TEXT:  # shorten free text, never the fixed wording or the dates
        if overflow > 0 and name in values:
            keep = max(len(values[name]) - overflow - 3, 1)
            values[name] = values[name][:keep].rstrip() + "..."
            body = template.format(**values)
            overflow = len(body) - SMS_LIMIT
    length = gsm7_length(body)
    if length is None or length > SMS_LIMIT:
        raise ValueError(f"{key} text does not fit one GSM-7 segment: {body!r}")
    return body
