"""FHIR QuestionnaireResponses as LHC-Forms and the SDC guide write them, posted to the
participant's endpoint (issue 18): stored with warnings, partial as the protocol says,
refused with the path and the value."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.unit.fhir import shapes

PROTOCOL = f"""
key: fhir-intake
title: FHIR intake
timezone: Europe/Paris
design: parallel
arms: [{{key: A}}, {{key: B}}]
assessments:
  - {{key: gad7_base, instrument: gad7, anchor: enrolment, offset: P0D,
     window: {{open: P0D, close: P2D}}}}
fhir:
  in_progress: partial
  questionnaire_aliases:
    - canonical: {shapes.SDC_PHQ9}
      instrument: phq9
      link_ids: {{{", ".join(f"'{k}': {v}" for k, v in shapes.SDC_PHQ9_LINK_IDS.items())}}}
      answers:
        system: {shapes.SDC_CSPHQ9}
        codes: {{{", ".join(f"'{k}': {v}" for k, v in shapes.SDC_ANSWER_CODES.items())}}}
"""
AUTHORED = "2027-03-02T10:00:00+01:00"
PHQ9_ANSWERS = {f"phq9_{n}": s for n, s in enumerate(shapes.PHQ9_SCORES, 1)}


@pytest.fixture
def study(api, clock):
    admin = api.create_admin()
    key = api.create_study(admin, PROTOCOL)
    code = api.enrol(admin, key, subject_id="S1", site="X", arm="A")["activation_code"]
    clock.set(datetime(2027, 3, 2, 9, tzinfo=UTC))
    return {"admin": admin, "key": key, "device": api.activate(code)}


def post(api, study, resource):
    resource = {**resource, "authored": AUTHORED}
    return api.c.post("/api/v1/me/questionnaire-responses", headers=api.bearer(study["device"]),
                      json=resource, content_type="application/fhir+json")


def test_an_lhc_forms_response_without_questionnaire_or_identifier_is_stored_once(api, study):
    resource = shapes.lhc_forms_phq9()
    r = post(api, study, resource)
    assert r.status_code == 201, r.json
    assert (r.json["instrument"], r.json["channel"], r.json["warnings"]) == ("phq9", "fhir", None)
    assert r.json["answers"] == {**PHQ9_ANSWERS, "phq9_10": 1}
    assert r.json["scores"]["total"]["value"] == 10
    # The same resource again (no identifier to key retries on): the same response.
    again = post(api, study, resource)
    assert (again.status_code, again.json["id"]) == (200, r.json["id"])


def test_a_total_that_differs_from_ours_is_stored_as_a_warning_and_ours_wins(api, study):
    r = post(api, study, shapes.lhc_forms_gad7(total=12))
    assert r.status_code == 201, r.json
    assert r.json["scores"]["total"]["value"] == 9
    warning = {"path": "item[7].answer[0].valueDecimal", "scale": "total", "sent": 12,
               "ours": 9, "rule": "the client calculated 12 but our total is 9; ours is kept"}
    assert r.json["warnings"] == [warning]
    listed = api.c.get("/api/v1/me/questionnaire-responses",
                       headers=api.bearer(study["device"])).json["items"]
    assert listed[0]["warnings"] == [warning]


def test_the_sdc_guides_phq9_is_read_through_the_studys_alias(api, study):
    r = post(api, study, shapes.sdc_phq9(version="4.0.0-ballot"))
    assert r.status_code == 201, r.json
    assert r.json["answers"] == PHQ9_ANSWERS
    assert r.json["warnings"] is None  # H1/TS = 10, as ours


def test_an_in_progress_response_is_kept_as_partial_and_the_completed_one_continues_it(
        api, study):
    partial = shapes.lhc_forms_gad7()
    partial["status"] = "in-progress"
    del partial["item"][3:]
    first = post(api, study, partial)
    assert first.status_code == 201, first.json
    assert (first.json["partial"], first.json["timing"]) == (True, "in_window")
    assert first.json["scores"]["total"]["value"] is None
    done = post(api, study, shapes.lhc_forms_gad7())
    assert done.status_code == 201, done.json
    assert (done.json["partial"], done.json["version"]) == (False, 2)
    assert done.json["supersedes_id"] == first.json["id"]
    assert done.json["window_id"] == first.json["window_id"]
    assert done.json["scores"]["total"]["value"] == 9


def test_a_partial_response_exports_in_a_valid_bundle(api, study):
    from fhir.resources.R4B.bundle import Bundle

    partial = shapes.lhc_forms_gad7()
    partial["status"] = "in-progress"
    assert post(api, study, partial).status_code == 201
    admin = api.login("admin@site.org", "correct horse battery")  # 12-hour staff tokens
    r = api.c.get(f"/api/v1/studies/{study['key']}/participants/S1/fhir-bundle",
                  headers=api.bearer(admin))
    bundle = r.get_json(force=True)
    Bundle(**bundle)
    assert bundle["entry"][0]["resource"]["status"] == "in-progress"
    assert bundle["entry"][1]["resource"]["status"] == "preliminary"


def test_an_unknown_modifier_extension_is_refused_naming_it(api, study):
    resource = shapes.lhc_forms_phq9()
    url = "http://example.org/fhir/StructureDefinition/answer-negated"
    resource["item"][0]["answer"][0]["modifierExtension"] = [{"url": url,
                                                               "valueBoolean": True}]
    r = post(api, study, resource)
    assert r.status_code == 422
    [rule] = r.json["errors"]["item[0].answer[0].modifierExtension[0]"]
    assert url in rule


def test_a_refused_answer_names_its_path_and_value(api, study):
    resource = shapes.with_item(shapes.lhc_forms_phq9(), 3, answer=[
        {"valueCoding": {"system": shapes.LOINC, "code": "LA9999-9"}}])
    r = post(api, study, resource)
    assert r.status_code == 422
    [rule] = r.json["errors"]["item[3].answer[0].valueCoding.code"]
    assert "LA9999-9" in rule


def test_fhir_only_fields_are_not_taken_from_our_json(api, study):
    r = api.c.post("/api/v1/me/questionnaire-responses", headers=api.bearer(study["device"]),
                   json={"instrument": "phq9", "answers": PHQ9_ANSWERS, "partial": True,
                         "client_id": "9b2f0a52-8d55-4c4e-9a55-5d1b0e2f6f11",
                         "device_time": AUTHORED})
    assert r.status_code == 422
    assert "partial" in r.json["errors"]


def test_the_openapi_document_declares_fhir_json_in_and_out(api):
    paths = api.c.get("/api/openapi.json").json["paths"]
    body = paths["/api/v1/me/questionnaire-responses"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "application/fhir+json"}
    published = paths["/api/v1/instruments/{instrument_id}"]["get"]["responses"]["200"]
    assert set(published["content"]) == {"application/json", "application/fhir+json"}
    bundle = paths["/api/v1/studies/{key}/participants/{subject_id}/fhir-bundle"]["get"]
    assert set(bundle["responses"]["200"]["content"]) == {"application/fhir+json"}


def test_the_fhir_base_serves_a_valid_capability_statement_and_every_questionnaire(
        api, study):
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement
    from fhir.resources.R4B.questionnaire import Questionnaire

    r = api.c.get("/fhir/metadata")  # no token: FHIR clients read it first
    assert (r.status_code, r.mimetype) == (200, "application/fhir+json")
    statement = r.get_json(force=True)
    CapabilityStatement(**statement)
    resources = {x["type"]: x for x in statement["rest"][0]["resource"]}
    assert [i["code"] for i in resources["Questionnaire"]["interaction"]] == ["read",
                                                                               "search-type"]
    auth = api.bearer(study["device"])
    assert api.c.get("/fhir/Questionnaire/phq9").status_code == 401
    for qid in ("phq9", "bpi-sf", "bpi_sf"):
        r = api.c.get(f"/fhir/Questionnaire/{qid}", headers=auth)
        assert r.status_code == 200, r.get_data(as_text=True)
        Questionnaire(**r.get_json(force=True))
    published = api.c.get("/fhir/Questionnaire", headers=auth).get_json(force=True)
    Bundle(**published)
    for entry in published["entry"]:
        Questionnaire(**entry["resource"])
    phq9 = next(e["resource"] for e in published["entry"] if e["resource"]["id"] == "phq9")
    assert phq9["code"][0]["code"] == "44249-1"
    assert [o["valueCoding"]["code"] for o in phq9["item"][9]["answerOption"]] == [
        "LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3"]
    r = api.c.get("/fhir/Questionnaire/phq-99", headers=auth)
    assert (r.status_code, r.json["field"]) == (404, "questionnaire_id")


def test_an_app_saving_one_identifier_in_progress_then_completed_continues_it(api, study):
    identifier = {"system": "urn:ietf:rfc:3986",
                  "value": "urn:uuid:3f1c7d0e-5b7a-4f6e-9d0c-2a4b6c8e0f12"}
    saved = shapes.lhc_forms_gad7()
    saved.update(status="in-progress", identifier=identifier)
    del saved["item"][2:]
    first = post(api, study, saved)
    assert first.status_code == 201, first.json
    assert post(api, study, saved).json["id"] == first.json["id"]  # a retry of the save
    saved["item"] = shapes.lhc_forms_gad7()["item"][:5]
    second = post(api, study, saved)
    assert (second.status_code, second.json["version"]) == (201, 2), second.json
    done = {**shapes.lhc_forms_gad7(), "identifier": identifier}
    third = post(api, study, done)
    assert (third.status_code, third.json["version"], third.json["partial"]) == (201, 3, False)
    assert post(api, study, done).json["id"] == third.json["id"]  # a retry of the completed
