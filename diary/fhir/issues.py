"""The problems a FHIR payload can have: where (``item[3].answer[0].valueCoding.code``)
and the rule broken, with the value sent."""

from __future__ import annotations

import json
from typing import Any, NamedTuple


class Issue(NamedTuple):
    """One problem: where in the payload and the rule broken."""

    path: str
    rule: str


class FhirResponseError(ValueError):
    """The payload is not an acceptable response; ``issues`` lists every problem."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("; ".join(f"{i.path}: {i.rule}" for i in issues))


def shown(value: Any) -> str:
    """The value as the client sent it (JSON), e.g. ``"2"`` for a string, ``true``."""
    return json.dumps(value, default=repr)
