"""Questionnaires from the app: definitions, validation item by item, scoring on receipt,
windows, corrections; and eligibility screening before enrolment."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from diary.db.audit_models import AuditRecord

PROTOCOL = """
key: q-demo
title: Questionnaire demo
timezone: Europe/Paris
design: parallel
sites: [PAR]
languages: [en, fr]
arms: [{key: A}, {key: B}]
anchors: [{key: surgery}]
assessments:
  - {key: phq9_d7, instrument: phq9, anchor: surgery, offset: P7D,
     window: {open: -P1D, close: P1D}}
screening:
  - {instrument: dn4, scale: total, op: ">", value: 4}
instrument_texts:
  dn4:
    fr: {dn4_1: "Brulure ?"}
"""
PHQ9 = {f"phq9_{n}": v for n, v in zip(range(1, 10), [0, 1, 2, 3, 0, 1, 2, 3, 1], strict=True)}


def dn4(yes: int) -> dict:
    return {f"dn4_{n}": int(n <= yes) for n in range(1, 11)}


@pytest.fixture
def study(api, clock):
    admin = api.create_admin()
    key = api.create_study(admin, PROTOCOL)
    return {"admin": admin, "key": key}


def _screen(api, study, number, yes):
    return api.c.post(f"/api/v1/studies/{study['key']}/screenings",
                      headers=api.bearer(study["admin"]),
                      json={"screening_number": number, "site": "PAR", "instrument": "dn4",
                            "answers": dn4(yes)})


def _enrol(api, study, subject, **extra):
    return api.c.post(f"/api/v1/studies/{study['key']}/participants",
                      headers=api.bearer(study["admin"]),
                      json={"subject_id": subject, "site": "PAR", "arm": "A", **extra})


@pytest.fixture
def device(api, study, clock):
    assert _screen(api, study, "SCR-1", 6).status_code == 201
    r = _enrol(api, study, "S1", screening_number="SCR-1")
    assert r.status_code == 201, r.json
    token = api.activate(r.json["activation_code"])
    r = api.event(study["admin"], study["key"], "S1", type="surgery",
                  occurred_at="2027-03-01T08:00:00+00:00")
    assert r.status_code == 201, r.json
    return token


def _respond(api, token, instrument="phq9", answers=None, **extra):
    body = {"instrument": instrument, "answers": PHQ9 if answers is None else answers,
            "client_id": str(uuid.uuid4()), "device_time": "2027-03-08T10:00:00+01:00",
            **extra}
    return api.c.post("/api/v1/me/questionnaire-responses", headers=api.bearer(token),
                      json=body)


def test_licensed_instruments_ship_neutral_labels_and_the_study_supplies_wording(
        api, study, device):
    r = api.c.get("/api/v1/instruments/dn4", headers=api.bearer(device))
    assert (r.json["licence"], r.json["items"][0]["text"]) == ("licensed", "DN4 item 1")
    assert [o["code"] for o in r.json["items"][0]["options"]] == [0, 1]
    listing = api.c.get("/api/v1/instruments", headers=api.bearer(device)).json
    assert {"phq9", "gad7", "dn4", "bpi_sf", "hads", "psqi"} <= {i["id"] for i in listing}
    # A French-speaking participant sees the study's French wording.
    assert _screen(api, study, "SCR-FR", 6).status_code == 201
    code = _enrol(api, study, "S-FR", screening_number="SCR-FR",
                  language="fr").json["activation_code"]
    mine = api.c.get("/api/v1/me/instruments/dn4", headers=api.bearer(api.activate(code))).json
    assert (mine["language"], mine["items"][0]["text"]) == ("fr", "Brulure ?")
    assert mine["items"][1]["text"] == "DN4 item 2"  # no study text: the neutral label


def test_a_response_in_its_window_is_scored_on_receipt(api, device, clock):
    clock.set(datetime(2027, 3, 8, 9, tzinfo=UTC))  # day 7 in Paris
    r = _respond(api, device)
    assert r.status_code == 201, r.json
    assert r.json["scores"]["total"]["value"] == 0 + 1 + 2 + 3 + 0 + 1 + 2 + 3 + 1
    assert r.json["scores"]["total"]["band"] == "moderate"  # 13: 10-14
    assert (r.json["timing"], r.json["assessment"]) == ("in_window", "phq9_d7")
    assert r.json["answers"] == PHQ9 and r.json["instrument_version"]


def test_a_response_outside_every_window_is_kept_as_unscheduled(api, device, clock):
    clock.set(datetime(2027, 3, 3, 9, tzinfo=UTC))
    r = _respond(api, device)
    assert (r.status_code, r.json["timing"], r.json["window_id"]) == (201, "unscheduled", None)


def test_a_retry_returns_the_original(api, device, clock):
    clock.set(datetime(2027, 3, 8, 9, tzinfo=UTC))
    client_id = str(uuid.uuid4())
    first = _respond(api, device, client_id=client_id)
    again = _respond(api, device, client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]


@pytest.mark.parametrize(("item", "value", "rule"), [
    ("phq9_1", True, "phq9_1"), ("phq9_1", 2.5, "phq9_1"), ("phq9_1", "3", "phq9_1"),
    ("phq9_1", 4, "one of 0, 1, 2, 3"), ("phq9_99", 1, "phq9_99"),
])
def test_each_refused_answer_names_its_item(api, device, item, value, rule):
    r = _respond(api, device, answers={**PHQ9, item: value})
    assert r.status_code == 422
    assert r.json["code"] == "invalid_answers"
    assert r.json["field"] == f"answers.{item}"
    assert rule in " ".join(r.json["errors"][f"answers.{item}"]) or rule == item


def test_a_second_response_for_a_window_needs_corrects_and_a_reason(api, device, clock, app):
    clock.set(datetime(2027, 3, 8, 9, tzinfo=UTC))
    first = _respond(api, device).json
    r = _respond(api, device)
    assert (r.status_code, r.json["code"], r.json["field"]) == (409, "window_answered",
                                                                "corrects")
    r = _respond(api, device, corrects=first["id"])
    assert (r.status_code, r.json["field"]) == (422, "reason")
    fixed = _respond(api, device, answers={**PHQ9, "phq9_9": 0}, corrects=first["id"],
                     reason="item 9 tapped by mistake")
    assert fixed.status_code == 201, fixed.json
    assert (fixed.json["version"], fixed.json["supersedes_id"]) == (2, first["id"])
    assert fixed.json["scores"]["total"]["value"] == 13 - 1
    assert fixed.json["window_id"] == first["window_id"]
    items = api.c.get("/api/v1/me/questionnaire-responses",
                      headers=api.bearer(device)).json["items"]
    assert [(i["version"], i["is_current"]) for i in items] == [(2, True), (1, False)]
    with app.extensions["paindiary"].session_factory() as s:
        actions = list(s.scalars(select(AuditRecord.action).where(
            AuditRecord.entity == "questionnaire_response")))
    assert actions == ["questionnaire.respond", "questionnaire.correct"]


def test_a_failed_screening_blocks_enrolment_unless_overridden_with_a_reason(api, study, app):
    r = _screen(api, study, "SCR-2", 4)  # 4 is not > 4
    assert r.status_code == 201
    assert r.json["eligible"] is False
    assert r.json["verdicts"] == [{"rule": "dn4 total > 4", "value": 4, "passed": False}]
    r = _enrol(api, study, "S2", screening_number="SCR-2")
    assert (r.status_code, r.json["code"]) == (422, "screening_failed")
    assert "dn4 total > 4 not met (score 4)" in r.json["message"]
    r = _enrol(api, study, "S2", screening_number="SCR-2",
               screening_override="investigator judgement: DN4 done twice, 5 on retest")
    assert r.status_code == 201, r.json
    with app.extensions["paindiary"].session_factory() as s:
        record = s.scalars(select(AuditRecord).where(
            AuditRecord.action == "participant.enrol")).one()
    assert record.reason.startswith("investigator judgement")
    assert record.after["screening_override"] is True


def test_enrolment_needs_a_screening_when_the_study_screens(api, study):
    r = _enrol(api, study, "S3")
    assert (r.status_code, r.json["field"]) == (422, "screening_number")
    r = _enrol(api, study, "S3", screening_number="SCR-404")
    assert "no dn4 screening recorded" in r.json["message"]


def test_a_screening_serves_one_participant(api, study):
    assert _screen(api, study, "SCR-5", 7).status_code == 201
    assert _enrol(api, study, "S5", screening_number="SCR-5").status_code == 201
    r = _enrol(api, study, "S6", screening_number="SCR-5")
    assert (r.status_code, r.json["field"]) == (409, "screening_number")
    listing = api.c.get(f"/api/v1/studies/{study['key']}/screenings",
                        headers=api.bearer(study["admin"])).json
    assert [(s["screening_number"], s["eligible"], s["enrolled"]) for s in listing] == [
        ("SCR-5", True, True)]


def test_only_the_studys_screening_instruments_are_accepted(api, study):
    r = api.c.post(f"/api/v1/studies/{study['key']}/screenings",
                   headers=api.bearer(study["admin"]),
                   json={"screening_number": "X", "site": "PAR", "instrument": "phq9",
                         "answers": PHQ9})
    assert (r.status_code, r.json["field"]) == (422, "instrument")


def _fhir_response(answers: dict, client_id: str, **extra) -> dict:
    return {
        "resourceType": "QuestionnaireResponse", "status": "completed",
        "questionnaire": "urn:paindiary/Questionnaire/phq9",
        "identifier": {"value": client_id}, "authored": "2027-03-08T10:00:00+01:00",
        "item": [{"linkId": item, "answer": [{"valueCoding": {
            "system": "urn:paindiary/CodeSystem/phq9", "code": str(value)}}]}
            for item, value in answers.items()],
        **extra,
    }


def test_a_fhir_questionnaire_response_is_accepted_on_the_same_endpoint(api, device, clock):
    clock.set(datetime(2027, 3, 8, 9, tzinfo=UTC))
    body = _fhir_response(PHQ9, str(uuid.uuid4()))
    r = api.c.post("/api/v1/me/questionnaire-responses", headers=api.bearer(device),
                   json=body, content_type="application/fhir+json")
    assert r.status_code == 201, r.json
    assert (r.json["channel"], r.json["timing"]) == ("fhir", "in_window")
    assert r.json["answers"] == PHQ9
    assert r.json["scores"]["total"]["value"] == 13


@pytest.mark.parametrize("answer", [{"valueInteger": "2"}, {"valueInteger": True}, {}])
def test_fhir_answers_that_fhir_resources_would_coerce_are_refused(api, device, answer):
    body = _fhir_response({}, str(uuid.uuid4()))
    body["item"] = [{"linkId": "phq9_1", "answer": [answer]}]
    r = api.c.post("/api/v1/me/questionnaire-responses", headers=api.bearer(device),
                   json=body, content_type="application/fhir+json")
    assert r.status_code == 422
    assert any(path.startswith("item[0]") for path in r.json["errors"]), r.json


def test_instruments_publish_as_fhir_questionnaires_and_responses_export_as_a_bundle(
        api, study, device, clock):
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.questionnaire import Questionnaire

    r = api.c.get("/api/v1/instruments/phq9?format=fhir", headers=api.bearer(device))
    assert r.mimetype == "application/fhir+json"
    Questionnaire(**r.get_json(force=True))
    clock.set(datetime(2027, 3, 8, 9, tzinfo=UTC))
    assert _respond(api, device).status_code == 201
    admin = api.login("admin@site.org", "correct horse battery")  # 12-hour staff tokens
    r = api.c.get(f"/api/v1/studies/{study['key']}/participants/S1/fhir-bundle",
                  headers=api.bearer(admin))
    bundle = r.get_json(force=True)
    Bundle(**bundle)
    kinds = sorted(e["resource"]["resourceType"] for e in bundle["entry"])
    assert kinds == ["Observation", "QuestionnaireResponse"]
    observation = next(e["resource"] for e in bundle["entry"]
                       if e["resource"]["resourceType"] == "Observation")
    assert observation["code"]["coding"][0]["code"] == "44261-6"  # PHQ-9 total score
    assert observation["valueInteger"] == 13


ENDPOINT_PROTOCOL = """
key: q-endpoints
title: Questionnaire endpoints
timezone: Europe/Paris
design: parallel
arms: [{key: A}, {key: B}]
anchors: [{key: surgery}]
assessments:
  - {key: phq9_base, instrument: phq9, anchor: enrolment, offset: P0D,
     window: {open: P0D, close: P0D}}
  - {key: phq9_d7, instrument: phq9, anchor: surgery, offset: P7D,
     window: {open: -P1D, close: P1D}}
endpoints:
  - {key: phq9_base, kind: questionnaire, assessment: phq9_base}
  - {key: phq9_d7, kind: questionnaire, assessment: phq9_d7}
  - {key: chg_phq9, kind: change, of: phq9_d7, baseline: phq9_base}
"""


def test_questionnaire_scores_at_windows_are_endpoints_with_change(api, clock):
    admin = api.create_admin()
    key = api.create_study(admin, ENDPOINT_PROTOCOL)
    code = api.enrol(admin, key, subject_id="S1", site="X", arm="A")["activation_code"]
    device = api.activate(code)
    assert _respond(api, device).status_code == 201  # at enrolment: 13
    assert api.event(admin, key, "S1", type="surgery",
                     occurred_at="2027-03-01T17:00:00+00:00").status_code == 201
    clock.set(datetime(2027, 3, 8, 9, tzinfo=UTC))
    better = {item: 0 for item in PHQ9} | {"phq9_1": 2}
    assert _respond(api, device, answers=better).json["timing"] == "in_window"
    admin = api.login("admin@site.org", "correct horse battery")
    r = api.c.get(f"/api/v1/studies/{key}/endpoints?layout=wide&format=csv",
                  headers=api.bearer(admin))
    (row,) = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert (float(row["phq9_base"]), float(row["phq9_d7"])) == (13, 2)
    assert float(row["chg_phq9"]) == 2 - 13


def test_rescoring_after_a_rule_fix_updates_scores_and_audits_old_and_new(
        api, device, clock, app, monkeypatch):
    from scoring.instruments import registry

    clock.set(datetime(2027, 3, 8, 9, tzinfo=UTC))
    response = _respond(api, device).json
    runner = app.test_cli_runner()
    unchanged = runner.invoke(args=["questionnaires", "rescore"])
    assert "1 responses checked, 0 rescored" in unchanged.output
    real = registry.SCORERS["phq9"]

    def fixed_rule(answers, **options):  # a corrected rule: here, one point less
        result = real(answers, **options)
        total = result["total"]
        return replace(result, scales=(replace(total, value=total.value - 1),))

    monkeypatch.setitem(registry.SCORERS, "phq9", fixed_rule)
    result = runner.invoke(args=["questionnaires", "rescore", "--instrument", "phq9"])
    assert result.exit_code == 0, result.output
    assert f"rescored {response['id']}" in result.output
    with app.extensions["paindiary"].session_factory() as s:
        record = s.scalars(select(AuditRecord).where(
            AuditRecord.action == "questionnaire.rescore")).one()
    assert record.before["scores"]["total"]["value"] == 13
    assert record.after["scores"]["total"]["value"] == 12
    mine = api.c.get("/api/v1/me/questionnaire-responses", headers=api.bearer(device)).json
    assert mine["items"][0]["scores"]["total"]["value"] == 12
    assert mine["items"][0]["answers"] == PHQ9  # answers untouched


def test_a_study_may_refuse_responses_outside_their_windows(api, clock):
    admin = api.create_admin()
    key = api.create_study(admin, ENDPOINT_PROTOCOL.replace(
        "key: q-endpoints", "key: q-strict\noutside_windows: refuse"))
    device = api.activate(api.enrol(admin, key, subject_id="S1", site="X",
                                    arm="A")["activation_code"])
    clock.set(datetime(2027, 3, 3, 9, tzinfo=UTC))  # after the enrolment-day window
    r = _respond(api, device)
    assert (r.status_code, r.json["code"]) == (422, "outside_window")


OVERLAPPING = """
key: q-courses
title: Overlapping windows of repeated courses
timezone: Europe/Paris
design: single_group
sites: [PAR]
anchors: [{key: infusion, max_count: null}]
assessments:
  - {key: phq9_d7, instrument: phq9, anchor: infusion, offset: P7D,
     window: {open: -P3D, close: P3D}}
"""


def test_with_two_windows_of_one_instrument_open_each_answer_takes_an_unanswered_one(
        api, clock):
    """Courses on 1 and 4 March: windows 5-11 and 8-14 March, both open on 9 March. A
    response without window_id takes the first to close that is not answered yet; only
    when both are answered is a third one a 409."""
    admin = api.create_admin()
    api.create_study(admin, OVERLAPPING)
    clock.set(datetime(2027, 3, 1, 8, tzinfo=UTC))
    token = api.activate(api.enrol(admin, "q-courses", subject_id="S1",
                                   site="PAR")["activation_code"])
    for day in (1, 4):
        clock.set(datetime(2027, 3, day, 9, tzinfo=UTC))
        r = api.event(api.login("admin@site.org", "correct horse battery"), "q-courses", "S1",
                      type="infusion", occurred_at=f"2027-03-0{day}T08:00:00+00:00")
        assert r.status_code == 201, r.json
    clock.set(datetime(2027, 3, 9, 9, tzinfo=UTC))
    tasks = api.c.get("/api/v1/me/tasks", headers=api.bearer(token)).json["open_windows"]
    assert len(tasks) == 2
    first, second = _respond(api, token), _respond(api, token)
    assert (first.status_code, second.status_code) == (201, 201), second.json
    assert [first.json["window_id"], second.json["window_id"]] == [t["id"] for t in sorted(
        tasks, key=lambda t: t["closes_at"])]
    assert _respond(api, token).status_code == 409
