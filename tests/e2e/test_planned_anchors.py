"""Planned anchors through the API and the scheduler: a surgery booked ten days ahead has
its baseline days reminded; it is rescheduled, confirmed or cancelled; a recorded
infusion's date is corrected. The event id, and with it every window id, never changes,
and nothing already sent is sent again. Time is the app's frozen clock."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from diary.db.audit_models import AuditRecord
from notifications.tick import plan_due
from tests.e2e.reminder_support import Harness
from tests.e2e.sms_support import PHONE

PARIS = ZoneInfo("Europe/Paris")
HOUR = timedelta(hours=1)
STUDY = "planned-surgery"
S001 = f"/api/v1/studies/{STUDY}/participants/S001"

PLANNED_SURGERY = """
key: planned-surgery
title: Planned surgery
timezone: Europe/Paris
design: single_group
sites: [PAR]
anchors: [{key: surgery}]
daily_diary:
  anchor: surgery
  from_day: -7
  to_day: 14
  late_entry: {days_after: 1, until: "12:00"}
assessments:
  - {key: baseline_nrs, label: Baseline pain, instrument: nrs_pain, anchor: surgery,
     offset: P0D, window: {open: -P3D, close: P0D}}
  - {key: pgic_d7, label: PGIC day 7, instrument: pgic, anchor: surgery, offset: P7D,
     window: {open: -P1D, close: P1D}}
  - {key: nrs_6h, label: Pain at 6 hours, instrument: nrs_pain, anchor: surgery,
     offset: PT6H, window: {open: -PT1H, close: PT1H}}
reminders:
  daily_time: "20:00"
  window_open: true
"""


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


@pytest.fixture
def study(api, admin):
    """S001 (phone) enrolled 1 March 2027 17:00 UTC (18:00 in Paris), activated."""
    api.create_study(admin, PLANNED_SURGERY)
    enrolled = api.enrol(admin, STUDY, subject_id="S001", site="PAR", phone=PHONE)
    return {"device": api.activate(enrolled["activation_code"])}


@pytest.fixture
def harness(app, twilio_transport):
    return Harness(app, twilio_transport)


def _staff(api) -> dict:
    """Staff tokens last 12 h: each step logs in again at the clock's instant."""
    return api.bearer(api.login("admin@site.org", "correct horse battery"))


def _plan(api, **body):
    return api.c.post(S001 + "/events", headers=_staff(api), json={"type": "surgery", **body})


def _change(api, event_id: str, what: str, **body):
    return api.c.post(f"{S001}/events/{event_id}/{what}", headers=_staff(api), json=body)


def _windows(api) -> dict[str, tuple[str, str]]:
    """The schedule's windows: assessment -> (window id, opens_at)."""
    sched = api.c.get(S001 + "/schedule", headers=_staff(api)).json
    return {w["assessment"]: (w["id"], w["opens_at"]) for w in sched["windows"]}


def _tasks(api, clock, device, at: datetime) -> dict:
    clock.set(at)
    return api.c.get("/api/v1/me/tasks", headers=api.bearer(device)).json


def _diary_sent(harness) -> list[str]:
    return [r.target for r in harness.outbox(kind="diary") if r.state == "sent"]


# --- planning ---------------------------------------------------------------------------

def test_a_surgery_planned_ten_days_ahead_reminds_the_baseline_from_day_minus_7(
        api, study, harness, twilio_fake, clock):
    # Before any surgery is known, every day since enrolment is owed (and none reminded).
    assert _tasks(api, clock, study["device"], paris(2027, 3, 1, 19))["diary"]["due"] is True
    r = _plan(api, planned_date="2027-03-11")  # day 0; days -7..-1 = 4..10 March
    assert r.status_code == 201, r.json
    assert {k: r.json[k] for k in ("status", "version", "planned_date", "planned_at",
                                   "occurred_at", "day0")} == {
        "status": "planned", "version": 1, "planned_date": "2027-03-11", "planned_at": None,
        "occurred_at": None, "day0": "2027-03-11"}
    assert [(v["version"], v["action"]) for v in r.json["history"]] == [(1, "plan")]
    # A date only: calendar windows are placed, the 6-hour one waits for the instant.
    assert set(_windows(api)) == {"baseline_nrs", "pgic_d7"}
    # Days before the baseline are not owed any more; the baseline days are.
    assert _tasks(api, clock, study["device"], paris(2027, 3, 3, 12))["diary"]["due"] is False
    assert _tasks(api, clock, study["device"], paris(2027, 3, 4, 12))["diary"]["due"] is True

    harness.run(paris(2027, 3, 1, 19), paris(2027, 3, 4, 21), HOUR)
    (sent,) = harness.outbox(kind="diary")
    assert (sent.target, sent.state) == ("2027-03-04", "sent")
    assert sent.sent_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") == "2027-03-04 20:00"
    assert len(twilio_fake.messages) == 1


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"planned_date": "2027-03-01"}, 201, None),   # today in Paris: the surgery is later on
    ({"planned_date": "2027-02-28"}, 422, "planned_date"),
    ({"planned_at": "2027-03-01T16:59:00+00:00"}, 422, "planned_at"),  # now is 17:00 UTC
    ({"planned_at": "2027-03-01T19:00:00+01:00"}, 201, None),
    ({"planned_date": "2028-03-02"}, 422, "planned_date"),  # more than a year ahead
    ({"planned_date": "2028-03-01"}, 201, None),  # now + 366 days, in Paris
    ({"planned_date": "9999-12-31"}, 422, "planned_date"),
    ({"planned_at": "9999-12-31T23:59:59-12:00"}, 422, "planned_at"),  # no overflow
    ({"planned_date": "2027-03-11", "planned_at": "2027-03-11T08:00:00+01:00"}, 422,
     "planned_date"),
    ({"planned_date": "2027-03-11", "occurred_at": "2027-03-01T08:00:00+00:00"}, 422,
     "occurred_at"),
    ({}, 422, "occurred_at"),
    ({"planned_date": "11/03/2027"}, 422, "planned_date"),
    ({"planned_at": "2027-03-11T08:00:00"}, 422, "planned_at"),  # no UTC offset
])
def test_a_plan_needs_one_future_date_or_instant_within_a_year(api, study, body, status,
                                                               field):
    r = _plan(api, **body)
    assert r.status_code == status, r.json
    if field:
        assert r.json["field"] == field


def test_a_withdrawn_participant_gets_no_plan(api, study, clock):
    assert api.c.post(S001 + "/withdrawal", headers=_staff(api),
                      json={"reason": "moved away"}).status_code == 200
    r = _plan(api, planned_date="2027-03-11")
    assert (r.status_code, r.json["field"]) == (422, "planned_date")


# --- rescheduling -----------------------------------------------------------------------

def test_rescheduling_keeps_window_ids_sends_nothing_twice_and_moves_the_reminders(
        api, study, harness, twilio_fake, clock):
    event = _plan(api, planned_date="2027-03-11").json
    before = _windows(api)
    harness.run(paris(2027, 3, 4, 18), paris(2027, 3, 5, 21), HOUR)
    assert _diary_sent(harness) == ["2027-03-04", "2027-03-05"]

    clock.set(paris(2027, 3, 5, 21, 30))
    refused = _change(api, event["id"], "rescheduling", planned_date="2027-03-14")
    assert (refused.status_code, refused.json["field"]) == (422, "reason")
    r = _change(api, event["id"], "rescheduling", planned_at="2027-03-14T08:00:00+01:00",
                reason="theatre list moved")
    assert r.status_code == 200, r.json
    assert (r.json["id"], r.json["status"], r.json["version"]) == (event["id"], "planned", 2)
    assert (r.json["planned_date"], r.json["planned_at"]) == ("2027-03-14",
                                                              "2027-03-14T07:00:00+00:00")
    assert [(v["action"], v["reason"]) for v in r.json["history"]] == [
        ("plan", None), ("reschedule", "theatre list moved")]
    after = _windows(api)
    # Same ids, three days later; the time now places the 6-hour window too.
    assert {k: after[k][0] for k in before} == {k: before[k][0] for k in before}
    assert after["baseline_nrs"][1] == "2027-03-10T23:00:00+00:00"  # 11 March, local midnight
    assert before["baseline_nrs"][1] == "2027-03-07T23:00:00+00:00"
    assert after["nrs_6h"][1] == "2027-03-14T12:00:00+00:00"  # 13:00 UTC - 1 h

    harness.run(paris(2027, 3, 5, 22), paris(2027, 3, 8, 21), HOUR)
    # 6 March is day -8 now: not reminded. The days already reminded are not sent again.
    assert _diary_sent(harness) == ["2027-03-04", "2027-03-05", "2027-03-07", "2027-03-08"]
    assert len(twilio_fake.messages) == len(harness.outbox(state="sent")) == 4


def test_a_plan_moved_into_the_past_or_to_the_same_date_is_refused(api, study):
    event = _plan(api, planned_date="2027-03-11").json
    for body, field in (({"planned_date": "2027-02-27"}, "planned_date"),
                        ({"planned_date": "2027-03-11"}, "planned_date")):
        r = _change(api, event["id"], "rescheduling", reason="check", **body)
        assert (r.status_code, r.json["field"]) == (422, field), r.json
    assert api.c.get(f"{S001}/events/{event['id']}", headers=_staff(api)).json["version"] == 1


# --- confirmation -----------------------------------------------------------------------

def test_confirming_gives_the_instant_and_keeps_the_event_and_its_windows(api, study, clock):
    event = _plan(api, planned_date="2027-03-11").json
    before = _windows(api)
    clock.set(paris(2027, 3, 11, 10))
    early = _change(api, event["id"], "confirmation", occurred_at="2027-03-11T12:00:00+01:00")
    assert (early.status_code, early.json["field"]) == (422, "occurred_at")  # future
    r = _change(api, event["id"], "confirmation", occurred_at="2027-03-11T08:30:00+01:00")
    assert r.status_code == 200, r.json
    assert {k: r.json[k] for k in ("id", "status", "version", "occurred_at", "planned_date",
                                   "planned_at", "day0")} == {
        "id": event["id"], "status": "confirmed", "version": 2,
        "occurred_at": "2027-03-11T07:30:00+00:00", "planned_date": None, "planned_at": None,
        "day0": "2027-03-11"}
    after = _windows(api)
    assert {k: after[k] for k in before} == before  # the same day 0: nothing moved
    assert after["nrs_6h"][1] == "2027-03-11T12:30:00+00:00"  # 07:30 + 6 h - 1 h
    # Once confirmed it is corrected, not confirmed again, moved or cancelled.
    for what, body in (("confirmation", {"occurred_at": "2027-03-11T08:00:00+01:00"}),
                       ("rescheduling", {"planned_date": "2027-03-20", "reason": "x"}),
                       ("cancellation", {"reason": "x"})):
        again = _change(api, event["id"], what, **body)
        assert (again.status_code, again.json["code"]) == (409, "event_confirmed"), what
    listed = api.c.get(S001 + "/events", headers=_staff(api)).json
    assert [(e["id"], e["status"], e["version"]) for e in listed] == [
        (event["id"], "confirmed", 2)]
    assert [v["action"] for v in listed[0]["history"]] == ["plan", "confirm"]


# --- cancellation -----------------------------------------------------------------------

def test_cancelling_a_plan_cancels_its_pending_reminders_and_its_windows(
        api, study, harness, twilio_fake, clock, app):
    event = _plan(api, planned_date="2027-03-11").json
    assert set(_windows(api)) == {"baseline_nrs", "pgic_d7"}
    runtime = app.extensions["paindiary"]
    with runtime.session_factory() as session:  # planned, not yet sent
        assert plan_due(session, paris(2027, 3, 4, 20)).inserted == 1
    assert [r.state for r in harness.outbox(kind="diary")] == ["pending"]

    clock.set(paris(2027, 3, 4, 20, 0, 30))
    refused = _change(api, event["id"], "cancellation", reason="   ")
    assert (refused.status_code, refused.json["code"]) == (422, "reason_required")
    r = _change(api, event["id"], "cancellation", reason="surgery no longer indicated")
    assert (r.status_code, r.json["status"], r.json["version"]) == (200, "cancelled", 2)
    assert r.json["planned_date"] == "2027-03-11"  # what was planned stays readable
    assert _windows(api) == {}

    harness.run(paris(2027, 3, 4, 20, 1), paris(2027, 3, 12, 21, 1), HOUR)
    (cancelled,) = harness.outbox(kind="diary")
    assert (cancelled.state, cancelled.cancel_reason) == ("cancelled",
                                                          "task no longer scheduled")
    assert twilio_fake.messages == []
    tasks = _tasks(api, clock, study["device"], paris(2027, 3, 9, 12))
    assert tasks["open_windows"] == []  # the baseline window would be open on 9 March
    # No live surgery: as before any was planned, every day is owed (none reminded), also
    # 3 March, day -8 of the cancelled plan (not owed while it stood).
    assert tasks["diary"]["due"] is True
    assert _tasks(api, clock, study["device"], paris(2027, 3, 3, 12))["diary"]["due"] is True
    # The cancelled plan frees the protocol's one surgery: a new one can be planned.
    clock.set(paris(2027, 3, 9, 12))
    assert _plan(api, planned_date="2027-03-25").status_code == 201
    cancel_again = _change(api, event["id"], "cancellation", reason="again")
    assert (cancel_again.status_code, cancel_again.json["code"]) == (409, "event_cancelled")


def test_a_second_live_surgery_is_still_a_conflict(api, study):
    assert _plan(api, planned_date="2027-03-11").status_code == 201
    r = _plan(api, planned_date="2027-03-12")
    assert (r.status_code, r.json["field"]) == (409, "type")


# --- correction ---------------------------------------------------------------------------

CORRECTED = """
key: corrected-crossover
title: Corrected crossover
timezone: Europe/Paris
design: crossover
sites: [PAR]
treatments: [{key: K}, {key: P}]
sequences: [{key: KP, treatments: [K, P]}]
anchors: [{key: infusion, per_period: true}]
daily_diary:
  anchor: infusion
  from_day: -1
  to_day: 14
  late_entry: {days_after: 1, until: "12:00"}
assessments:
  - {key: pain_d7, instrument: nrs_pain, anchor: infusion, offset: P7D,
     window: {open: -P1D, close: P1D}}
endpoints:
  - {key: pain_d7, kind: timepoint, day: 7}
"""
CROSSOVER = "/api/v1/studies/corrected-crossover/participants"


def _wide(api) -> list[dict]:
    r = api.c.get("/api/v1/studies/corrected-crossover/endpoints?layout=wide&format=csv",
                  headers=_staff(api))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))


def _s1_row(api) -> dict[str, dict]:
    """The wide table's first period by subject. Every subject has a row per period of its
    sequence (intention to treat), but S2's planned infusion gives no anchor: only
    confirmed events count."""
    rows = _wide(api)
    assert sorted((r["subject"], r["period"]) for r in rows) == [
        ("S1", "1"), ("S1", "2"), ("S2", "1"), ("S2", "2")]
    assert all(r["anchor_date"] == "" for r in rows if r["subject"] == "S2")
    return {r["subject"]: r for r in rows if r["period"] == "1"}


@pytest.fixture
def infused(api, admin, clock):
    """S1 infused (as first recorded) on 2 March 2027 at 09:00 Paris, with diary scores on
    9 March (4) and 10 March (2); S2 has an infusion planned for 20 March."""
    api.create_study(admin, CORRECTED)
    device = api.activate(api.enrol(admin, "corrected-crossover", subject_id="S1", site="PAR",
                                    sequence="KP")["activation_code"])
    api.enrol(admin, "corrected-crossover", subject_id="S2", site="PAR", sequence="KP")
    clock.set(paris(2027, 3, 2, 10))
    r = api.c.post(CROSSOVER + "/S1/events", headers=_staff(api),
                   json={"type": "infusion", "period": 1,
                         "occurred_at": "2027-03-02T09:00:00+01:00"})
    assert r.status_code == 201, r.json
    assert api.c.post(CROSSOVER + "/S2/events", headers=_staff(api),
                      json={"type": "infusion", "period": 1,
                            "planned_date": "2027-03-20"}).status_code == 201
    for day, score in ((9, 4), (10, 2)):
        clock.set(paris(2027, 3, day, 20))
        assert api.entry(device, f"2027-03-{day:02d}", score).status_code == 201
    clock.set(paris(2027, 3, 11, 9))
    return {"event": r.json, "device": device}


def test_correcting_an_infusion_date_adds_an_audited_version_with_the_same_id(
        api, infused, app):
    event = infused["event"]
    pain_d7 = api.c.get(CROSSOVER + "/S1/schedule", headers=_staff(api)).json["windows"][0]
    rows = _s1_row(api)
    assert (rows["S1"]["anchor_date"], float(rows["S1"]["pain_d7"])) == ("2027-03-02", 4)

    r = api.c.post(f"{CROSSOVER}/S1/events/{event['id']}/corrections", headers=_staff(api),
                   json={"occurred_at": "2027-03-03T09:00:00+01:00",
                         "reason": "date mistyped: infused on 3 March"})
    assert r.status_code == 200, r.json
    assert (r.json["id"], r.json["version"], r.json["occurred_at"]) == (
        event["id"], 2, "2027-03-03T08:00:00+00:00")
    assert [(v["version"], v["action"], v["occurred_at"], v["reason"])
            for v in r.json["history"]] == [
        (1, "record", "2027-03-02T08:00:00+00:00", None),
        (2, "correct", "2027-03-03T08:00:00+00:00", "date mistyped: infused on 3 March")]
    with app.extensions["paindiary"].session_factory() as session:
        (audited,) = session.scalars(select(AuditRecord).where(
            AuditRecord.action == "event.correct")).all()
        assert (audited.entity_id, audited.reason) == (event["id"],
                                                       "date mistyped: infused on 3 March")
        assert (audited.before["occurred_at"], audited.after["occurred_at"]) == (
            "2027-03-02 08:00:00+00:00", "2027-03-03 08:00:00+00:00")
        assert (audited.before["version"], audited.after["version"]) == (1, 2)
    moved = api.c.get(CROSSOVER + "/S1/schedule", headers=_staff(api)).json["windows"][0]
    assert moved["id"] == pain_d7["id"] and moved["opens_at"] > pain_d7["opens_at"]
    # The entries keep their dates; the export counts days from the corrected anchor:
    # 10 March is day 7 now.
    entries = api.c.get(CROSSOVER + "/S1/entries", headers=_staff(api)).json["items"]
    assert sorted(e["diary_date"] for e in entries) == ["2027-03-09", "2027-03-10"]
    rows = _s1_row(api)
    assert (rows["S1"]["anchor_date"], float(rows["S1"]["pain_d7"])) == ("2027-03-03", 2)


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"occurred_at": "2027-03-03T09:00:00+01:00"}, 422, "correction_needs_reason", "reason"),
    ({"occurred_at": "2027-03-03T09:00:00+01:00", "reason": "  "}, 422,
     "correction_needs_reason", "reason"),
    ({"occurred_at": "2027-03-03T09:00:00+01:00", "reason": ""}, 422, "validation_error",
     "reason"),
    ({"occurred_at": "2027-03-02T09:00:00+01:00", "reason": "same"}, 422, "rule_violation",
     "occurred_at"),
    ({"occurred_at": "2027-03-12T09:00:00+01:00", "reason": "future"}, 422, "rule_violation",
     "occurred_at"),
    ({"reason": "no instant"}, 422, "validation_error", "occurred_at"),
    # Outside the instants any field accepts (diary.timezones.EARLIEST..LATEST):
    ({"occurred_at": "9999-12-31T23:59:59-12:00", "reason": "far"}, 422, "validation_error",
     "occurred_at"),
    ({"occurred_at": "0001-01-01T00:00:00+14:00", "reason": "far"}, 422, "validation_error",
     "occurred_at"),
])
def test_a_correction_needs_a_reason_and_a_new_past_instant(api, infused, body, status, code,
                                                            field):
    event = infused["event"]
    r = api.c.post(f"{CROSSOVER}/S1/events/{event['id']}/corrections", headers=_staff(api),
                   json=body)
    assert (r.status_code, r.json["code"], r.json["field"]) == (status, code, field), r.json
    got = api.c.get(f"{CROSSOVER}/S1/events/{event['id']}", headers=_staff(api)).json
    assert (got["version"], got["occurred_at"]) == (1, "2027-03-02T08:00:00+00:00")


def test_a_planned_event_is_rescheduled_not_corrected_and_unknown_ids_are_not_found(
        api, infused):
    planned = api.c.get(CROSSOVER + "/S2/events", headers=_staff(api)).json[0]
    r = api.c.post(f"{CROSSOVER}/S2/events/{planned['id']}/corrections", headers=_staff(api),
                   json={"occurred_at": "2027-03-10T09:00:00+01:00", "reason": "x"})
    assert (r.status_code, r.json["code"]) == (409, "event_planned")
    # S1's event is not S2's: no event of that id for S2.
    other = infused["event"]["id"]
    assert api.c.get(f"{CROSSOVER}/S2/events/{other}", headers=_staff(api)).status_code == 404
    r = api.c.post(f"{CROSSOVER}/S2/events/{other}/cancellation", headers=_staff(api),
                   json={"reason": "x"})
    assert r.status_code == 404


def test_a_viewer_reads_events_but_cannot_change_them(api, infused, admin):
    viewer = api.staff(_staff(api)["Authorization"].split()[1], "viewer@site.org", "viewer",
                       "corrected-crossover")
    event = infused["event"]
    assert api.c.get(CROSSOVER + "/S1/events", headers=api.bearer(viewer)).status_code == 200
    r = api.c.post(f"{CROSSOVER}/S1/events/{event['id']}/corrections",
                   headers=api.bearer(viewer),
                   json={"occurred_at": "2027-03-03T09:00:00+01:00", "reason": "x"})
    assert r.status_code == 403
