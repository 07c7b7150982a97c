"""Protocol sections about questionnaires: eligibility screening, licensed item texts and
the scoring options a published rule leaves to the study."""

from __future__ import annotations

from typing import Any

from diary.protocol.checks import Checker
from diary.protocol.model import ScreeningRule
from diary.protocol.references import unknown
from scoring.instruments.options import OPTION_NAMES, InvalidOptions, parse_options
from scoring.instruments.registry import INSTRUMENTS

OPERATORS = (">", ">=", "<", "<=", "==")


def read_screening_rule(check: Checker, value: Any, path: str) -> ScreeningRule | None:
    m = check.mapping(value, path, {"instrument", "scale", "op", "value"},
                      {"instrument", "scale", "op", "value"})
    if m is None:
        return None
    name = m.get("instrument")
    instrument = INSTRUMENTS.get(name) if isinstance(name, str) else None
    if instrument is None:
        check.fail(f"{path}.instrument", unknown("instrument", name, INSTRUMENTS)
                   + "; shipped: " + ", ".join(sorted(INSTRUMENTS)))
        return None
    scales = [s.id for s in instrument.scales]
    if m.get("scale") not in scales:
        check.fail(f"{path}.scale", f"must be one of {', '.join(scales)}")
        return None
    if m.get("op") not in OPERATORS:
        check.fail(f"{path}.op", f"must be one of {' '.join(OPERATORS)}")
        return None
    threshold = m.get("value")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        check.fail(f"{path}.value", "must be a number")
        return None
    return ScreeningRule(instrument.id, m["scale"], m["op"], float(threshold))


def read_instrument_texts(check: Checker, value: Any, languages: list[str]) -> dict:
    """``{instrument: {language: {key: text}}}``: licensed wording the study supplies; a key
    is an item id (the item's text) or ``<item>.<code>`` (an answer option's label)."""
    if value is None:
        return {}
    # Any key passes mapping(): an unknown instrument is reported below, with near names.
    m = check.mapping(value, "instrument_texts", set(value) if isinstance(value, dict) else set())
    out: dict = {}
    for inst_id, by_language in (m or {}).items():
        if inst_id not in INSTRUMENTS:
            check.fail(f"instrument_texts.{inst_id}", unknown("instrument", inst_id, INSTRUMENTS))
            continue
        path = f"instrument_texts.{inst_id}"
        langs = check.mapping(by_language, path, set(languages)) or {}
        items = set(INSTRUMENTS[inst_id].item_ids) | {
            f"{item.id}.{option.code}" for item in INSTRUMENTS[inst_id].items
            for option in item.options}
        for lang, texts in langs.items():
            t = check.mapping(texts, f"{path}.{lang}", items) or {}
            for item, text in t.items():
                check.text(text, f"{path}.{lang}.{item}")
            out.setdefault(inst_id, {})[lang] = {k: str(v) for k, v in t.items()}
    return out


def read_instrument_options(check: Checker, value: Any) -> dict[str, dict[str, Any]]:
    """``{instrument: {option: value}}`` as the scorers take them (e.g. ``max_missing``,
    an EQ-5D-5L ``value_set``); each refused option is an issue at its path."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        check.fail("instrument_options", "must be a mapping")
        return {}
    out: dict[str, dict[str, Any]] = {}
    for inst_id, options in value.items():
        if inst_id not in OPTION_NAMES:
            known = ", ".join(sorted(OPTION_NAMES))
            rule = ("takes no scoring options" if inst_id in INSTRUMENTS
                    else unknown("instrument", inst_id, INSTRUMENTS)) \
                + f"; instruments with options: {known}"
            check.fail(f"instrument_options.{inst_id}", rule)
            continue
        try:
            out[inst_id] = parse_options(inst_id, options, path=f"instrument_options.{inst_id}")
        except InvalidOptions as exc:
            for e in exc.errors:
                check.fail(e.field, e.rule)
    return out
