from __future__ import annotations

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from diary.fhir.questionnaire import questionnaire
from scoring.instruments.registry import INSTRUMENTS, get

LOINC = "http://loinc.org"


@pytest.mark.parametrize("instrument_id", sorted(INSTRUMENTS))
def test_every_shipped_instrument_publishes_as_a_valid_r4_questionnaire(instrument_id):
    instrument = get(instrument_id)
    published = questionnaire(instrument)

    Questionnaire(**published)
    assert published["url"] == f"urn:paindiary/Questionnaire/{instrument_id}"
    assert published["version"] == instrument.version
    assert published["status"] == "active"
    assert [i["linkId"] for i in published["item"]] == list(instrument.item_ids)


def test_phq9_carries_the_loinc_panel_item_and_answer_codes():
    published = questionnaire(get("phq9"))

    assert published["code"] == [{"system": LOINC, "code": "44249-1",
                                  "display": "Patient Health Questionnaire-9"}]
    first = published["item"][0]
    assert first["code"][0]["code"] == "44250-9"
    assert [o["valueCoding"]["code"] for o in first["answerOption"]] == [
        "LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    assert [o["extension"][0]["valueDecimal"] for o in first["answerOption"]] == [0, 1, 2, 3]


def test_options_without_a_loinc_code_use_our_code_system_with_the_score_as_code():
    published = questionnaire(get("hads"), base_url="https://trial.example")
    first = published["item"][0]  # HADS item 1 is printed 3, 2, 1, 0

    assert [o["valueCoding"]["code"] for o in first["answerOption"]] == ["3", "2", "1", "0"]
    assert {o["valueCoding"]["system"] for o in first["answerOption"]} == {
        "https://trial.example/CodeSystem/hads"}
    assert "code" not in published


def test_ranged_items_are_integers_with_min_and_max_value_extensions():
    item = questionnaire(get("bpi_sf"))["item"][0]

    assert item["type"] == "integer"
    assert item["extension"][:2] == [
        {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 0},
        {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 10},
    ]


def test_study_texts_override_the_neutral_labels_of_a_licensed_instrument():
    published = questionnaire(get("bpi_sf"), texts={"bpi_3": "Douleur la plus forte"},
                              language="fr")

    assert published["language"] == "fr"
    assert published["item"][0]["text"] == "Douleur la plus forte"
    assert published["item"][1]["text"] == "BPI item 4"


def test_texts_for_an_unknown_item_are_a_caller_mistake():
    with pytest.raises(ValueError, match="unknown items of bpi_sf: bpi_99"):
        questionnaire(get("bpi_sf"), texts={"bpi_99": "?"})


def test_unscored_items_are_published_but_not_required():
    items = {i["linkId"]: i for i in questionnaire(get("phq9"))["item"]}

    assert items["phq9_10"]["required"] is False
    assert items["phq9_9"]["required"] is True
