"""Staff entry on a participant's behalf (issue 13): a paper diary transcribed, a DN4
examination entered by a clinician; audited as staff entry, shown in the exports."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from diary.db.audit_models import AuditRecord
from diary.db.models import Account

PROTOCOL = """
key: staff-demo
title: Staff entry demo
timezone: Europe/Paris
design: parallel
sites: [PAR]
arms: [{key: A}, {key: B}]
anchors: [{key: surgery}]
daily_diary: {anchor: surgery, from_day: -3, to_day: 7}
assessments:
  - {key: dn4_d7, instrument: dn4, anchor: surgery, offset: P7D,
     window: {open: -P1D, close: P1D}}
endpoints:
  - {key: pain_d1, kind: timepoint, day: 1}
  - {key: pain_d2, kind: timepoint, day: 2}
  - {key: dn4_d7, kind: questionnaire, assessment: dn4_d7}
"""
KEY = "staff-demo"
URL = f"/api/v1/studies/{KEY}/participants/S1"
COORDINATOR = "coordinator@site.org"
# Surgery on Tue 2 March 2027 (day 0): day 1 = 3 March, day 2 = 4 March, day 7 = 9 March.
SURGERY = "2027-03-02T08:00:00+00:00"


def dn4(yes: int) -> dict:
    return {f"dn4_{n}": int(n <= yes) for n in range(1, 11)}


@pytest.fixture
def study(api, clock):
    clock.set(datetime(2027, 3, 1, 18, tzinfo=UTC))
    admin = api.create_admin()
    api.create_study(admin, PROTOCOL)
    device = api.activate(api.enrol(admin, KEY, subject_id="S1", site="PAR",
                                    arm="A")["activation_code"])
    other = api.activate(api.enrol(admin, KEY, subject_id="S2", site="PAR",
                                   arm="B")["activation_code"])
    clock.set(datetime(2027, 3, 2, 9, tzinfo=UTC))
    admin = api.login("admin@site.org", "correct horse battery")  # 12-hour tokens
    for subject in ("S1", "S2"):
        assert api.event(admin, KEY, subject, type="surgery",
                         occurred_at=SURGERY).status_code == 201
    clock.set(datetime(2027, 3, 3, 19, tzinfo=UTC))
    assert api.entry(device, "2027-03-03", 6).status_code == 201  # S1's own day 1
    clock.set(datetime(2027, 3, 4, 19, tzinfo=UTC))
    assert api.entry(other, "2027-03-04", 3).status_code == 201   # S2's own day 2
    # Weeks later, well past the participant's late-entry deadline (next day, 12:00).
    clock.set(datetime(2027, 3, 20, 10, tzinfo=UTC))
    admin = api.login("admin@site.org", "correct horse battery")
    staff = {role: api.staff(admin, f"{role}@site.org", role, KEY)
             for role in ("coordinator", "viewer")}
    return {"admin": admin, "device": device, **staff}


def paper(api, token, day="2027-03-04", score=4, **fields):
    body = {"diary_date": day, "score": score, "client_id": str(uuid.uuid4()),
            "source": "paper", "reason": "transcribed from the paper diary"} | fields
    return api.c.post(URL + "/diary-entries", headers=api.bearer(token), json=body)


def examination(api, token, answers, **fields):
    body = {"instrument": "dn4", "answers": answers, "client_id": str(uuid.uuid4()),
            "administered_at": "2027-03-09T10:00:00+01:00", "source": "clinician",
            "reason": "examination items at the day-7 visit"} | fields
    return api.c.post(URL + "/questionnaire-responses", headers=api.bearer(token), json=body)


def audit_of(app, entity_id: str) -> list[AuditRecord]:
    with app.extensions["paindiary"].session_factory() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.entity_id == entity_id)
                              .order_by(AuditRecord.id)))


def account_id(app, email: str) -> int:
    with app.extensions["paindiary"].session_factory() as s:
        return s.scalar(select(Account.id).where(Account.email == email))


def test_a_coordinator_transcribes_a_past_paper_diary_day_audited_as_staff_entry(
        api, study, app):
    r = paper(api, study["coordinator"])
    assert r.status_code == 201, r.json
    assert (r.json["entry_source"], r.json["channel"], r.json["version"]) == ("paper",
                                                                             "coordinator", 1)
    (record,) = audit_of(app, r.json["id"])
    assert record.action == "diary_entry.staff_create"
    assert record.actor == f"account:{account_id(app, COORDINATOR)}"
    assert record.reason == "transcribed from the paper diary"
    assert (record.after["entry_source"], record.after["score"]) == ("paper", 4)
    assert record.after["recorded_by"] == account_id(app, COORDINATOR)


def test_the_participant_is_still_held_to_the_late_entry_deadline(api, study):
    r = api.entry(study["device"], "2027-03-05", 4)
    assert (r.status_code, r.json["code"]) == (422, "late_entry")


def test_a_retry_with_the_same_client_id_returns_the_original(api, study):
    client_id = str(uuid.uuid4())
    first = paper(api, study["coordinator"], client_id=client_id)
    again = paper(api, study["coordinator"], client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    other = paper(api, study["coordinator"], client_id=client_id, score=7)
    assert (other.status_code, other.json["field"]) == (409, "client_id")


def test_a_second_entry_for_a_day_must_name_what_it_corrects(api, study, app):
    first = paper(api, study["coordinator"]).json
    r = paper(api, study["coordinator"], score=5)
    assert (r.status_code, r.json["code"], r.json["field"]) == (
        409, "correction_needs_corrects", "corrects")
    assert first["id"] in r.json["message"]
    r = paper(api, study["coordinator"], score=5, corrects=str(uuid.uuid4()))
    assert (r.status_code, r.json["field"]) == (404, "corrects")
    fixed = paper(api, study["coordinator"], score=5, corrects=first["id"],
                  reason="misread the paper diary")
    assert fixed.status_code == 201, fixed.json
    assert (fixed.json["version"], fixed.json["supersedes_id"]) == (2, first["id"])
    assert audit_of(app, fixed.json["id"])[0].action == "diary_entry.staff_correct"
    again = paper(api, study["coordinator"], score=6, corrects=first["id"],
                  reason="again")
    assert (again.status_code, again.json["code"]) == (409, "superseded")
    # The participant's own day 1 is corrected by staff the same way.
    own = api.c.get(URL + "/entries", headers=api.bearer(study["admin"])).json["items"]
    day1 = next(e for e in own if e["diary_date"] == "2027-03-03")
    assert day1["entry_source"] == "participant"
    r = paper(api, study["coordinator"], day="2027-03-04", score=5, corrects=day1["id"])
    assert (r.status_code, r.json["field"]) == (422, "corrects")


@pytest.mark.parametrize(("change", "field"), [
    ({"diary_date": "2027-03-21"}, "diary_date"),      # tomorrow in Paris
    ({"diary_date": "2027-02-27"}, "diary_date"),      # before enrolment
    ({"reason": ""}, "reason"),
    ({"reason": None}, "reason"),
    ({"source": "participant"}, "source"),
    ({"source": "email"}, "source"),
    ({"score": 11}, "score"),
    ({"score": 4.5}, "score"),
])
def test_a_refused_staff_entry_names_its_field(api, study, change, field):
    r = paper(api, study["coordinator"], **change)
    assert (r.status_code, r.json["field"] or next(iter(r.json["errors"]))) == (422, field)


def test_a_participant_token_and_a_viewer_cannot_enter_for_a_participant(api, study):
    for token in (study["device"], study["viewer"]):
        assert paper(api, token).status_code == 403
        assert examination(api, token, dn4(5)).status_code == 403
    entries = api.c.get(URL + "/entries", headers=api.bearer(study["admin"])).json
    assert entries["total"] == 1  # only the participant's own day 1


def test_examination_items_come_from_staff_only(api, study, clock):
    clock.set(datetime(2027, 3, 9, 9, tzinfo=UTC))
    r = api.c.post("/api/v1/me/questionnaire-responses", headers=api.bearer(study["device"]),
                   json={"instrument": "dn4", "answers": dn4(5),
                         "client_id": str(uuid.uuid4()),
                         "device_time": "2027-03-09T10:00:00+01:00"})
    assert r.status_code == 422
    refused = {k for k, rules in r.json["errors"].items()
               if any("clinician" in rule for rule in rules)}
    assert refused == {"answers.dn4_8", "answers.dn4_9", "answers.dn4_10"}
    definition = api.c.get("/api/v1/instruments/dn4", headers=api.bearer(study["device"])).json
    assert [i["id"] for i in definition["items"] if i["clinician"]] == [
        "dn4_8", "dn4_9", "dn4_10"]


def test_a_clinician_response_fills_the_window_open_when_it_was_administered(
        api, study, app):
    r = examination(api, study["coordinator"], dn4(5))  # entered on 20 March for 9 March
    assert r.status_code == 201, r.json
    assert (r.json["timing"], r.json["assessment"], r.json["entry_source"]) == (
        "in_window", "dn4_d7", "clinician")
    assert r.json["scores"]["total"]["value"] == 5
    (record,) = audit_of(app, r.json["id"])
    assert (record.action, record.reason) == ("questionnaire.staff_respond",
                                              "examination items at the day-7 visit")
    assert record.after["entry_source"] == "clinician"
    again = examination(api, study["coordinator"], dn4(5), client_id=r.json["client_id"])
    assert (again.status_code, again.json["id"]) == (200, r.json["id"])
    future = examination(api, study["coordinator"], dn4(5),
                         administered_at="2027-03-21T10:00:00+01:00")
    assert (future.status_code, future.json["field"]) == (422, "administered_at")
    for hostile in ("9999-12-31T23:59:59-12:00", "2027-03-09T10:00:00"):  # overflow, naive
        r = examination(api, study["coordinator"], dn4(5), administered_at=hostile)
        assert r.status_code == 422 and "administered_at" in r.json["errors"], r.json


def _csv(api, token, layout):
    r = api.c.get(f"/api/v1/studies/{KEY}/endpoints?layout={layout}&format=csv",
                  headers=api.bearer(token))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))


def test_the_exports_show_which_values_staff_entered(api, study):
    before = {r["subject"]: r["staff_entered"] for r in _csv(api, study["admin"], "wide")}
    assert before == {"S1": "", "S2": ""}
    assert paper(api, study["coordinator"]).status_code == 201           # S1 day 2
    assert examination(api, study["coordinator"], dn4(5)).status_code == 201
    wide = {r["subject"]: r for r in _csv(api, study["admin"], "wide")}
    assert (float(wide["S1"]["pain_d2"]), wide["S1"]["staff_entered"]) == (4, "Y")
    assert (float(wide["S2"]["pain_d2"]), wide["S2"]["staff_entered"]) == (3, "")
    long = {(r["USUBJID"], r["PARAMCD"]): r for r in _csv(api, study["admin"], "long")}
    assert long["S1", "PAIND1"]["ENTSRC"] == ""          # the participant's own day 1
    assert long["S1", "PAIND2"]["ENTSRC"] == "paper"
    assert (long["S1", "DN4D7"]["AVAL"], long["S1", "DN4D7"]["ENTSRC"]) == ("5.0",
                                                                           "clinician")
    assert long["S2", "PAIND2"]["ENTSRC"] == ""


def test_after_a_withdrawal_staff_still_enter_what_came_before_it(api, study):
    r = api.c.post(URL + "/withdrawal", headers=api.bearer(study["coordinator"]),
                   json={"reason": "moved away"})
    assert r.status_code == 200, r.json
    # The DN4 of 9 March and the paper day of 4 March predate the withdrawal (20 March).
    assert examination(api, study["coordinator"], dn4(5)).status_code == 201
    assert paper(api, study["coordinator"]).status_code == 201
    late = examination(api, study["coordinator"], dn4(5),
                       administered_at="2027-03-20T11:30:00+01:00")
    assert (late.status_code, late.json["field"]) == (422, "administered_at")
