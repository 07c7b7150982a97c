"""Side-effect checklist answers, adverse-event records and which reports alert."""

from __future__ import annotations

import datetime as dt

import pytest

from diary.safety import (
    DEFAULT_SYMPTOMS,
    RELATEDNESS,
    SEVERITIES,
    AdverseEventError,
    ChecklistAnswer,
    ChecklistError,
    adverse_event,
    alert_reasons,
    endpoint_symptom_issues,
    make_checklist,
    needs_alert,
    validate_answer,
)
from scoring.endpoints import validate_endpoints
from scoring.safety_kind import SEVERITY_WORDS

DEFAULT = make_checklist()
DAY = dt.date(2027, 3, 2)


def test_the_default_checklist_is_the_ten_symptoms_of_issue_6():
    assert DEFAULT.codes == ("nausea", "vomiting", "dizziness", "drowsiness", "headache",
                             "hallucinations", "vivid_dreams", "dissociation",
                             "blurred_vision", "injection_site_pain")
    assert [s.label for s in DEFAULT_SYMPTOMS][6:8] == ["Nightmares or vivid dreams",
                                                       "Feeling detached or unreal"]
    assert SEVERITIES == ("none", "mild", "moderate", "severe") == SEVERITY_WORDS


def test_a_complete_answer_takes_codes_or_words():
    answers = dict.fromkeys(DEFAULT.codes, 0) | {"nausea": "Severe", "headache": 1}
    a = validate_answer(DEFAULT, answers, free_text="  felt odd after lunch ")
    assert a.severities["nausea"] == 3 and a.severities["headache"] == 1
    assert (a.max_severity, a.at_least(1), a.free_text) == (3, ("nausea", "headache"),
                                                            "felt odd after lunch")


@pytest.mark.parametrize(
    ("answers", "kw", "field", "rule"),
    [
        ({"nausea": 1}, {}, "vomiting", "is required (0-3 or none, mild, moderate, severe)"),
        ({"nausea": 4}, {"partial": True}, "nausea",
         "must be 0-3 or one of none, mild, moderate, severe, got 4"),
        ({"nausea": True}, {"partial": True}, "nausea",
         "must be 0-3 or one of none, mild, moderate, severe, got True"),
        ({"nausea": "awful"}, {"partial": True}, "nausea",
         "must be 0-3 or one of none, mild, moderate, severe, got 'awful'"),
        ({"itching": 1}, {"partial": True}, "itching", "not a symptom of this checklist ("
         "nausea, vomiting, dizziness, drowsiness, headache, hallucinations, vivid_dreams, "
         "dissociation, blurred_vision, injection_site_pain)"),
        ({}, {"partial": True}, "answers", "must report at least one symptom"),
        ({"nausea": 1}, {"partial": True, "free_text": "x" * 501}, "free_text",
         "must be a text of at most 500 characters"),
    ],
)
def test_refused_checklist_answers_name_the_symptom_and_the_rule(answers, kw, field, rule):
    with pytest.raises(ChecklistError) as e:
        validate_answer(DEFAULT, answers, **kw)
    assert (e.value.field, e.value.rule) == (field, rule)


def test_a_partial_sms_report_leaves_the_other_symptoms_unanswered():
    a = validate_answer(DEFAULT, {"nausea": "moderate"}, partial=True)
    assert a.severities == {"nausea": 2}


def test_a_protocol_can_add_symptoms_of_its_own_and_typos_are_refused():
    c = make_checklist(["nausea", {"code": "metallic_taste", "label": "Metallic taste"}])
    assert [s.label for s in c.symptoms] == ["Nausea", "Metallic taste"]
    for bad, path in [(["nausea", "nausea"], "side_effects[1]"),
                      ([{"code": "Bad Code", "label": "x"}], "side_effects[0].code"),
                      ([], "side_effects"), ("nausea", "side_effects")]:
        with pytest.raises(ChecklistError) as e:
            make_checklist(bad)
        assert e.value.field == path


def test_an_adverse_event_records_severity_seriousness_and_relatedness():
    ae = adverse_event(" Hallucinations ", DAY, severity=2, serious=True,
                       relatedness="possible", resolved=DAY)
    assert (ae.term, ae.severity_word, ae.serious, ae.relatedness) == (
        "Hallucinations", "moderate", True, "possible")
    assert RELATEDNESS == ("not_related", "unlikely", "possible", "probable", "definite")


@pytest.mark.parametrize(
    ("kw", "field"),
    [({"severity": "none"}, "severity"), ({"severity": 4}, "severity"),
     ({"serious": "yes"}, "serious"), ({"relatedness": "maybe"}, "relatedness"),
     ({"resolved": DAY - dt.timedelta(days=1)}, "resolved"), ({"term": " "}, "term"),
     ({"onset": dt.datetime(2027, 3, 2, 8)}, "onset")],
)
def test_refused_adverse_events_name_the_field(kw, field):
    args = {"term": "Nausea", "onset": DAY, "severity": "mild", "serious": False,
            "relatedness": "unlikely"} | kw
    with pytest.raises(AdverseEventError) as e:
        adverse_event(args.pop("term"), args.pop("onset"), **args)
    assert e.value.field == field


@pytest.mark.parametrize(
    ("report", "alert"),
    [
        (ChecklistAnswer({"nausea": 2, "dizziness": 2}), False),
        (ChecklistAnswer({"nausea": 3}), True),
        (adverse_event("Rash", DAY, severity="mild", serious=False, relatedness="possible"),
         False),
        (adverse_event("Rash", DAY, severity="severe", serious=False, relatedness="possible"),
         True),
        (adverse_event("Fall", DAY, severity="mild", serious=True, relatedness="unlikely"),
         True),
    ],
)
def test_severe_symptoms_and_serious_or_severe_adverse_events_alert(report, alert):
    assert needs_alert(report) is alert


def test_alert_reasons_say_what_was_severe_or_serious():
    assert alert_reasons(ChecklistAnswer({"nausea": 3, "blurred_vision": 3})) == [
        "severe nausea", "severe blurred vision"]
    ae = adverse_event("Delirium", DAY, severity=3, serious=True, relatedness="probable")
    assert alert_reasons(ae) == ["serious adverse event: Delirium",
                                 "severe adverse event: Delirium"]
    with pytest.raises(TypeError):
        needs_alert({"nausea": 3})


def test_symptom_endpoints_must_name_a_checklist_symptom():
    specs = validate_endpoints([
        {"key": "nau", "kind": "symptom_count", "symptom": "nausea", "from_day": 0,
         "to_day": 7},
        {"key": "itch", "kind": "symptom_max_severity", "symptom": "itching", "from_day": 0,
         "to_day": 7}])
    assert endpoint_symptom_issues(specs, DEFAULT) == [
        ("endpoints[1].symptom", "'itching' is not on the side-effect checklist (nausea, "
         "vomiting, dizziness, drowsiness, headache, hallucinations, vivid_dreams, "
         "dissociation, blurred_vision, injection_site_pain)")]


def test_every_missing_or_wrong_item_is_named_at_once():
    # Issue 13: the app marks all of them in one round trip, not one per submission.
    checklist = make_checklist(["nausea", "dizziness", "headache"])
    with pytest.raises(ChecklistError) as e:
        validate_answer(checklist, {"itching": 1, "dizziness": "awful"})
    assert e.value.errors == [
        ("itching", "not a symptom of this checklist (nausea, dizziness, headache)"),
        ("nausea", "is required (0-3 or none, mild, moderate, severe)"),
        ("dizziness", "must be 0-3 or one of none, mild, moderate, severe, got 'awful'"),
        ("headache", "is required (0-3 or none, mild, moderate, severe)"),
    ]
    assert (e.value.field, e.value.rule) == e.value.errors[0]
