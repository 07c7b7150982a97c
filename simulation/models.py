"""Behaviour models of a simulated trial: a small YAML over sensible defaults (issue 21).

Every probability is per opportunity (a diary day, a reminder, a window, a period); every
delay is in minutes. A models file names only what it changes: it is merged key by key
into ``DEFAULTS``, and an unknown key is refused so a typo cannot silently do nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULTS: dict[str, Any] = {
    "enrolment": {
        "days": 28,            # participants are enrolled over the first four weeks
        "anchor_after_days": 8,  # the (first) anchor is planned this many days ahead
        "anchor_time": "09:00",  # local time of every anchor event
        "period_gap_days": 35,   # crossover: one period's anchor to the next
        "courses": 2,            # anchors without a count limit: courses per participant
        "course_gap_days": 42,
    },
    "diary": {
        "p_before_reminder": 0.55,  # logs the day before the evening reminder comes
        "p_after_reminder": 0.6,    # else, answers the reminder
        "p_after_nudge": 0.4,       # else, answers the nudge
        "p_late": 0.3,              # else, enters it late the next morning
        "p_correction": 0.03,       # corrects a logged day (a second version, with reason)
        "p_sms": 0.35,              # share of participants who answer by SMS, not the app
        "answer_delay_minutes": 25,  # mean delay after a reminder (exponential)
    },
    "windows": {
        "p_answer": 0.85,            # answers a questionnaire or checklist window
        "answer_delay_minutes": 90,  # mean delay after the window opens
    },
    "dropout": {
        "p_dropout": 0.08,   # stops answering at a uniform day of follow-up
        "p_withdrawal": 0.04,  # withdrawn by the coordinator at a uniform day
    },
    "pain": {
        "baseline_mean": 6.5,
        "baseline_sd": 1.2,
        "day_sd": 1.2,           # day-to-day noise
        "onset_days": 2,         # the effect builds up over this many days after the anchor
        "duration_days": 28,     # then fades with this half-life (null: it lasts)
        "carry_over": 0.15,      # crossover: share of the previous period's effect left
        # Effect on the daily score (negative: less pain) per arm or treatment key; a key
        # not listed has no effect (placebo, standard care).
        "effects": {"ketamine": -1.0, "K": -1.0, "KM": -1.3, "active": -1.0},
        "default_effect": 0.0,
    },
    "medication": {
        "p_rescue_per_day": 0.15,  # on a day with pain >= 6, per participant-day
        "rescue_threshold": 6,
    },
    "safety": {
        # Adverse events per period, per arm or treatment (the coordinators' form).
        "p_adverse_event": {"ketamine": 0.3, "K": 0.3, "KM": 0.35, "active": 0.25},
        "p_adverse_event_default": 0.1,
        "p_side_effect": 0.2,  # each checklist symptom present (mild or worse)
    },
    "reminders": {
        "price_per_segment": 0.0083,  # USD, Twilio US outbound SMS list price (2026)
    },
}


class ModelsError(ValueError):
    """A models file that cannot be used: says which key and why."""


def _merge(base: dict, override: dict, path: str = "") -> dict:
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        where = f"{path}{key}"
        if key not in base:
            raise ModelsError(f"{where}: unknown key")
        if isinstance(base[key], dict) and key not in ("effects", "p_adverse_event"):
            if not isinstance(value, dict):
                raise ModelsError(f"{where}: must be a mapping")
            out[key] = _merge(base[key], value, where + ".")
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class Models:
    """The merged models, read as ``models.section["key"]``."""

    raw: dict[str, Any]

    def __getattr__(self, name: str) -> dict[str, Any]:
        try:
            return self.raw[name]
        except KeyError:
            raise AttributeError(name) from None

    def effect(self, treatment: str | None) -> float:
        return float(self.pain["effects"].get(treatment or "", self.pain["default_effect"]))

    def p_adverse_event(self, treatment: str | None) -> float:
        return float(self.safety["p_adverse_event"].get(
            treatment or "", self.safety["p_adverse_event_default"]))


def load_models(path: str | Path | None = None, text: str | None = None) -> Models:
    """The defaults, overridden by the YAML file at ``path`` (or ``text``) if given."""
    if path is not None:
        text = Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(text) if text else {}
    if data is not None and not isinstance(data, dict):
        raise ModelsError("the models file must be a mapping")
    models = Models(_merge(DEFAULTS, data or {}))
    _check(models)
    return models


def _check(models: Models) -> None:
    for section in ("diary", "windows", "dropout"):
        for key, value in models.raw[section].items():
            if key.startswith("p_") and not (isinstance(value, int | float)
                                             and 0 <= value <= 1):
                raise ModelsError(f"{section}.{key}: must be a probability between 0 and 1")
