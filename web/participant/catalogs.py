"""The participant app's message catalogs: ``translations/<lang>/LC_MESSAGES/app.po`` read
with Babel and served as one JSON object per language (key -> text), so the app needs no
compiled ``.mo`` and no build step. A message missing or fuzzy in a catalog falls back to
English (a test keeps the shipped catalogs complete).
"""

from __future__ import annotations

import functools
from pathlib import Path

from web.participant.messages import LANGUAGES, MESSAGES

TRANSLATIONS = Path(__file__).parent / "translations"
DEFAULT = "en"


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "app.po"


@functools.cache
def translations(lang: str) -> dict[str, str]:
    """English message id -> this language's text (empty for English)."""
    if lang == DEFAULT:
        return {}
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang)
    return {m.id: m.string for m in catalog
            if m.id and m.string and not m.fuzzy and isinstance(m.id, str)}


def catalog(lang: str) -> dict[str, str]:
    """Every app text in ``lang``, by key (``lang`` must be one of ``LANGUAGES``)."""
    if lang not in LANGUAGES:
        raise KeyError(lang)
    found = translations(lang)
    return {key: found.get(text, text) for key, text in MESSAGES.items()}


def best_language(accept_languages) -> str:
    """The browser's preferred language among the app's (``request.accept_languages``)."""
    return accept_languages.best_match(list(LANGUAGES)) or DEFAULT
