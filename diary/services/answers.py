"""Questionnaire answers: validated item by item against the instrument, then scored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diary.errors import RuleViolation
from scoring.instruments.model import AnswerError, Instrument, InstrumentScore
from scoring.instruments.registry import INSTRUMENTS, score, validate_answers


class InvalidAnswers(RuleViolation):
    code = "invalid_answers"

    def __init__(self, instrument: Instrument, errors):
        first = errors[0]  # the field names the first; errors lists them all
        super().__init__(f"{len(errors)} answer(s) refused for {instrument.id}",
                         field=f"answers.{first.item}")
        self.issues = [(f"answers.{e.item}", e.rule) for e in errors]


def instrument_or_error(instrument_id: str) -> Instrument:
    instrument = INSTRUMENTS.get(instrument_id)
    if instrument is None:
        raise RuleViolation(f"unknown instrument; shipped: {', '.join(sorted(INSTRUMENTS))}",
                            field="instrument")
    return instrument


CLINICIAN_ONLY = "a clinician-examination item: entered by study staff, not the participant"


def clinician_item_errors(instrument: Instrument, answers: dict[str, Any]) -> list[AnswerError]:
    """Answers a participant gave to items only a clinician may answer (examination
    findings, e.g. DN4 items 8-10); ``None`` (not answered) is allowed."""
    return [AnswerError(i.id, CLINICIAN_ONLY) for i in instrument.items
            if i.clinician and answers.get(i.id) is not None]


def scored(instrument_id: str, answers: dict[str, Any],
           protocol_options: Mapping[str, Mapping[str, Any]] | None = None,
           *, by_participant: bool = False) -> tuple[Instrument, dict]:
    """Validate every item (errors name the item and the allowed values), then score
    with the options the study's protocol chose for this instrument (``instrument_options``,
    already checked when the protocol was loaded). ``by_participant``: the participant's
    own answers, which may not include clinician-examination items."""
    instrument = instrument_or_error(instrument_id)
    errors = validate_answers(instrument, answers)
    if by_participant:
        errors = [*errors, *clinician_item_errors(instrument, answers)]
    if errors:
        raise InvalidAnswers(instrument, errors)
    options = (protocol_options or {}).get(instrument.id, {})
    return instrument, scores_json(score(instrument.id, answers, **options))


def scores_json(result: InstrumentScore) -> dict:
    return {s.scale: {"value": s.value, "band": s.band, "reason": s.reason,
                      "prorated": s.prorated} for s in result.scales}
