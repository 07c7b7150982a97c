"""Participant message catalogs (Babel): SMS reminders and replies, HELP, instrument names.

Every text is an English message id (``translate(lang, "Thanks, pain {score} ...")``),
translated by ``locales/<lang>/LC_MESSAGES/participant.mo``; English needs no catalog and a
missing translation falls back to English. ``python -m diary.i18n.update`` extracts the
ids and recompiles the catalogs (README, "Participant languages").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "participant"
DEFAULT = "en"
LANGUAGES = ("en", "fr", "nl", "es")
"""The languages with a participant catalog (English is the message ids themselves)."""


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction; it is translated where it is used."""
    return msgid


def base_language(code: str | None) -> str | None:
    """``fr-BE`` / ``fr_BE`` / ``FR`` -> ``fr``; None or empty -> None."""
    if not code:
        return None
    return code.replace("_", "-").split("-")[0].strip().lower() or None


def language_for(participant: str | None, study: Iterable[str] = ()) -> str:
    """The participant's language if we have it, else the protocol's first one we have
    (its sites' language), else English.

    >>> language_for("fr", ["nl", "en"]), language_for("de", ["nl", "en"]), language_for(None)
    ('fr', 'nl', 'en')
    """
    for code in (participant, *study):
        base = base_language(code)
        if base in LANGUAGES:
            return base
    return DEFAULT


@lru_cache(maxsize=16)
def _catalog(lang: str) -> NullTranslations:
    if lang == DEFAULT or lang not in LANGUAGES:
        return NullTranslations()
    return Translations.load(str(LOCALES), [lang], DOMAIN)


def gettext(lang: str, msgid: str) -> str:
    """``msgid`` in ``lang`` (English when the catalog lacks it)."""
    return _catalog(lang).gettext(msgid) if msgid else msgid


def translate(lang: str, msgid: str, /, **params: object) -> str:
    """``msgid`` in ``lang`` with ``{name}`` fields filled from ``params``.

    >>> translate("fr", "Thanks, pain {score} recorded for {day}.", score=6, day="ven 5 mars")
    'Merci, douleur 6 notée pour ven 5 mars.'
    """
    text = gettext(lang, msgid)
    return text.format(**params) if params else text


def day_label(day: date, lang: str = DEFAULT) -> str:
    """A short day in ``lang``: ``Fri 5 Mar``, ``ven 5 mars``, ``vr 5 mrt``, ``vie 5 mar``
    (Babel's abbreviations without their dots, which SMS texts do not need).

    >>> day_label(date(2027, 3, 5), "fr"), day_label(date(2027, 3, 5))
    ('ven 5 mars', 'Fri 5 Mar')
    """
    locale = lang if lang in LANGUAGES else DEFAULT
    return format_date(day, "EEE d MMM", locale=locale).replace(".", "")


def day_time_label(at: datetime, lang: str = DEFAULT) -> str:
    """``Fri 5 Mar 14:25`` (24-hour wall-clock time in every language)."""
    return f"{day_label(at.date(), lang)} {at:%H:%M}"
