"""Reading the dashboard's forms: the API's own marshmallow schemas check the values, so a
form refuses exactly what the API refuses; a refusal becomes a message beside its field.

Form fields arrive as text: ``typed`` turns the few non-text ones (integers, local
date-times in the participant's zone) into what the schema expects before it loads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import marshmallow as ma
from flask_babel import gettext as _

from diary.errors import DomainError
from diary.timezones import zone


@dataclass
class FormState:
    """Which form a page shows open, what was typed, and the messages per field."""

    name: str | None = None
    values: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def error(self, form: str, name: str) -> str | None:
        return self.errors.get(name) if self.name == form else None

    def value(self, form: str, name: str, default: str = "") -> str:
        return self.values.get(name, default) if self.name == form else default


class FormError(Exception):
    """A form refused: messages per field (``_form`` for the whole form)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def load(schema: ma.Schema, data: dict) -> dict:
    """``data`` checked by an API schema; FormError with the first message per field."""
    try:
        return schema.load(data)
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_form": exc.messages}
        raise FormError({name: _first(m) for name, m in messages.items()}) from None


def _first(message) -> str:
    while isinstance(message, list | dict):
        message = (list(message.values()) if isinstance(message, dict) else message)[0]
    return str(message)


def refused(exc: DomainError) -> FormError:
    """A service's refusal as a form message, beside its field when it names one."""
    return FormError({exc.field or "_form": exc.message})


def integer(raw: str | None, name: str) -> int | None:
    """A whole number typed in a form (blank: None)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.lstrip("-").isdigit() or len(raw) > 9:
        raise FormError({name: _("Enter a whole number.")})
    return int(raw)


def local_instant(raw: str | None, tz: str, name: str) -> str | None:
    """A ``datetime-local`` value (wall-clock time in ``tz``) as an ISO instant with its
    offset, for the schema's aware date-time field (blank: None). In a repeated hour
    (autumn) the first occurrence is meant; a skipped hour (spring) moves forward."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        wall = datetime.fromisoformat(raw)
    except ValueError:
        raise FormError({name: _("Enter a date and time.")}) from None
    if wall.tzinfo is not None:
        raise FormError({name: _("Enter a date and time.")})
    local = wall.replace(tzinfo=zone(tz))
    try:
        # zoneinfo keeps a non-existent wall time as given: a round trip through UTC moves
        # it on; years at the calendar's ends overflow there (PITFALLS)
        return local.astimezone(zone("UTC")).astimezone(zone(tz)).isoformat()
    except OverflowError:
        raise FormError({name: _("Enter a date and time.")}) from None


def text(raw: str | None) -> str | None:
    raw = (raw or "").strip()
    return raw or None
