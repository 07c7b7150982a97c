"""A participant logs daily pain from the app: rules, retries, corrections, listing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest


@pytest.fixture
def participant(api, crossover_source, clock):
    """Enrolled 2027-03-01 17:00 UTC (18:00 in Paris), activated, infusion 1 that morning."""
    admin = api.create_admin()
    study = api.create_study(admin, crossover_source)
    enrolled = api.enrol(admin, study, subject_id="S001", site="PAR", sequence="KP")
    token = api.activate(enrolled["activation_code"])
    r = api.event(admin, study, "S001", type="infusion", period=1,
                  occurred_at="2027-03-01T08:00:00+00:00")
    assert r.status_code == 201, r.json
    return {"token": token, "admin": admin, "study": study}


def test_an_entry_is_stored_with_the_server_received_time(api, participant, clock):
    r = api.entry(participant["token"], "2027-03-01", 6)
    assert r.status_code == 201
    assert r.json["score"] == 6
    assert r.json["version"] == 1 and r.json["is_current"] is True
    assert r.json["received_at"] == clock.now().isoformat()
    assert r.json["device_time"] == "2027-03-01T17:00:00+00:00"  # stored in UTC


def test_a_retry_with_the_same_client_id_returns_the_original_with_200(api, participant):
    client_id = str(uuid.uuid4())
    first = api.entry(participant["token"], "2027-03-01", 6, client_id=client_id)
    again = api.entry(participant["token"], "2027-03-01", 6, client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    listing = api.c.get("/api/v1/me/diary-entries", headers=api.bearer(participant["token"]))
    assert listing.json["total"] == 1


def test_a_client_id_reused_for_other_content_is_refused(api, participant):
    client_id = str(uuid.uuid4())
    api.entry(participant["token"], "2027-03-01", 6, client_id=client_id)
    r = api.entry(participant["token"], "2027-03-01", 3, client_id=client_id)
    assert r.status_code == 409
    assert (r.json["code"], r.json["field"]) == ("client_id_reused", "client_id")


@pytest.mark.parametrize(
    ("score", "why"),
    [(11, "Must be greater than or equal to 0 and less than or equal to 10."),
     (-1, "Must be greater than or equal to 0 and less than or equal to 10."),
     (2.9, "Not a valid integer."), ("7", "Not a valid integer."),
     (True, "Not a valid integer."), (None, "Field may not be null.")],
)
def test_scores_that_are_not_integers_from_0_to_10_are_refused(api, participant, score, why):
    r = api.entry(participant["token"], "2027-03-01", score)
    assert r.status_code == 422
    assert r.json["field"] == "score"
    assert r.json["errors"]["score"] == [why]


def test_a_naive_device_timestamp_is_refused(api, participant):
    r = api.entry(participant["token"], "2027-03-01", 5, device_time="2027-03-01T18:00:00")
    assert (r.status_code, r.json["field"]) == (422, "device_time")


def test_unknown_fields_are_refused_not_ignored(api, participant):
    r = api.c.post("/api/v1/me/diary-entries", headers=api.bearer(participant["token"]),
                   json={"diary_date": "2027-03-01", "score": 5, "client_id": str(uuid.uuid4()),
                         "device_time": "2027-03-01T18:00:00+01:00", "mood": 3})
    assert (r.status_code, r.json["field"]) == (422, "mood")


def test_a_future_date_in_the_participants_zone_is_refused(api, participant, clock):
    # 23:30 UTC on 1 March is already 2 March in Paris: the 2nd is today, the 3rd is not.
    clock.set(datetime(2027, 3, 1, 23, 30, tzinfo=UTC))
    assert api.entry(participant["token"], "2027-03-02", 4).status_code == 201
    r = api.entry(participant["token"], "2027-03-03", 4)
    assert (r.status_code, r.json["field"]) == (422, "diary_date")
    assert "future" in r.json["message"]


def test_a_date_before_enrolment_is_refused(api, participant):
    r = api.entry(participant["token"], "2027-02-28", 4)
    assert (r.status_code, r.json["field"]) == (422, "diary_date")
    assert "before enrolment" in r.json["message"]


def test_the_late_entry_limit_is_noon_the_next_day_local_time(api, participant, clock):
    # Paris is UTC+1 on 2 March: 12:00 local is 11:00 UTC.
    clock.set(datetime(2027, 3, 2, 10, 59, tzinfo=UTC))
    assert api.entry(participant["token"], "2027-03-01", 4).status_code == 201
    clock.set(datetime(2027, 3, 2, 11, 0, tzinfo=UTC))
    r = api.entry(participant["token"], "2027-03-01", 5, reason="forgot")
    assert (r.status_code, r.json["code"]) == (422, "late_entry")
    assert "2027-03-02 12:00 Europe/Paris" in r.json["message"]


def test_a_retry_after_the_late_entry_limit_still_returns_the_original(api, participant, clock):
    client_id = str(uuid.uuid4())
    first = api.entry(participant["token"], "2027-03-01", 6, client_id=client_id)
    clock.set(datetime(2027, 3, 5, 12, tzinfo=UTC))  # long past noon on 2 March
    again = api.entry(participant["token"], "2027-03-01", 6, client_id=client_id)
    assert (again.status_code, again.json["id"]) == (200, first.json["id"])


def test_entries_after_withdrawal_are_refused_but_earlier_days_stay(api, participant, clock):
    assert api.entry(participant["token"], "2027-03-01", 4).status_code == 201
    r = api.c.post(f"/api/v1/studies/{participant['study']}/participants/S001/withdrawal",
                   headers=api.bearer(participant["admin"]), json={"reason": "moved away"})
    assert r.status_code == 200 and r.json["status"] == "withdrawn"
    clock.advance(timedelta(days=1))
    r = api.entry(participant["token"], "2027-03-02", 4)
    assert (r.status_code, r.json["field"]) == (422, "diary_date")
    assert "withdrawal" in r.json["message"]
    listing = api.c.get("/api/v1/me/diary-entries", headers=api.bearer(participant["token"]))
    assert [e["score"] for e in listing.json["items"]] == [4]


def test_a_second_entry_for_a_day_needs_a_reason(api, participant):
    api.entry(participant["token"], "2027-03-01", 6)
    r = api.entry(participant["token"], "2027-03-01", 4)
    assert r.status_code == 409
    assert (r.json["code"], r.json["field"]) == ("correction_needs_reason", "reason")


def test_a_correction_is_a_new_version_and_the_original_stays_superseded(api, participant):
    first = api.entry(participant["token"], "2027-03-01", 6).json
    second = api.entry(participant["token"], "2027-03-01", 4, reason="tapped 6, meant 4").json
    third = api.entry(participant["token"], "2027-03-01", 5, reason="second thoughts").json
    assert (second["version"], second["supersedes_id"]) == (2, first["id"])
    assert (third["version"], third["supersedes_id"]) == (3, second["id"])
    items = api.c.get("/api/v1/me/diary-entries",
                      headers=api.bearer(participant["token"])).json["items"]
    assert [(e["version"], e["score"], e["is_current"], e["reason"]) for e in items] == [
        (3, 5, True, "second thoughts"),
        (2, 4, False, "tapped 6, meant 4"),
        (1, 6, False, None),
    ]
    current = api.c.get("/api/v1/me/diary-entries?current_only=true",
                        headers=api.bearer(participant["token"])).json
    assert [e["id"] for e in current["items"]] == [third["id"]]


def test_entries_are_paged_newest_day_first(api, participant, clock):
    for day in range(1, 8):
        clock.set(datetime(2027, 3, day, 19, tzinfo=UTC))
        assert api.entry(participant["token"], f"2027-03-{day:02d}", day).status_code == 201
    h = api.bearer(participant["token"])
    page1 = api.c.get("/api/v1/me/diary-entries?page=1&page_size=3", headers=h).json
    page3 = api.c.get("/api/v1/me/diary-entries?page=3&page_size=3", headers=h).json
    assert (page1["total"], page1["page"], page1["page_size"]) == (7, 1, 3)
    assert [e["diary_date"] for e in page1["items"]] == ["2027-03-07", "2027-03-06",
                                                          "2027-03-05"]
    assert [e["diary_date"] for e in page3["items"]] == ["2027-03-01"]
    assert api.c.get("/api/v1/me/diary-entries?page=0", headers=h).status_code == 422
    # a page past any database integer is a 422, not a server error (found by schemathesis)
    r = api.c.get("/api/v1/me/diary-entries?page=58206458723453864", headers=h)
    assert (r.status_code, r.json["field"]) == (422, "page")


def test_todays_tasks_show_the_diary_and_open_windows(api, participant, clock):
    h = api.bearer(participant["token"])
    tasks = api.c.get("/api/v1/me/tasks", headers=h).json
    assert tasks["today"] == "2027-03-01" and tasks["timezone"] == "Europe/Paris"
    assert tasks["diary"]["due"] is True and tasks["diary"]["done"] is False
    assert tasks["diary"]["accept_until"] == "2027-03-02T11:00:00+00:00"
    assert tasks["open_windows"] == []
    api.entry(participant["token"], "2027-03-01", 3)
    assert api.c.get("/api/v1/me/tasks", headers=h).json["diary"]["done"] is True
    # Day 7 +- 1 day: the window opens at local midnight starting 7 March (day 6).
    clock.set(datetime(2027, 3, 6, 23, 0, tzinfo=UTC))
    windows = api.c.get("/api/v1/me/tasks", headers=h).json["open_windows"]
    assert [(w["assessment"], w["target_day"]) for w in windows] == [("pain_d7", 7)]
    assert "treatment" not in windows[0]  # the participant is blind to it
    assert windows[0]["closes_local"] == "2027-03-10 00:00:00+01:00"
