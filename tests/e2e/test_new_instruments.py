"""EQ-5D-5L, FDI and FPS-R through the HTTP API: listed and published like the other
instruments, wording from the protocol, answers refused item by item, scored on receipt."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

PROTOCOL = """
key: new-instruments
title: New instruments demo
timezone: Europe/Paris
design: single_group
sites: [PAR]
languages: [en]
anchors: [{key: infusion}]
assessments:
  - {key: eq5d_d7, instrument: eq5d5l, anchor: infusion, offset: P7D,
     window: {open: -P1D, close: P1D}}
instrument_texts:
  eq5d5l:
    en: {eq5d_mo: "Mobility (licensed wording)"}
"""
EQ5D = {"eq5d_mo": 1, "eq5d_sc": 1, "eq5d_ua": 2, "eq5d_pd": 2, "eq5d_ad": 3, "eq5d_vas": 70}


@pytest.fixture
def device(api, clock):
    admin = api.create_admin()
    key = api.create_study(admin, PROTOCOL)
    enrolled = api.enrol(admin, key, subject_id="S1", site="PAR")
    token = api.activate(enrolled["activation_code"])
    r = api.event(admin, key, "S1", type="infusion", occurred_at="2027-03-01T08:00:00+00:00")
    assert r.status_code == 201, r.json
    return token


def _respond(api, token, instrument, answers):
    return api.c.post("/api/v1/me/questionnaire-responses", headers=api.bearer(token),
                      json={"instrument": instrument, "answers": answers,
                            "client_id": str(uuid.uuid4()),
                            "device_time": "2027-03-08T10:00:00+01:00"})


def test_new_instruments_are_listed_and_published_as_fhir_questionnaires(api, device):
    listing = api.c.get("/api/v1/instruments", headers=api.bearer(device)).json
    assert {"eq5d5l", "fdi_child", "fdi_parent", "fps_r"} <= {i["id"] for i in listing}
    for instrument_id in ("eq5d5l", "fdi_child", "fdi_parent", "fps_r"):
        r = api.c.get(f"/api/v1/instruments/{instrument_id}?format=fhir",
                      headers=api.bearer(device))
        assert r.status_code == 200
        Questionnaire(**r.get_json(force=True))
    fps = api.c.get("/api/v1/instruments/fps_r", headers=api.bearer(device)).json
    assert [o["code"] for o in fps["items"][0]["options"]] == [0, 2, 4, 6, 8, 10]
    assert fps["licence"] == "licensed"


def test_the_participant_sees_the_study_wording_for_eq5d(api, device):
    mine = api.c.get("/api/v1/me/instruments/eq5d5l", headers=api.bearer(device)).json
    assert mine["items"][0]["text"] == "Mobility (licensed wording)"
    assert mine["items"][1]["text"] == "EQ5D5L item SC"  # no study text: neutral label
    assert mine["items"][5]["min"] == 0 and mine["items"][5]["max"] == 100


def test_an_eq5d_response_is_scored_on_receipt_in_its_window(api, device, clock):
    clock.set(datetime(2027, 3, 8, 9, tzinfo=UTC))
    r = _respond(api, device, "eq5d5l", EQ5D)
    assert r.status_code == 201, r.json
    scores = r.json["scores"]
    assert (scores["profile"]["value"], scores["lss"]["value"], scores["vas"]["value"]) == (
        11223, 9, 70)
    assert scores["index"]["value"] is None and "value set" in scores["index"]["reason"]
    assert (r.json["timing"], r.json["assessment"]) == ("in_window", "eq5d_d7")


def test_out_of_range_answers_are_refused_naming_each_item(api, device, clock):
    clock.set(datetime(2027, 3, 8, 9, tzinfo=UTC))
    r = _respond(api, device, "eq5d5l", EQ5D | {"eq5d_mo": 6, "eq5d_vas": 101})
    assert r.status_code == 422
    assert r.json["field"] == "answers.eq5d_mo"
    assert set(r.json["errors"]) == {"answers.eq5d_mo", "answers.eq5d_vas"}
    assert "from 0 to 100" in " ".join(r.json["errors"]["answers.eq5d_vas"])
    r = _respond(api, device, "fps_r", {"fps_r": 5})
    assert r.status_code == 422 and r.json["field"] == "answers.fps_r"
    assert "one of 0, 2, 4, 6, 8, 10" in " ".join(r.json["errors"]["answers.fps_r"])


def test_fps_r_and_fdi_responses_are_scored_unscheduled(api, device, clock):
    clock.set(datetime(2027, 3, 8, 9, tzinfo=UTC))
    r = _respond(api, device, "fps_r", {"fps_r": 6})
    assert r.status_code == 201 and r.json["scores"]["pain"]["value"] == 6
    r = _respond(api, device, "fdi_child", {f"fdi_{n}": 1 for n in range(1, 16)})
    assert r.status_code == 201
    assert r.json["scores"]["total"] == {"value": 15, "band": "moderate disability",
                                         "reason": None, "prorated": False}
    assert r.json["timing"] == "unscheduled"
