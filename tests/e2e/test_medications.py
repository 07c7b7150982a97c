"""The medication diary through the API: intakes in MME, refusals, retries, corrections."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from diary.audit_pending import chain_pending
from diary.db.audit_models import AuditRecord

STUDY = "mini-crossover"
PARIS = ZoneInfo("Europe/Paris")
ME = "/api/v1/me/medications"
COORD = f"/api/v1/studies/{STUDY}/participants/S001/medications"


def intake(**fields) -> dict:
    body = {"drug": "oxycodone", "dose": 10, "unit": "mg", "route": "oral", "rescue": True,
            "taken_at": "2027-03-01T19:30:00+01:00", "client_id": str(uuid.uuid4())}
    return {**body, **fields}


def test_an_opioid_intake_is_stored_with_its_mme_and_a_retry_returns_it(api, s001, clock):
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    h = api.bearer(s001["token"])
    body = intake()
    first = api.c.post(ME, headers=h, json=body)
    assert first.status_code == 201, first.json
    assert {k: first.json[k] for k in ("drug", "dose", "unit", "route", "mme", "mme_table",
                                       "taken_date", "rescue", "version", "channel")} == {
        "drug": "oxycodone", "dose": "10", "unit": "mg", "route": "oral",
        "mme": "15", "mme_table": "cdc-2022",  # 10 mg x 1.5 (CDC 2022)
        "taken_date": "2027-03-01", "rescue": True, "version": 1, "channel": "app"}
    again = api.c.post(ME, headers=h, json=body)
    assert (again.status_code, again.json["id"]) == (200, first.json["id"])
    listed = api.c.get(ME, headers=h).json
    assert listed["total"] == 1
    with api.app.extensions["paindiary"].session_factory() as s:
        chain_pending(s)  # PostgreSQL's fast path leaves its record pending (issue 20)
        actions = s.scalars(select(AuditRecord.action).where(
            AuditRecord.entity == "medication_intake")).all()
    assert actions == ["medication.create"]


@pytest.mark.parametrize(("fields", "mme", "daily"), [
    ({"drug": "Acetaminophen", "dose": "1", "unit": "g", "route": "PO"}, "0", None),
    ({"drug": "morphine", "dose": 30, "unit": "mg"}, "30", None),
    ({"drug": "codeine", "dose": "60", "unit": "mg"}, "9", None),          # 60 x 0.15
    # a 72-hour 25 mcg/h patch: 25 x 2.4 = 60 MME per wear day, 3 days = 180
    ({"drug": "fentanyl", "dose": 25, "unit": "mcg/h", "route": "transdermal"}, "180", "60"),
    # removed after 60 h: 60 + 60 + 60 x 12/24 = 150 in all, still 60 a full day
    ({"drug": "fentanyl", "dose": 25, "unit": "mcg/h", "route": "transdermal",
      "worn_hours": 60}, "150", "60"),
    # 12 mcg/h x 2.4 = 28.8 a day, 72 h = 86.4
    ({"drug": "fentanyl", "dose": 12, "unit": "mcg/h", "route": "transdermal"}, "86.4",
     "28.8"),
])
def test_doses_are_converted_with_the_pinned_table(api, s001, clock, fields, mme, daily):
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    h = api.bearer(s001["token"])
    r = api.c.post(ME, headers=h, json=intake(**fields))
    assert r.status_code == 201, r.json
    assert (r.json["mme"], r.json["mme_daily"]) == (mme, daily)
    (listed,) = api.c.get(ME, headers=h).json["items"]
    assert (listed["mme"], listed["mme_daily"]) == (mme, daily)


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"drug": "oxycodon"}, "drug", "did you mean oxycodone"),
    ({"drug": "unobtainium"}, "drug", "unknown drug 'unobtainium'"),
    ({"unit": "mcg/h"}, "unit", "mcg/h is a patch delivery rate"),
    ({"unit": "tablets"}, "unit", "unknown unit 'tablets'"),
    ({"route": "transdermal"}, "route", "oxycodone cannot be recorded as transdermal"),
    ({"dose": 5000}, "dose", "above the largest plausible single dose"),
    ({"dose": 0}, "dose", "must be greater than 0"),
    ({"dose": True}, "dose", "must be a number"),
    ({"taken_at": "2027-03-01T19:30:00"}, "taken_at", "aware datetime"),
    ({"taken_at": "2027-03-02T19:30:00+01:00"}, "taken_at", "is in the future"),
    ({"taken_at": "2027-02-27T19:30:00+01:00"}, "taken_at", "before enrolment"),
    ({"worn_hours": 12}, "worn_hours", "applies to patches only"),
])
def test_refused_intakes_name_the_field_and_the_rule(api, s001, clock, fields, field, words):
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    r = api.c.post(ME, headers=api.bearer(s001["token"]), json=intake(**fields))
    assert r.status_code == 422, r.json
    assert r.json["field"] == field and words in r.json["message"], r.json
    assert api.c.get(ME, headers=api.bearer(s001["token"])).json["total"] == 0


def test_an_unknown_drug_comes_with_suggestions(api, s001, clock):
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    r = api.c.post(ME, headers=api.bearer(s001["token"]), json=intake(drug="oxycodon"))
    assert r.json["code"] == "unknown_drug"
    assert "oxycodone" in r.json["errors"]["suggestions"]


def test_a_correction_is_a_new_version_with_a_reason(api, s001, clock):
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    h = api.bearer(s001["token"])
    first = api.c.post(ME, headers=h, json=intake()).json
    no_reason = api.c.post(ME, headers=h, json=intake(dose=5, corrects=first["id"]))
    assert (no_reason.status_code, no_reason.json["field"]) == (422, "reason")
    fixed = api.c.post(ME, headers=h, json=intake(dose=5, corrects=first["id"],
                                                  reason="it was 5 mg"))
    assert fixed.status_code == 201, fixed.json
    assert (fixed.json["version"], fixed.json["series_id"], fixed.json["supersedes_id"],
            fixed.json["mme"]) == (2, first["id"], first["id"], "7.5")
    stale = api.c.post(ME, headers=h, json=intake(dose=7, corrects=first["id"],
                                                  reason="again"))
    assert (stale.status_code, stale.json["code"]) == (409, "superseded")
    current = api.c.get(ME + "?current_only=true", headers=h).json["items"]
    assert [(i["dose"], i["version"]) for i in current] == [("5", 2)]


def test_a_reused_client_id_with_other_content_is_a_conflict(api, s001, clock):
    clock.set(datetime(2027, 3, 1, 20, tzinfo=PARIS))
    h = api.bearer(s001["token"])
    body = intake()
    api.c.post(ME, headers=h, json=body)
    r = api.c.post(ME, headers=h, json={**body, "dose": 20})
    assert (r.status_code, r.json["code"]) == (409, "client_id_reused")


def test_a_closed_day_is_refused_to_the_participant_but_a_coordinator_may_transcribe(
        api, s001, clock):
    clock.set(datetime(2027, 3, 3, 12, 30, tzinfo=PARIS))  # 1 March closed on 2 March 12:00
    late = api.c.post(ME, headers=api.bearer(s001["token"]), json=intake())
    assert (late.status_code, late.json["code"]) == (422, "late_entry")
    admin = api.bearer(api.login("admin@site.org", "correct horse battery"))
    r = api.c.post(COORD, headers=admin, json=intake())
    assert r.status_code == 201, r.json
    assert r.json["channel"] == "coordinator"
    listed = api.c.get(COORD, headers=admin).json
    assert [i["id"] for i in listed["items"]] == [r.json["id"]]


def test_the_drug_list_is_the_pinned_table(api, s001):
    r = api.c.get("/api/v1/me/medication-drugs", headers=api.bearer(s001["token"]))
    assert r.status_code == 200 and r.json["table"] == "cdc-2022"
    assert "MMWR" in r.json["citation"]
    codes = {d["code"] for d in r.json["drugs"]}
    assert {"morphine", "oxycodone", "hydrocodone", "hydromorphone", "oxymorphone",
            "codeine", "tramadol", "tapentadol", "methadone", "fentanyl", "buprenorphine",
            "paracetamol", "ibuprofen", "gabapentin", "pregabalin", "amitriptyline",
            "duloxetine"} <= codes
