"""Helpers for the instrument tests: build answers that reach an exact total."""

from __future__ import annotations

import pytest


def _fill(ids, total: int, top: int) -> dict[str, int]:
    """Answers for ``ids`` summing to ``total``, filling items up to ``top`` in order."""
    answers = {}
    for item in ids:
        answers[item] = min(top, total)
        total -= answers[item]
    assert total == 0, "total out of reach"
    return answers


@pytest.fixture
def fill():
    return _fill
