"""Helpers for the FHIR tests: build QuestionnaireResponse payloads as clients send them."""

from __future__ import annotations

import pytest

LOINC = "http://loinc.org"


def _qr(items, *, questionnaire="urn:paindiary/Questionnaire/phq9|1", status="completed",
        **extra):
    payload = {"resourceType": "QuestionnaireResponse", "status": status,
               "authored": "2025-03-01T09:30:00+01:00", "item": items, **extra}
    if questionnaire is not None:
        payload["questionnaire"] = questionnaire
    return payload


def _answer(link_id, **value):
    return {"linkId": link_id, "answer": [value]}


@pytest.fixture
def qr():
    """``qr(items, questionnaire=..., status=...)`` -> a QuestionnaireResponse dict."""
    return _qr


@pytest.fixture
def answer():
    """``answer("phq9_1", valueInteger=2)`` -> one item with one answer."""
    return _answer
