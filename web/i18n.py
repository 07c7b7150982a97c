"""Message catalogs (Flask-Babel): every coordinator-facing text is a ``_()`` call whose
message id is the English text, so English needs no compiled catalog and nothing is
compiled at install. A translation is ``web/translations/<lang>/LC_MESSAGES/messages.po``
compiled to ``messages.mo`` (README, "Translating the dashboard"); the language is the
browser's best match among those present, English otherwise.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request

TRANSLATIONS = Path(__file__).parent / "translations"
DEFAULT_LOCALE = "en"


def available_locales() -> list[str]:
    """English plus every language with a compiled catalog."""
    found = {p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.mo")}
    return [DEFAULT_LOCALE, *sorted(found - {DEFAULT_LOCALE})]


def init_i18n(app: Flask) -> None:
    from flask_babel import Babel, get_locale

    locales = available_locales()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    Babel(app, default_translation_directories=str(TRANSLATIONS),
          locale_selector=lambda: request.accept_languages.best_match(locales)
          or DEFAULT_LOCALE)
    app.context_processor(lambda: {"current_locale_code": lambda: str(get_locale() or
                                                                        DEFAULT_LOCALE)})
