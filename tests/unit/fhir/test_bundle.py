from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fhir.resources.R4B.bundle import Bundle

from diary.fhir.bundle import ResponseView, response_bundle
from diary.fhir.responses import answers_from_questionnaire_response
from scoring.instruments.registry import score

PARIS = timezone(timedelta(hours=1))
AUTHORED = datetime(2025, 3, 1, 9, 30, tzinfo=PARIS)
RECEIVED = datetime(2025, 3, 1, 8, 31, tzinfo=UTC)


def view(instrument_id, answers, *, id="r1", status="completed"):
    result = score(instrument_id, answers)
    scores = {s.scale: (s.value, s.band) for s in result.scales}
    return ResponseView(id, instrument_id, result.version, status, answers, scores,
                        AUTHORED, RECEIVED)


PHQ9 = {f"phq9_{n}": v for n, v in enumerate([1, 2, 0, 3, 1, 0, 2, 1, 0, 2], start=1)}
BPI = {"bpi_3": 8, "bpi_4": 2, "bpi_5": 5, "bpi_6": 4,
       "bpi_9a": 6, "bpi_9b": 4, "bpi_9c": 5, "bpi_9d": 3}


def resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_a_phq9_response_round_trips_through_loinc_answer_codes():
    bundle = response_bundle("P-001", [view("phq9", PHQ9)])
    [qr] = resources(bundle, "QuestionnaireResponse")

    assert qr["item"][0]["answer"][0]["valueCoding"]["code"] == "LA6569-3"
    parsed = answers_from_questionnaire_response(qr)
    assert (parsed.instrument_id, parsed.answers, parsed.authored) == ("phq9", PHQ9, AUTHORED)


def test_a_bpi_response_round_trips_through_integers_leaving_unanswered_items_out():
    answers = {**BPI, "bpi_9e": None}
    bundle = response_bundle("P-001", [view("bpi_sf", answers)])
    [qr] = resources(bundle, "QuestionnaireResponse")

    assert qr["item"][0]["answer"] == [{"valueInteger": 8}]
    assert answers_from_questionnaire_response(qr).answers == BPI


def test_the_bundle_is_a_valid_r4_collection_of_responses_and_score_observations():
    bundle = response_bundle("P-001", [view("phq9", PHQ9, id="r1"),
                                       view("bpi_sf", BPI, id="r2", status="amended")])

    Bundle(**bundle)
    assert bundle["type"] == "collection"
    assert [e["resource"]["id"] for e in bundle["entry"]] == [
        "r1", "r1-total", "r2", "r2-severity", "r2-interference"]


def test_the_phq9_total_is_a_loinc_coded_integer_observation_derived_from_the_response():
    bundle = response_bundle("P-001", [view("phq9", PHQ9)])
    [qr], [obs] = resources(bundle, "QuestionnaireResponse"), resources(bundle, "Observation")

    assert qr["questionnaire"] == "urn:paindiary/Questionnaire/phq9|1"
    assert obs["code"]["coding"][0] == {"system": "http://loinc.org", "code": "44261-6",
                                        "display": "PHQ-9 total"}
    assert obs["valueInteger"] == 1 + 2 + 0 + 3 + 1 + 0 + 2 + 1 + 0
    assert obs["interpretation"] == [{"text": "moderate"}]
    assert obs["effectiveDateTime"] == qr["authored"] == "2025-03-01T09:30:00+01:00"
    assert obs["derivedFrom"] == [{"reference": bundle["entry"][0]["fullUrl"]}]
    assert obs["category"][0]["coding"][0]["code"] == "survey"
    assert obs["subject"] == qr["subject"] == {
        "type": "Patient",
        "identifier": {"system": "urn:paindiary/participant", "value": "P-001"}}


def test_scales_without_loinc_use_our_score_code_system_and_means_are_quantities():
    bundle = response_bundle("P-001", [view("bpi_sf", BPI)], base_url="https://t.example")
    severity, interference = resources(bundle, "Observation")

    assert severity["code"]["coding"][0]["system"] == "https://t.example/CodeSystem/scores"
    assert severity["code"]["coding"][0]["code"] == "bpi_sf.severity"
    assert severity["valueQuantity"]["value"] == (8 + 2 + 5 + 4) / 4
    assert interference["valueQuantity"]["value"] == (6 + 4 + 5 + 3) / 4
    assert "interpretation" not in severity


def test_a_scale_that_could_not_be_scored_has_no_observation():
    answers = {"bpi_3": 8, "bpi_9a": 6}
    bundle = response_bundle("P-001", [view("bpi_sf", answers)])

    assert resources(bundle, "Observation") == []
    Bundle(**bundle)


def test_scale_ids_with_underscores_become_valid_fhir_ids():
    answers = {"psqi_8": 1, "psqi_9": 2}
    bundle = response_bundle("P-001", [view("psqi", answers)])

    assert "r1-daytime-dysfunction" in [o["id"] for o in resources(bundle, "Observation")]
    Bundle(**bundle)


def test_a_naive_device_time_is_a_caller_mistake():
    naive = replace(view("phq9", PHQ9), authored=datetime(2025, 3, 1, 9, 30))

    with pytest.raises(ValueError, match="authored must be timezone-aware"):
        response_bundle("P-001", [naive])


def test_a_partial_response_exports_as_in_progress_with_preliminary_scores_and_validates():
    answers = {k: v for k, v in PHQ9.items() if k != "phq9_9"}
    bundle = response_bundle("P-001", [view("phq9", answers, status="in-progress"),
                                       view("gad7", {f"gad7_{n}": 1 for n in range(1, 8)},
                                            id="r2", status="in-progress")])

    Bundle(**bundle)
    [qr, _] = resources(bundle, "QuestionnaireResponse")
    assert qr["status"] == "in-progress"
    # PHQ-9 with a missing item is unscored; the GAD-7 total may still change.
    assert [o["status"] for o in resources(bundle, "Observation")] == ["preliminary"]
    # The difficulty item goes out with its LOINC answer code and reads back.
    assert qr["item"][-1]["answer"][0]["valueCoding"]["code"] == "LA6575-0"
    parsed = answers_from_questionnaire_response(qr, in_progress="partial")
    assert (parsed.partial, parsed.answers) == (True, answers)
