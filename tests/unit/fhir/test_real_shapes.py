"""The intake against QuestionnaireResponses shaped as LHC-Forms and the SDC guide write them
(issue 18); the shapes and their sources are in ``shapes.py``."""

from __future__ import annotations

import copy

import pytest

from diary.fhir.issues import shown
from diary.fhir.responses import FhirResponseError, answers_from_questionnaire_response
from diary.protocol.model import QuestionnaireAlias
from tests.unit.fhir import shapes

PHQ9_ANSWERS = {f"phq9_{n}": s for n, s in enumerate(shapes.PHQ9_SCORES, 1)}
SDC_ALIAS = QuestionnaireAlias(shapes.SDC_PHQ9, "phq9", shapes.SDC_PHQ9_LINK_IDS,
                               shapes.SDC_CSPHQ9, shapes.SDC_ANSWER_CODES)


def parse(payload, **kwargs):
    return answers_from_questionnaire_response(payload, **kwargs)


def issues_of(payload, **kwargs):
    with pytest.raises(FhirResponseError) as caught:
        parse(payload, **kwargs)
    return [tuple(i) for i in caught.value.issues]


# -- Why 1: no `questionnaire` (LHC-Forms) -------------------------------------------------

def test_lhc_forms_phq9_without_questionnaire_is_identified_by_its_loinc_link_ids():
    parsed = parse(shapes.lhc_forms_phq9())

    assert (parsed.instrument_id, parsed.via) == ("phq9", "items")
    assert parsed.answers == {**PHQ9_ANSWERS, "phq9_10": 1}


def test_lhc_forms_panel_group_nests_the_items_and_an_ordinary_extension_is_ignored():
    parsed = parse(shapes.lhc_forms_phq9_grouped())

    assert parsed.answers == {**PHQ9_ANSWERS, "phq9_10": 1}
    assert parsed.client_totals == {"total": (10, "item[0].item[9].answer[0].valueDecimal")}


def test_items_of_two_instruments_in_equal_number_are_ambiguous_and_say_so():
    qr = shapes.lhc_forms_phq9(total=None, difficulty=None)
    qr["item"] = [qr["item"][0], {"linkId": "/69725-0", "answer": [{"valueInteger": 1}]}]

    [(path, rule)] = issues_of(qr)
    assert path == "questionnaire"
    assert "the items match gad7 and phq9 equally (1 each): ambiguous" in rule


def test_dn4_interview_items_alone_fit_two_instruments_and_are_ambiguous():
    # DN4's seven interview items are also the whole of DN4-interview; only the
    # examination items 8-10 (or questionnaire) tell them apart.
    qr = {"resourceType": "QuestionnaireResponse", "status": "completed",
          "authored": "2027-03-08T10:00:00+01:00",
          "item": [{"linkId": f"dn4_{n}", "answer": [{"valueInteger": 1}]} for n in range(1, 8)]}

    [(path, rule)] = issues_of(qr)
    assert (path, "dn4 and dn4_interview equally (7 each): ambiguous" in rule) == (
        "questionnaire", True)
    qr["item"].append({"linkId": "dn4_8", "answer": [{"valueInteger": 0}]})
    assert parse(qr).instrument_id == "dn4"


# -- Why 2: client-calculated totals -------------------------------------------------------

def test_the_gad7_total_the_form_tool_sent_is_kept_to_compare_not_refused():
    parsed = parse(shapes.lhc_forms_gad7(total=12))

    assert parsed.answers == {f"gad7_{n}": s for n, s in enumerate(shapes.GAD7_SCORES, 1)}
    assert parsed.client_totals == {"total": (12, "item[7].answer[0].valueDecimal")}


def test_a_total_that_is_not_a_number_is_a_warning_not_a_refusal():
    qr = shapes.with_item(shapes.lhc_forms_phq9(), 9, answer=[{"valueString": "ten"}])

    parsed = parse(qr)
    assert parsed.client_totals == {}
    assert [tuple(w) for w in parsed.warnings] == [(
        "item[9].answer[0].valueString",
        "the client's PHQ-9 total \"ten\" is not a number; ignored (we score the answers)")]


# -- Why 3: PHQ-9 difficulty item coded with LOINC answer codes -----------------------------

@pytest.mark.parametrize("code, score", [("LA6572-7", 0), ("LA6573-5", 1), ("LA6575-0", 2),
                                         ("LA6574-3", 3)])
def test_the_phq9_difficulty_item_takes_its_loinc_answer_codes(code, score):
    qr = shapes.with_item(shapes.lhc_forms_phq9(), 10,
                          answer=[{"valueCoding": {"system": shapes.LOINC, "code": code}}])

    assert parse(qr).answers["phq9_10"] == score


# -- Why 4: another app's canonical with its own version ----------------------------------

def test_the_sdc_guides_canonical_with_its_version_is_accepted_through_the_studys_alias():
    parsed = parse(shapes.sdc_phq9(version="4.0.0-ballot"), aliases=[SDC_ALIAS])

    assert (parsed.instrument_id, parsed.via) == ("phq9", "alias")
    assert parsed.answers == PHQ9_ANSWERS
    assert parsed.client_totals == {"total": (10, "item[1].answer[0].valueQuantity.value")}
    assert parse(shapes.sdc_phq9(version="5.0.0"), aliases=[SDC_ALIAS]).answers == PHQ9_ANSWERS


def test_another_apps_canonical_is_not_matched_by_its_last_segment():
    qr = shapes.lhc_forms_phq9(questionnaire="https://forms.example.org/Questionnaire/phq9|3.2")

    [(path, rule)] = issues_of(qr)
    assert path == "questionnaire"
    assert rule.startswith("'https://forms.example.org/Questionnaire/phq9|3.2' is not a "
                           "questionnaire we know")
    assert "declares it in its protocol (fhir.questionnaire_aliases)" in rule


def test_an_aliased_response_whose_items_do_not_match_names_the_item():
    qr = shapes.sdc_phq9()
    qr["item"][0]["item"][2]["linkId"] = "H1/T1/Q33"

    assert issues_of(qr, aliases=[SDC_ALIAS]) == [(
        "item[0].item[2].linkId",
        "'H1/T1/Q33' is not an item of phq9 (by item id, LOINC code, or the study's alias map)")]


# -- Why 5: Questionnaire/<LOINC panel code> ------------------------------------------------

@pytest.mark.parametrize("ref", ["Questionnaire/44249-1", "http://loinc.org/q/44249-1",
                                 "http://loinc.org/q/44249-1|2.78", "Questionnaire/phq9"])
def test_a_reference_or_loinc_canonical_names_the_panel(ref):
    assert parse(shapes.lhc_forms_phq9(questionnaire=ref)).instrument_id == "phq9"


# -- Why 6: contained Questionnaire --------------------------------------------------------

def test_a_contained_questionnaire_names_the_instrument_and_maps_the_apps_link_ids():
    parsed = parse(shapes.contained_phq9())

    assert (parsed.instrument_id, parsed.via) == ("phq9", "contained")
    assert parsed.answers == PHQ9_ANSWERS
    assert parsed.client_totals == {"total": (10, "item[9].answer[0].valueDecimal")}


def test_a_reference_to_a_questionnaire_that_is_not_contained_is_refused_by_name():
    qr = shapes.contained_phq9()
    qr["questionnaire"] = "#gad7"

    assert issues_of(qr) == [("questionnaire",
                              "'#gad7' names no contained Questionnaire; contained: #phq9")]


# -- Why 7: modifierExtension ----------------------------------------------------------------

def test_an_unknown_modifier_extension_is_refused_with_its_path_and_url():
    qr = shapes.lhc_forms_phq9()
    url = "http://example.org/fhir/StructureDefinition/answer-is-hypothetical"
    qr["item"][3]["modifierExtension"] = [{"url": url, "valueBoolean": True}]

    [(path, rule)] = issues_of(qr)
    assert path == "item[3].modifierExtension[0]"
    assert rule.startswith(f'modifierExtension "{url}" is not understood')


# -- Why 8: refusals name the path and the value --------------------------------------------

def test_a_refused_answer_code_names_its_path_and_the_code():
    qr = shapes.with_item(shapes.lhc_forms_phq9(), 3, answer=[
        {"valueCoding": {"system": shapes.LOINC, "code": "LA6572-7"}}])

    [(path, rule)] = issues_of(qr)
    assert path == "item[3].answer[0].valueCoding.code"
    assert rule.startswith("'http://loinc.org|LA6572-7' is not an answer of phq9_4")


def test_a_whole_decimal_answers_a_ranged_item_and_a_fraction_is_refused_by_value():
    base = {"resourceType": "QuestionnaireResponse", "status": "completed",
            "questionnaire": "urn:paindiary/Questionnaire/nrs_pain",
            "authored": "2027-03-08T10:00:00+01:00"}
    whole = {**base, "item": [{"linkId": "average", "answer": [{"valueDecimal": 7.0}]}]}
    half = copy.deepcopy(whole)
    half["item"][0]["answer"][0]["valueDecimal"] = 6.5

    assert parse(whole).answers == {"average": 7}
    [(path, rule)] = issues_of(half)
    assert (path, rule.endswith("got 6.5")) == ("item[0].answer[0].valueDecimal", True)


# -- Status and time --------------------------------------------------------------------------

def test_in_progress_is_refused_by_default_naming_the_protocol_setting():
    qr = shapes.lhc_forms_phq9()
    qr["status"] = "in-progress"

    assert issues_of(qr) == [("status", '"in-progress" is refused by this study\'s protocol '
                                        "(fhir.in_progress: refuse): send the completed "
                                        "response")]


def test_in_progress_is_kept_as_partial_when_the_protocol_says_so():
    qr = shapes.lhc_forms_phq9()
    qr["status"] = "in-progress"
    del qr["item"][4:]

    parsed = parse(qr, in_progress="partial")
    assert (parsed.partial, parsed.status, len(parsed.answers)) == (True, "in-progress", 4)


def test_authored_without_a_zone_is_refused_with_the_rule():
    qr = shapes.lhc_forms_phq9()
    qr["authored"] = "2027-03-08T10:00:00"

    assert issues_of(qr) == [("authored", "must be a dateTime with a time and a zone offset "
                                          "(the device time, e.g. 2025-03-01T09:30:00+01:00), "
                                          'got "2027-03-08T10:00:00"')]


# -- Hostile input: a 4xx naming the field, never a crash --------------------------------------

@pytest.mark.parametrize("kind", ["Questionnaire/", "", 7, None, "#phq9"])
def test_a_contained_resource_of_no_r4_type_is_named(kind):
    qr = shapes.contained_phq9()
    qr["contained"].append({"resourceType": kind, "id": "x"})

    assert ("contained[1].resourceType", f"must name an R4 resource, got {shown(kind)}") in \
        issues_of(qr)


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_a_non_finite_total_is_invalid_fhir_named_at_its_item_not_a_crash(value):
    qr = shapes.with_item(shapes.lhc_forms_phq9(), 9, answer=[{"valueDecimal": value}])

    with pytest.raises(FhirResponseError) as caught:  # the R4B model refuses it as JSON
        parse(qr)
    assert all(i.path.startswith("item[9]") for i in caught.value.issues)


def test_a_loinc_answer_code_without_its_system_is_read_as_lhc_forms_sends_it():
    qr = shapes.with_item(shapes.lhc_forms_phq9(), 0, answer=[
        {"valueCoding": {"code": "LA6571-9", "display": "Nearly every day"}}])

    assert parse(qr).answers["phq9_1"] == 3
    qr["item"][0]["answer"][0]["valueCoding"]["code"] = "3"  # our score, but whose system?
    assert [p for p, _ in issues_of(qr)] == ["item[0].answer[0].valueCoding.code"]


def test_lhc_forms_answering_our_questionnaire_read_from_the_fhir_base():
    # LHC-Forms given /fhir/Questionnaire/bpi-sf writes our linkIds, a relative reference
    # to the Questionnaire's id, and integers as valueInteger (a slider may send a decimal).
    qr = {"resourceType": "QuestionnaireResponse", "questionnaire": "Questionnaire/bpi-sf",
          "status": "completed", "authored": "2027-03-08T10:00:00+01:00",
          "item": [{"linkId": "bpi_3", "text": "BPI item 3", "answer": [{"valueInteger": 6}]},
                   {"linkId": "bpi_4", "text": "BPI item 4", "answer": [{"valueDecimal": 2.0}]}]}

    parsed = parse(qr)
    assert (parsed.instrument_id, parsed.answers) == ("bpi_sf", {"bpi_3": 6, "bpi_4": 2})


def test_an_aliased_apps_answer_code_it_did_not_declare_is_refused_with_the_code():
    qr = shapes.sdc_phq9()
    qr["item"][0]["item"][4]["answer"][0]["valueCoding"]["code"] = "Always"

    [(path, rule)] = issues_of(qr, aliases=[SDC_ALIAS])
    assert path == "item[0].item[4].answer[0].valueCoding.code"
    assert rule.startswith(f"'{shapes.SDC_CSPHQ9}|Always' is not an answer of phq9_5")
