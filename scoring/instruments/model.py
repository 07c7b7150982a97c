"""Instrument definitions as data, answer validation, and score results.

An :class:`Instrument` lists its items in published order, each with its
allowed answers (coded options in printed order, or an integer range), the
scales built from them, the interpretation bands, the missing-item rule in
words, and how answers are coded.  Scoring functions live in one module per
instrument family; they validate with :meth:`Instrument.check` first.

Answers are a mapping ``item id -> int | None``; a key that is absent or
``None`` is a missing item.  Only plain ``int`` is accepted: ``True``, ``2.5``
and ``"3"`` are refused (JSON clients and FHIR coercion make them easy to send).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, NamedTuple

__all__ = [
    "AnswerError",
    "Answers",
    "Band",
    "Instrument",
    "InstrumentScore",
    "InvalidAnswers",
    "Item",
    "Option",
    "OptionError",
    "Scale",
    "ScaleScore",
]

Answers = Mapping[str, int | None]


@dataclass(frozen=True, slots=True)
class Option:
    """One response option: the stored ``code`` (the published item score) and its label."""

    code: int
    label: str
    loinc: str | None = None  # LOINC answer code (LA...), only where verified


@dataclass(frozen=True, slots=True)
class Item:
    """One item (FHIR linkId = ``id``) with either ``options`` or inclusive ``bounds``."""

    id: str
    label: str
    options: tuple[Option, ...] = ()
    bounds: tuple[int, int] | None = None
    unit: str | None = None
    loinc: str | None = None
    scored: bool = True
    # Answered by a clinician from an examination, never by the patient (DN4 items 8-10).
    clinician: bool = False

    def __post_init__(self) -> None:
        if bool(self.options) == (self.bounds is not None):
            raise ValueError(f"item {self.id}: give either options or bounds")

    @property
    def allowed(self) -> str:
        """The allowed values in words, for error messages.

        Examples
        --------
        >>> Item("q", "Q", bounds=(0, 10)).allowed
        'an integer from 0 to 10'
        """
        if self.bounds is not None:
            unit = f" ({self.unit})" if self.unit else ""
            return f"an integer from {self.bounds[0]} to {self.bounds[1]}{unit}"
        return "one of " + ", ".join(str(c) for c in sorted(o.code for o in self.options))

    def accepts(self, value: int) -> bool:
        if self.bounds is not None:
            return self.bounds[0] <= value <= self.bounds[1]
        return any(o.code == value for o in self.options)

    def code_at(self, position: int) -> int:
        """The code of the option printed at ``position`` (0-based, published order).

        Examples
        --------
        >>> Item("q", "Q", options=(Option(3, "often"), Option(0, "never"))).code_at(0)
        3
        """
        return self.options[position].code


@dataclass(frozen=True, slots=True)
class Scale:
    """A score built from ``items``; ``low``/``high`` is its published range."""

    id: str
    label: str
    items: tuple[str, ...]
    low: int
    high: int
    loinc: str | None = None


@dataclass(frozen=True, slots=True)
class Band:
    """Interpretation band: applies from ``at_least`` up to the next band of the scale."""

    scale: str
    at_least: int | Fraction
    label: str


class AnswerError(NamedTuple):
    """One refused answer: the item and the rule it broke."""

    item: str
    rule: str


class OptionError(NamedTuple):
    """One refused study-supplied scoring option: its field (dotted path) and the rule."""

    field: str
    rule: str


class InvalidAnswers(ValueError):
    """Answers broke the instrument's rules; ``errors`` names each item."""

    def __init__(self, instrument: str, errors: list[AnswerError]) -> None:
        self.instrument = instrument
        self.errors = errors
        lines = "; ".join(f"{e.item}: {e.rule}" for e in errors)
        super().__init__(f"invalid answers for {instrument}: {lines}")


@dataclass(frozen=True, slots=True)
class Instrument:
    """A questionnaire as data (see the module docstring)."""

    id: str
    name: str
    version: str
    reference: str
    licence: Literal["free", "licensed"]
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    missing_rule: str
    coding: str
    bands: tuple[Band, ...] = ()
    reversed: tuple[str, ...] = ()
    loinc: str | None = None

    def __post_init__(self) -> None:
        ids = [i.id for i in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.id}: duplicate item ids")
        if self.licence not in ("free", "licensed"):
            raise ValueError(f"{self.id}: licence must be 'free' or 'licensed'")
        scale_ids = {s.id for s in self.scales}
        for s in self.scales:
            if unknown := set(s.items) - set(ids):
                raise ValueError(f"{self.id}: scale {s.id} names unknown items {sorted(unknown)}")
        for b in self.bands:
            if b.scale not in scale_ids:
                raise ValueError(f"{self.id}: band {b.label!r} names unknown scale {b.scale}")
        if unknown := set(self.reversed) - set(ids):
            raise ValueError(f"{self.id}: reversed names unknown items {sorted(unknown)}")

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)

    def item(self, item_id: str) -> Item:
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(f"{self.id} has no item {item_id!r}")

    def scale(self, scale_id: str) -> Scale:
        for s in self.scales:
            if s.id == scale_id:
                return s
        raise KeyError(f"{self.id} has no scale {scale_id!r}")

    def band(self, scale_id: str, value: int | Fraction) -> str | None:
        """The label of the highest band of ``scale_id`` whose ``at_least`` <= ``value``."""
        label = None
        for b in sorted((b for b in self.bands if b.scale == scale_id), key=lambda b: b.at_least):
            if value >= b.at_least:
                label = b.label
        return label

    def validate(self, answers: Answers) -> list[AnswerError]:
        """Every refused answer, in item order then unknown items; empty when all are valid."""
        errors = []
        known = set(self.item_ids)
        for item in self.items:
            if item.id not in answers or answers[item.id] is None:
                continue
            value = answers[item.id]
            if type(value) is not int:
                rule = f"{value!r} is a {type(value).__name__}; must be {item.allowed}"
                errors.append(AnswerError(item.id, rule))
            elif not item.accepts(value):
                rule = f"{value} is out of range; must be {item.allowed}"
                errors.append(AnswerError(item.id, rule))
        for key in answers:
            if key not in known:
                errors.append(AnswerError(str(key), f"not an item of {self.id}"))
        return errors

    def check(self, answers: Answers) -> dict[str, int]:
        """Validate, then return the answered items only; raise :class:`InvalidAnswers`."""
        if errors := self.validate(answers):
            raise InvalidAnswers(self.id, errors)
        return {k: v for k, v in answers.items() if v is not None}


@dataclass(frozen=True, slots=True)
class ScaleScore:
    """One scale's score: a number, or ``None`` with the reason; never NaN."""

    scale: str
    value: int | float | None
    reason: str | None = None
    band: str | None = None
    items_used: tuple[str, ...] = ()
    items_missing: tuple[str, ...] = ()
    prorated: bool = False


@dataclass(frozen=True, slots=True)
class InstrumentScore:
    """All scales of one response, with the instrument version that scored it."""

    instrument: str
    version: str
    scales: tuple[ScaleScore, ...]
    items_used: tuple[str, ...]
    items_missing: tuple[str, ...]

    def __getitem__(self, scale_id: str) -> ScaleScore:
        for s in self.scales:
            if s.scale == scale_id:
                return s
        raise KeyError(f"{self.instrument} has no scale {scale_id!r}")

    @property
    def values(self) -> dict[str, int | float | None]:
        return {s.scale: s.value for s in self.scales}
