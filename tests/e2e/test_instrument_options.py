"""A study's instrument_options through the API: its EQ-5D-5L value set gives the index
on receipt, its FDI proration applies, and rescoring keeps both (it uses the protocol)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

PROTOCOL = """
key: options-demo
title: Instrument options demo
timezone: Europe/Paris
design: single_group
sites: [PAR]
anchors: [{key: infusion}]
instrument_options:
  eq5d5l:
    value_set:
      name: synthetic test value set
      citation: made up for this test; not any country's value set
      constant: 0.05
      decrements:
        mo: [0.05, 0.1, 0.2, 0.3]
        sc: [0.04, 0.08, 0.16, 0.2]
        ua: [0.03, 0.06, 0.12, 0.18]
        pd: [0.06, 0.12, 0.3, 0.4]
        ad: [0.05, 0.1, 0.2, 0.25]
  fdi_parent: {max_missing: 3}
"""


@pytest.fixture
def device(api, clock):
    admin = api.create_admin()
    key = api.create_study(admin, PROTOCOL)
    token = api.activate(api.enrol(admin, key, subject_id="S1", site="PAR")["activation_code"])
    clock.set(datetime(2027, 3, 8, 9, tzinfo=UTC))
    return token


def _respond(api, token, instrument, answers):
    return api.c.post("/api/v1/me/questionnaire-responses", headers=api.bearer(token),
                      json={"instrument": instrument, "answers": answers,
                            "client_id": str(uuid.uuid4()),
                            "device_time": "2027-03-08T10:00:00+01:00"})


def test_the_study_value_set_gives_the_index_and_rescoring_keeps_it(api, device, app):
    answers = {"eq5d_mo": 1, "eq5d_sc": 2, "eq5d_ua": 3, "eq5d_pd": 4, "eq5d_ad": 5,
               "eq5d_vas": 40}
    r = _respond(api, device, "eq5d5l", answers)
    assert r.status_code == 201, r.json
    # 1 - 0.05 (constant) - 0.04 (sc 2) - 0.06 (ua 3) - 0.3 (pd 4) - 0.25 (ad 5)
    assert r.json["scores"]["index"]["value"] == pytest.approx(0.3)
    assert r.json["scores"]["profile"]["value"] == 12345
    result = app.test_cli_runner().invoke(args=["questionnaires", "rescore"])
    assert "1 responses checked, 0 rescored" in result.output, result.output


def test_the_study_fdi_proration_applies_on_receipt(api, device):
    answers = {f"fdi_{n}": 3 for n in range(4, 16)}  # 3 of 15 missing, each answer 3
    r = _respond(api, device, "fdi_parent", answers)
    assert r.status_code == 201, r.json
    assert r.json["scores"]["total"] == {"value": 45, "band": None, "reason": None,
                                         "prorated": True}
    r = _respond(api, device, "fdi_child", answers)  # no option for the child form
    assert r.json["scores"]["total"]["value"] is None
    assert "all items required" in r.json["scores"]["total"]["reason"]


def test_a_study_with_a_broken_value_set_is_refused_naming_the_path(api):
    admin = api.create_admin()
    broken = PROTOCOL.replace("pd: [0.06, 0.12, 0.3, 0.4]", "pd: [0.06, 0.12, 0.3]")
    r = api.upload(admin, broken)
    assert r.status_code == 422, r.json
    assert r.json["errors"] == {"instrument_options.eq5d5l.value_set.decrements.pd": [
        "must list 4 numbers (levels 2, 3, 4, 5)"]}
