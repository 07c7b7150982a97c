"""The side-effect checklist and adverse events, and the coordinator alerts they raise:
one alert per severe or serious report, never two for a retry."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from diary.safety import DEFAULT_SYMPTOMS
from tests.e2e.reminder_support import Harness

STUDY = "mini-crossover"
PARIS = ZoneInfo("Europe/Paris")
ME = "/api/v1/me/side-effects"
AES = f"/api/v1/studies/{STUDY}/participants/S001/adverse-events"
ALERTS = f"/api/v1/studies/{STUDY}/alerts"


def checklist(day="2027-03-01", free_text=None, reason=None, **severities) -> dict:
    answers = {s.code: 0 for s in DEFAULT_SYMPTOMS} | severities
    body = {"diary_date": day, "answers": answers, "client_id": str(uuid.uuid4()),
            "device_time": "2027-03-01T20:00:00+01:00"}
    if free_text:
        body["free_text"] = free_text
    if reason:
        body["reason"] = reason
    return body


def event(**fields) -> dict:
    body = {"term": "Hallucinations", "onset": "2027-03-01", "severity": "moderate",
            "serious": False, "relatedness": "probable", "client_id": str(uuid.uuid4())}
    return {**body, **fields}


@pytest.fixture
def evening(clock):
    clock.set(datetime(2027, 3, 1, 21, tzinfo=PARIS))


def _alerts(api, s001):
    r = api.c.get(ALERTS, headers=api.bearer(s001["admin"]))
    assert r.status_code == 200, r.json
    return [(a["kind"], a["subject_id"], a["body"]) for a in r.json["items"]]


def test_a_complete_checklist_is_stored_and_a_mild_one_raises_no_alert(api, s001, evening):
    h = api.bearer(s001["token"])
    r = api.c.post(ME, headers=h, json=checklist(nausea="mild", headache=2,
                                                 free_text="after lunch"))
    assert r.status_code == 201, r.json
    assert (r.json["answers"]["nausea"], r.json["answers"]["headache"],
            r.json["max_severity"], r.json["free_text"]) == (1, 2, 2, "after lunch")
    assert _alerts(api, s001) == []


@pytest.mark.parametrize(("answers", "field"), [
    ({"nausea": "awful"}, "answers.nausea"),
    ({"nausea": 4}, "answers.nausea"),
    ({"metallic_taste": 1}, "metallic_taste"),
])
def test_refused_answers_name_the_symptom(api, s001, evening, answers, field):
    r = api.c.post(ME, headers=api.bearer(s001["token"]), json=checklist(**answers))
    assert (r.status_code, r.json["field"]) == (422, field), r.json


def test_every_symptom_must_be_answered(api, s001, evening):
    body = checklist()
    del body["answers"]["dizziness"]
    r = api.c.post(ME, headers=api.bearer(s001["token"]), json=body)
    assert (r.status_code, r.json["field"]) == (422, "answers.dizziness")


def test_a_second_report_for_a_day_is_a_correction_with_a_reason(api, s001, evening):
    h = api.bearer(s001["token"])
    api.c.post(ME, headers=h, json=checklist(nausea=1))
    again = api.c.post(ME, headers=h, json=checklist(nausea=2))
    assert (again.status_code, again.json["code"]) == (409, "correction_needs_reason")
    fixed = api.c.post(ME, headers=h, json=checklist(nausea=2, reason="got worse"))
    assert (fixed.status_code, fixed.json["version"]) == (201, 2)
    items = api.c.get(ME, headers=h).json["items"]
    assert [(i["version"], i["is_current"]) for i in items] == [(2, True), (1, False)]


def test_a_closed_or_future_day_is_refused(api, s001, clock):
    h = api.bearer(s001["token"])
    clock.set(datetime(2027, 3, 3, 12, 30, tzinfo=PARIS))
    late = api.c.post(ME, headers=h, json=checklist(day="2027-03-01"))
    future = api.c.post(ME, headers=h, json=checklist(day="2027-03-04"))
    assert (late.json["code"], future.json["field"]) == ("late_entry", "diary_date")


def test_a_severe_symptom_alerts_the_coordinator_exactly_once(api, s001, evening):
    h = api.bearer(s001["token"])
    body = checklist(vomiting="severe")
    assert api.c.post(ME, headers=h, json=body).status_code == 201
    assert api.c.post(ME, headers=h, json=body).status_code == 200  # a retry
    # A correction with the same severe symptom does not alert again ...
    same = checklist(vomiting=3, headache=1, reason="added the headache")
    assert api.c.post(ME, headers=h, json=same).status_code == 201
    assert _alerts(api, s001) == [
        ("safety_alert", "S001", "S001: severe vomiting (side-effect diary for 2027-03-01).")]
    # ... one that adds a severe symptom does.
    worse = checklist(vomiting=3, hallucinations=3, reason="hallucinations overnight")
    assert api.c.post(ME, headers=h, json=worse).status_code == 201
    assert len(_alerts(api, s001)) == 2


def test_the_dispatcher_delivers_alerts_in_the_app_and_they_can_be_acknowledged(
        api, app, s001, evening, twilio_transport):
    api.c.post(ME, headers=api.bearer(s001["token"]), json=checklist(nausea=3))
    Harness(app, twilio_transport).tick()
    admin = api.bearer(s001["admin"])
    (alert,) = api.c.get(ALERTS, headers=admin).json["items"]
    assert (alert["state"], alert["channel"]) == ("delivered", "alert")
    r = api.c.post(f"{ALERTS}/{alert['id']}/acknowledgement", headers=admin)
    assert r.status_code == 200 and r.json["acknowledged_at"] is not None


def test_adverse_events_are_recorded_corrected_and_listed(api, s001, evening):
    admin = api.bearer(s001["admin"])
    first = api.c.post(AES, headers=admin, json=event())
    assert first.status_code == 201, first.json
    assert (first.json["severity"], first.json["serious"]) == (2, False)
    fix = event(resolved="2027-03-01", corrects=first.json["id"], reason="resolved same day")
    second = api.c.post(AES, headers=admin, json=fix)
    assert (second.status_code, second.json["version"], second.json["series_id"]) == (
        201, 2, first.json["id"])
    listed = api.c.get(AES + "?current_only=true", headers=admin).json["items"]
    assert [(e["term"], e["resolved"]) for e in listed] == [("Hallucinations", "2027-03-01")]
    assert _alerts(api, s001) == []  # moderate and not serious


@pytest.mark.parametrize(("fields", "field"), [
    ({"severity": "none"}, "severity"),
    ({"severity": 5}, "severity"),
    ({"relatedness": "maybe"}, "relatedness"),
    ({"serious": "yes"}, "serious"),
    ({"onset": "2027-03-02"}, "onset"),              # tomorrow
    ({"onset": "2027-02-20"}, "onset"),              # before enrolment
    ({"resolved": "2027-02-28"}, "resolved"),
    ({"corrects": "no-such-event", "reason": "typo"}, "corrects"),
])
def test_refused_adverse_events_name_the_field(api, s001, evening, fields, field):
    r = api.c.post(AES, headers=api.bearer(s001["admin"]), json=event(**fields))
    assert r.status_code in (404, 422) and r.json["field"] == field, r.json


def test_a_serious_adverse_event_alerts_once_even_when_retried(api, s001, evening):
    admin = api.bearer(s001["admin"])
    body = event(term="Syncope", severity="severe", serious=True)
    assert api.c.post(AES, headers=admin, json=body).status_code == 201
    assert api.c.post(AES, headers=admin, json=body).status_code == 200
    assert _alerts(api, s001) == [(
        "safety_alert", "S001",
        "S001: serious adverse event: Syncope; severe adverse event: Syncope "
        "(adverse event, onset 2027-03-01).")]
