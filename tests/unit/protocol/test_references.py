"""Names a protocol refers to must exist (issue 13): each unknown instrument, form,
assessment, anchor, endpoint or drug table is an issue at its path with the near names;
a licensed instrument without the study's wording in one of its languages is a warning.

Each row mutates the minimal parallel protocol of test_protocol_validation.
"""

from __future__ import annotations

import copy

import pytest

from diary.protocol.loader import ProtocolError, check_protocol, parse_protocol
from diary.protocol.model import ADVERSE_EVENTS, QUESTIONNAIRE, SIDE_EFFECTS
from diary.protocol.references import did_you_mean
from tests.unit.protocol.test_protocol_validation import (
    DELETE,
    PARALLEL,
    issues_of,
    mutated,
    yaml_text,
)

NRS_D7 = {"key": "nrs_d7", "instrument": "nrs_pain", "anchor": "surgery", "offset": "P7D",
          "window": {"open": "-P1D", "close": "P1D"}}


def _with_assessment(**fields):
    return {"assessments.3": {**NRS_D7, **fields}}


def _append(data, name, item):
    data = copy.deepcopy(data)
    data.setdefault(name, []).append(item)
    return data


UNKNOWN = [
    pytest.param({"assessments.0.instrument": "bpi_sff"},
                 [("assessments[0].instrument",
                   "unknown instrument 'bpi_sff' (did you mean 'bpi_sf'?)")], id="typo"),
    pytest.param({"assessments.0.instrument": "fdi"},
                 [("assessments[0].instrument", "unknown instrument 'fdi' (did you mean "
                                                "'fdi_child' or 'fdi_parent'?)")],
                 id="a family split into variants"),
    pytest.param({"assessments.0.instrument": "sf36"},
                 [("assessments[0].instrument", "unknown instrument 'sf36'")],
                 id="nothing near"),
    pytest.param({"assessments.0.instrument": "side_effects"},
                 [("assessments[0].instrument", "'side_effects' is a form, not a "
                                                "questionnaire: write form: side_effects")],
                 id="a form written as an instrument"),
    pytest.param({"assessments.0.instrument": DELETE, "assessments.0.form": "side_effect"},
                 [("assessments[0].form", "unknown form 'side_effect' (did you mean "
                                          "'side_effects'?); forms: side_effects, "
                                          "adverse_events")], id="unknown form"),
    pytest.param({"assessments.0.form": "side_effects"},
                 [("assessments[0].form", "give either instrument (a questionnaire) or "
                                          "form, not both")], id="instrument and form"),
    pytest.param({"assessments.0.instrument": DELETE},
                 [("assessments[0].instrument", "is required (a questionnaire; the safety "
                                                "forms are form: side_effects or form: "
                                                "adverse_events)")], id="neither"),
    pytest.param({"assessments.0.anchor": "surgey"},
                 [("assessments[0].anchor", "unknown anchor 'surgey' (did you mean "
                                            "'surgery'?); declare it under anchors")],
                 id="assessment anchor"),
    pytest.param({"daily_diary.anchor": "surgey"},
                 [("daily_diary.anchor", "unknown anchor 'surgey' (did you mean 'surgery'?);"
                                         " declare it under anchors")], id="diary anchor"),
    pytest.param({"medication": {"table": "cdc-2021"}},
                 [("medication.table", "unknown conversion table 'cdc-2021' (did you mean "
                                       "'cdc-2022'?); shipped: cdc-2022, "
                                       "cdc-2022-anzca-2021")], id="drug table"),
    pytest.param({"medication": {"table": ["cdc-2022"]}},
                 [("medication.table", "unknown conversion table ['cdc-2022']; shipped: "
                                       "cdc-2022, cdc-2022-anzca-2021")],
                 id="drug table not a name"),
    pytest.param({"screening": [{"instrument": "dn5", "scale": "total", "op": ">",
                                 "value": 4}]},
                 [("screening[0].instrument", "unknown instrument 'dn5' (did you mean 'dn4'")],
                 id="screening instrument"),
    pytest.param({"screening": [{"instrument": ["dn4"], "scale": "total", "op": ">",
                                 "value": 4}]},
                 [("screening[0].instrument", "unknown instrument ['dn4']; shipped: ")],
                 id="screening instrument not a name"),
    pytest.param({"instrument_texts": {"bpi_s": {"en": {}}}},
                 [("instrument_texts.bpi_s", "unknown instrument 'bpi_s' (did you mean "
                                             "'bpi_sf'?)")], id="wording of an unknown one"),
    pytest.param({"endpoints": [{"key": "pain_d7", "kind": "timepoint", "day": 7},
                                {"key": "chg", "kind": "change", "of": "pain_d8"}]},
                 [("endpoints[1].of", "unknown endpoint 'pain_d8' (did you mean "
                                      "'pain_d7'?)")], id="endpoint of"),
]


@pytest.mark.parametrize(("changes", "expected"), UNKNOWN)
def test_a_name_that_refers_to_nothing_is_refused_at_its_path_with_near_names(changes,
                                                                              expected):
    got = issues_of(mutated(PARALLEL, changes))
    assert [p for p, _ in got] == [p for p, _ in expected]
    for (_, rule), (_, start) in zip(got, expected, strict=True):
        assert rule.startswith(start), rule


QUESTIONNAIRE_ENDPOINTS = [
    pytest.param({"assessment": "weekl"},
                 ("endpoints[0].assessment", "unknown assessment 'weekl' (did you mean "
                                             "'weekly'?)"),
                 id="unknown assessment"),
    pytest.param({"assessment": "m1", "scale": "severty"},
                 ("endpoints[0].scale", "'m1' (bpi_sf) has no scale 'severty' (did you mean "
                                        "'severity'?); scales: severity, interference"),
                 id="unknown scale"),
    pytest.param({"assessment": "weekly", "scale": "average", "occurrence": 12},
                 ("endpoints[0].occurrence", "'weekly' occurs 12 time(s), numbered from 0"),
                 id="occurrence past the repeats"),
]


@pytest.mark.parametrize(("fields", "issue"), QUESTIONNAIRE_ENDPOINTS)
def test_a_questionnaire_endpoint_must_name_a_scale_of_a_scheduled_assessment(fields, issue):
    endpoint = {"key": "q", "kind": "questionnaire", "scale": "severity", **fields}
    assert issues_of(mutated(PARALLEL, {"endpoints": [endpoint]})) == [issue]


def test_a_questionnaire_endpoint_cannot_score_a_safety_form():
    data = mutated(PARALLEL, {"assessments.0.instrument": DELETE,
                              "assessments.0.form": "adverse_events",
                              "endpoints": [{"key": "q", "kind": "questionnaire",
                                             "assessment": "m1"}]})
    assert issues_of(data) == [("endpoints[0].assessment",
                                "'m1' is the adverse-event form, which has no scores")]


def test_every_mistake_is_listed_at_once():
    data = mutated(PARALLEL, {"assessments.0.instrument": "bpi_sff",
                              "assessments.1.instrument": "adverse_events",
                              "assessments.2.anchor": "surgey",
                              "medication": {"table": "cdc-2021"}})
    assert [p for p, _ in issues_of(data)] == [
        "assessments[0].instrument", "assessments[1].instrument", "assessments[2].anchor",
        "medication.table"]


def test_forms_are_read_into_the_model():
    data = mutated(PARALLEL, {"assessments.0.instrument": DELETE,
                              "assessments.0.form": "side_effects",
                              "assessments.1.instrument": DELETE,
                              "assessments.1.form": "adverse_events"})
    protocol = parse_protocol(yaml_text(data))
    assert [(a.form, a.instrument) for a in protocol.assessments] == [
        (SIDE_EFFECTS, SIDE_EFFECTS), (ADVERSE_EVENTS, ADVERSE_EVENTS),
        (QUESTIONNAIRE, "nrs_pain")]


def test_a_stored_version_with_a_broken_name_still_loads_and_warns():
    # Studies created before the check existed must keep loading (nothing stored is
    # lost); what the seed protocols meant by instrument: side_effects is the form.
    data = mutated(PARALLEL, {"assessments.0.instrument": "fdi",
                              "assessments.1.instrument": "side_effects"})
    with pytest.raises(ProtocolError):
        check_protocol(yaml_text(data))
    checked = check_protocol(yaml_text(data), strict=False)
    assert [(a.instrument, a.form) for a in checked.protocol.assessments[:2]] == [
        ("fdi", QUESTIONNAIRE), ("side_effects", SIDE_EFFECTS)]
    assert [p for p, _ in checked.warnings][:2] == ["assessments[0].instrument",
                                                    "assessments[1].instrument"]


def test_a_licensed_instrument_without_wording_in_a_study_language_is_a_warning():
    # m1 is the licensed BPI; the study speaks French and English and gives French only.
    data = mutated(PARALLEL, {
        "languages": ["fr", "en"],
        "instrument_texts": {"bpi_sf": {"fr": {"bpi_3": "Douleur maximale"}}}})
    checked = check_protocol(yaml_text(data))
    assert checked.warnings == [
        ("instrument_texts.bpi_sf.en", "bpi_sf is licensed and the study gives no wording "
                                       "in 'en': the app shows neutral item labels")]


def test_free_instruments_and_forms_need_no_wording():
    data = mutated(PARALLEL, {"assessments.0.instrument": "pgic"})
    assert check_protocol(yaml_text(data)).warnings == []


def test_licensed_screening_instruments_are_warned_about_too():
    data = mutated(PARALLEL, {"assessments.0.instrument": "pgic",
                              "screening": [{"instrument": "dn4", "scale": "total",
                                             "op": ">=", "value": 4}]})
    assert [p for p, _ in check_protocol(yaml_text(data)).warnings] == [
        "instrument_texts.dn4.en"]


def test_did_you_mean_offers_at_most_three_names():
    assert did_you_mean("phq", ["phq9", "phq_a", "phq_b", "phq_c"]).count("'") == 6
    assert did_you_mean(["not", "a", "name"], ["bpi_sf"]) == ""


def test_a_stored_version_is_read_leniently_by_the_study_service():
    # protocol_of serves every request of a running study: a version stored before the
    # check must not turn into a 500 on each of them.
    from diary.db.models import ProtocolVersion
    from diary.services.studies import protocol_of

    source = yaml_text(mutated(PARALLEL, {"assessments.0.instrument": "fdi"}))
    with pytest.raises(ProtocolError):
        parse_protocol(source)
    version = ProtocolVersion(sha256="0" * 63 + "1", source=source)
    assert protocol_of(version).assessments[0].instrument == "fdi"


def test_a_study_words_answer_options_too_and_an_unknown_code_is_refused():
    """``<item>.<code>`` keys give an option's licensed label (issue 19)."""
    data = mutated(PARALLEL, {
        "languages": ["fr"], "screening": [{"instrument": "dn4", "scale": "total",
                                            "op": ">=", "value": 4}],
        "instrument_texts": {"dn4": {"fr": {"dn4_1": "Brûlure?", "dn4_1.1": "oui",
                                            "dn4_1.0": "non"}}}})
    protocol = parse_protocol(yaml_text(data))
    assert protocol.instrument_texts["dn4"]["fr"]["dn4_1.1"] == "oui"
    bad = mutated(data, {"instrument_texts": {"dn4": {"fr": {"dn4_1.7": "peut-être"}}}})
    with pytest.raises(ProtocolError) as exc:
        parse_protocol(yaml_text(bad))
    assert "instrument_texts.dn4.fr" in str(exc.value) and "dn4_1.7" in str(exc.value)
