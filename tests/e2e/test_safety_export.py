"""The medication and side-effect diaries in the endpoint exports (issue 6): a crossover's
share of patients with an adverse event per treatment, a parallel study's MME totals."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest

CROSSOVER = """
key: ae-crossover
title: Adverse events per treatment
timezone: Europe/Paris
design: crossover
sites: [PAR]
treatments: [{key: K}, {key: P}]
sequences: [{key: KP, treatments: [K, P]}, {key: PK, treatments: [P, K]}]
anchors: [{key: infusion, per_period: true, max_count: 2}]
daily_diary: {anchor: infusion, from_day: -3, to_day: 35}
endpoints:
  - {key: ae_any_d0_34, kind: ae_any, from_day: 0, to_day: 34}
"""

PARALLEL = """
key: mme-parallel
title: Opioid use after surgery
timezone: Europe/Paris
design: parallel
sites: [PAR]
arms: [{key: ketamine}, {key: standard_care}]
anchors: [{key: surgery}]
daily_diary: {anchor: surgery, from_day: -3, to_day: 7}
medication: {table: cdc-2022}
endpoints:
  - {key: mme_d0_2, kind: mme_total, from_day: 0, to_day: 2}
  - {key: mme_mean_d0_6, kind: mme_daily_mean, from_day: 0, to_day: 6}
  - {key: rescue_d0_2, kind: rescue_days, from_day: 0, to_day: 2}
"""
LOGIN = ("admin@site.org", "correct horse battery")


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _export(api, token, key, layout):
    return api.c.get(f"/api/v1/studies/{key}/endpoints?layout={layout}&format=csv",
                     headers=api.bearer(token))


@pytest.fixture
def crossover(api, clock):
    """S1 (KP) has events under K and on day 0 of P, S2 (PK) under K (its period 2), S3
    none; an event on 2027-03-04 - 2027-04-07 is in period 1, from 2027-04-08 in period 2."""
    admin = api.create_admin()
    key = api.create_study(admin, CROSSOVER)
    clock.set(datetime(2027, 3, 1, 8, tzinfo=UTC))
    for subject, seq in (("S1", "KP"), ("S2", "PK"), ("S3", "KP")):
        api.enrol(admin, key, subject_id=subject, site="PAR", sequence=seq)
    clock.set(datetime(2027, 5, 20, 12, tzinfo=UTC))  # both periods' days 0-34 are over
    admin = api.login(*LOGIN)
    api.unblind(admin, key)  # real treatments in the exports
    for subject in ("S1", "S2", "S3"):  # infusions on 4 March and 8 April (35 days)
        for period, at in ((1, "2027-03-04T09:00:00+00:00"), (2, "2027-04-08T09:00:00+00:00")):
            r = api.event(admin, key, subject, type="infusion", period=period, occurred_at=at)
            assert r.status_code == 201, r.json
    for subject, onset in (("S1", "2027-03-07"), ("S2", "2027-04-18"),
                           ("S1", "2027-04-08")):  # S1's second: day 0 of its P period
        r = api.c.post(f"/api/v1/studies/{key}/participants/{subject}/adverse-events",
                       headers=api.bearer(admin),
                       json={"term": "Dizziness", "onset": onset, "severity": "mild",
                             "serious": False, "relatedness": "possible",
                             "client_id": str(uuid.uuid4())})
        assert r.status_code == 201, r.json
    return admin, key


def test_the_summary_shows_the_share_with_an_adverse_event_per_treatment(api, crossover):
    admin, key = crossover
    wide = {(r["subject"], r["treatment"]): float(r["ae_any_d0_34"])
            for r in _csv(_export(api, admin, key, "wide"))}
    assert wide == {("S1", "K"): 1, ("S1", "P"): 1, ("S2", "P"): 0, ("S2", "K"): 1,
                    ("S3", "K"): 0, ("S3", "P"): 0}
    summary = {r["treatment"]: (r["n"], r["n_responders"], float(r["percent_responders"]))
               for r in _csv(_export(api, admin, key, "summary"))
               if r["endpoint"] == "ae_any_d0_34"}
    # K: S1 and S2 of 3 patients; P: S1 (its event on the P infusion's day 0) of 3
    assert summary == {"K": ("3", "2", 66.7), "P": ("3", "1", 33.3)}  # 200/3, 100/3 to 1 dp


@pytest.fixture
def parallel(api, clock):
    admin = api.create_admin()
    key = api.create_study(admin, PARALLEL)
    clock.set(datetime(2027, 3, 1, 8, tzinfo=UTC))
    api.enrol(admin, key, subject_id="S1", site="PAR", arm="ketamine")
    clock.set(datetime(2027, 3, 20, 12, tzinfo=UTC))
    admin = api.login(*LOGIN)
    r = api.event(admin, key, "S1", type="surgery", occurred_at="2027-03-04T09:00:00+00:00")
    assert r.status_code == 201, r.json
    url = f"/api/v1/studies/{key}/participants/S1/medications"

    def intake(drug, dose, unit, at, route="oral", **more):
        body = {"drug": drug, "dose": dose, "unit": unit, "route": route, "taken_at": at,
                "client_id": str(uuid.uuid4()), **more}
        r = api.c.post(url, headers=api.bearer(admin), json=body)
        assert r.status_code == 201, r.json
        return r.json

    wrong = intake("oxycodone", 20, "mg", "2027-03-04T20:00:00+01:00", rescue=True)
    intake("oxycodone", 10, "mg", "2027-03-04T20:00:00+01:00", rescue=True,  # day 0: 15
           corrects=wrong["id"], reason="10 mg, not 20")
    intake("morphine", 30, "mg", "2027-03-05T08:00:00+01:00")                # day 1: 30
    intake("paracetamol", 1, "g", "2027-03-05T09:00:00+01:00")               # day 1: 0
    intake("fentanyl", 25, "mcg/h", "2027-03-06T08:00:00+01:00",             # days 2-4: 60 each
           route="transdermal", worn_hours=72)
    return admin, key


def test_the_wide_table_shows_mme_totals_and_rescue_days(api, parallel):
    admin, key = parallel
    (row,) = _csv(_export(api, admin, key, "wide"))
    assert float(row["mme_d0_2"]) == 15 + 30 + 60
    assert row["mme_mean_d0_6"] == "32.1"                   # (15 + 30 + 60 * 3) / 7, 1 dp
    assert row["rescue_d0_2"] == "33.3"                     # 100 * 1 / 3, 1 dp
