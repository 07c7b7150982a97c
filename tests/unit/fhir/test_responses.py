from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from diary.fhir.responses import FhirResponseError, answers_from_questionnaire_response

LOINC = "http://loinc.org"


def issues_of(payload, **kwargs):
    with pytest.raises(FhirResponseError) as caught:
        answers_from_questionnaire_response(payload, **kwargs)
    return [tuple(i) for i in caught.value.issues]


def test_a_response_by_item_ids_gives_answers_and_the_device_time(qr, answer):
    parsed = answers_from_questionnaire_response(
        qr([answer("phq9_1", valueInteger=2), answer("phq9_2", valueInteger=0)]))

    assert parsed.instrument_id == "phq9"
    assert parsed.answers == {"phq9_1": 2, "phq9_2": 0}
    assert parsed.authored == datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    assert parsed.authored.utcoffset() == timedelta(hours=1)
    assert parsed.raw["item"][0]["linkId"] == "phq9_1"


def test_gad7_item_2_coded_la18938_3_maps_to_2(qr, answer):
    coding = {"system": LOINC, "code": "LA18938-3", "display": "More than half the days"}
    payload = qr([answer("gad7_2", valueCoding=coding)],
                 questionnaire="urn:paindiary/Questionnaire/gad7")

    assert answers_from_questionnaire_response(payload).answers == {"gad7_2": 2}


def test_loinc_codes_as_link_ids_with_or_without_a_slash_map_to_our_items(qr, answer):
    payload = qr([
        {"linkId": "/44249-1", "item": [answer("/44250-9", valueInteger=1)]},
        answer("44255-8", valueCoding={"system": LOINC, "code": "LA6571-9"}),
    ], questionnaire="http://loinc.org/q/44249-1")

    assert answers_from_questionnaire_response(payload).answers == {"phq9_1": 1, "phq9_2": 3}


def test_an_r4_response_without_questionnaire_uses_the_instrument_given(qr, answer):
    payload = qr([answer("bpi_3", valueInteger=7)], questionnaire=None)

    parsed = answers_from_questionnaire_response(payload, instrument_id="bpi_sf")
    assert parsed.instrument_id == "bpi_sf"
    assert parsed.answers == {"bpi_3": 7}


def test_without_questionnaire_the_instrument_comes_from_the_items(qr, answer):
    parsed = answers_from_questionnaire_response(
        qr([answer("bpi_3", valueInteger=7)], questionnaire=None))

    assert (parsed.instrument_id, parsed.via, parsed.answers) == ("bpi_sf", "items",
                                                                  {"bpi_3": 7})


def test_without_questionnaire_and_no_known_item_the_questionnaire_is_named(qr, answer):
    [(path, rule)] = issues_of(qr([answer("q1", valueInteger=7)], questionnaire=None))

    assert path == "questionnaire"
    assert rule.startswith("is absent, and no item's linkId or LOINC code belongs")
    assert "'q1'" in rule


def test_a_questionnaire_that_contradicts_the_instrument_given_is_refused(qr):
    [(path, rule)] = issues_of(qr([]), instrument_id="gad7")

    assert (path, rule) == ("questionnaire", "names phq9 but the instrument given is gad7")


@pytest.mark.parametrize("value, shown", [("2", '"2"'), (True, "true"), (2.0, "2.0")])
def test_value_integer_must_be_a_json_integer(qr, answer, value, shown):
    payload = qr([answer("phq9_1", valueInteger=1), answer("phq9_2", valueInteger=value)])

    assert issues_of(payload) == [
        ("item[1].answer[0].valueInteger", f"must be an integer, got {shown}")]


@pytest.mark.parametrize("status", ["stopped", "entered-in-error", "done", None])
def test_statuses_other_than_completed_or_amended_are_refused(qr, status):
    shown = "null" if status is None else f'"{status}"'

    assert issues_of(qr([], status=status)) == [
        ("status", f"must be one of completed, amended, got {shown}")]


def test_an_amended_response_is_accepted_and_says_so(qr, answer):
    parsed = answers_from_questionnaire_response(
        qr([answer("phq9_1", valueInteger=1)], status="amended"))

    assert parsed.status == "amended"


def test_an_answer_without_a_value_is_refused(qr):
    payload = qr([{"linkId": "phq9_4", "answer": [{}]}])

    assert issues_of(payload) == [("item[0].answer[0]",
                                   "has no value; phq9_4 takes one valueCoding or valueInteger "
                                   "(one of 0, 1, 2, 3)")]


def test_a_decimal_is_refused_because_items_are_integers(qr, answer):
    [(path, rule)] = issues_of(qr([answer("phq9_1", valueDecimal=2.0)]))

    assert path == "item[0].answer[0].valueDecimal"
    assert rule.startswith("valueDecimal is not accepted: phq9_1 takes")
    assert rule.endswith("got 2.0")


def test_an_unknown_link_id_is_named(qr, answer):
    payload = qr([answer("phq9_1", valueInteger=1), answer("phq9_2", valueInteger=1),
                  answer("x", valueInteger=1)])

    assert issues_of(payload) == [("item[2].linkId", "'x' is not an item of phq9 (by item "
                                   "id, LOINC code, or the study's alias map)")]


def test_an_item_answered_twice_is_refused_even_under_another_link_id(qr, answer):
    payload = qr([answer("phq9_1", valueInteger=1), answer("/44250-9", valueInteger=2)])

    assert issues_of(payload) == [
        ("item[1].linkId", '"/44250-9": phq9_1 answered more than once (first at item[0])')]


def test_an_out_of_range_value_names_the_item_and_the_allowed_values(qr, answer):
    payload = qr([answer("bpi_9a", valueInteger=11)], questionnaire=None)

    assert issues_of(payload, instrument_id="bpi_sf") == [
        ("item[0].answer[0].valueInteger",
         "bpi_9a: 11 is out of range; must be an integer from 0 to 10")]


def test_a_code_that_is_not_an_option_lists_the_allowed_codes(qr, answer):
    payload = qr([answer("phq9_1", valueCoding={"system": LOINC, "code": "LA18938-3"})])

    [(path, rule)] = issues_of(payload)
    assert path == "item[0].answer[0].valueCoding.code"
    assert rule.startswith("'http://loinc.org|LA18938-3' is not an answer of phq9_1")
    assert rule.endswith("allowed: LA6568-5 = 0, LA6569-3 = 1, LA6570-1 = 2, LA6571-9 = 3")


def test_our_own_code_system_maps_the_code_to_the_score(qr, answer):
    coding = {"system": "https://trial.example/CodeSystem/phq9", "code": "2"}
    payload = qr([answer("phq9_10", valueCoding=coding)])

    assert answers_from_questionnaire_response(payload).answers == {"phq9_10": 2}


def test_an_authored_time_without_a_zone_is_refused(qr):
    payload = qr([], authored="2025-03-01T09:30:00")

    [(path, _)] = issues_of(payload)
    assert path == "authored"


def test_a_newer_questionnaire_version_is_refused(qr):
    assert issues_of(qr([], questionnaire="urn:paindiary/Questionnaire/phq9|2")) == [
        ("questionnaire", "version '2' of phq9 is not published; current: 1")]


def test_fields_unknown_to_r4_are_reported_by_the_fhir_model(qr, answer):
    payload = qr([answer("phq9_1", valueInteger=1)], colour="blue")

    assert issues_of(payload) == [("colour", 'Extra inputs are not permitted, got "blue"')]


def test_every_problem_is_reported_at_once(qr, answer):
    payload = qr([answer("phq9_1", valueInteger="1"), answer("nope", valueInteger=1)],
                 status="draft")

    assert [path for path, _ in issues_of(payload)] == [
        "status", "item[0].answer[0].valueInteger", "item[1].linkId"]


def test_a_resource_that_is_not_a_questionnaire_response_is_refused():
    assert issues_of({"resourceType": "Observation"}) == [
        ("resourceType", 'must be QuestionnaireResponse, got "Observation"')]


def test_the_offset_of_the_device_is_kept():
    payload = {"resourceType": "QuestionnaireResponse", "status": "completed",
               "questionnaire": "urn:paindiary/Questionnaire/nrs_pain",
               "authored": "2025-03-01T22:00:00-05:00"}

    authored = answers_from_questionnaire_response(payload).authored
    assert authored.tzinfo == timezone(timedelta(hours=-5))


def test_an_item_present_without_an_answer_is_a_missing_item(qr, answer):
    payload = qr([{"linkId": "phq9_1"}, answer("phq9_2", valueInteger=3)])

    assert answers_from_questionnaire_response(payload).answers == {"phq9_1": None, "phq9_2": 3}


def test_items_nested_under_groups_and_answers_are_flattened(qr, answer):
    first = answer("phq9_1", valueInteger=1)
    first["answer"][0]["item"] = [answer("phq9_2", valueInteger=2)]
    payload = qr([{"linkId": "page-1", "item": [first]}])

    assert answers_from_questionnaire_response(payload).answers == {"phq9_1": 1, "phq9_2": 2}


def test_a_coding_for_a_ranged_item_is_refused(qr, answer):
    payload = qr([answer("bpi_3", valueCoding={"system": LOINC, "code": "LA6568-5"})],
                 questionnaire="urn:paindiary/Questionnaire/bpi_sf|1")

    assert issues_of(payload) == [(
        "item[0].answer[0].valueCoding", "valueCoding is not accepted: bpi_3 takes valueInteger "
        "or a whole valueDecimal (an integer from 0 to 10), got "
        '{"system": "http://loinc.org", "code": "LA6568-5"}')]


def test_two_answers_to_one_item_are_refused(qr):
    payload = qr([{"linkId": "phq9_1", "answer": [{"valueInteger": 1}, {"valueInteger": 2}]}])

    assert issues_of(payload) == [("item[0].answer", "must hold exactly one answer for phq9_1, "
                                   'got [{"valueInteger": 1}, {"valueInteger": 2}]')]
