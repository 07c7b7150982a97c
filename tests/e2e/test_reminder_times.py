"""Reminder times (issue 16): each participant keeps a reminder time of their own, which a
coordinator (API) and the participant (``/me``) can change; an upgrade that changes the
protocol's ``daily_time`` applies it to everyone who never chose their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from diary.db.audit_models import AuditRecord
from tests.e2e.reminder_support import REMINDING_CROSSOVER, STUDY, Harness, local_times
from tests.e2e.sms_support import PHONE

PARIS = ZoneInfo("Europe/Paris")
BASE = f"/api/v1/studies/{STUDY}/participants"


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


@pytest.fixture
def study(api, admin):
    """S001 follows the study's 20:00; S002 chose 21:00 at enrolment."""
    api.create_study(admin, REMINDING_CROSSOVER)
    codes = {}
    for subject, extra in (("S001", {}), ("S002", {"reminder_time": "21:00"})):
        codes[subject] = api.enrol(admin, STUDY, subject_id=subject, site="PAR",
                                   sequence="KP", phone=PHONE[:-1] + subject[-1],
                                   **extra)["activation_code"]
        assert api.event(admin, STUDY, subject, type="infusion", period=1,
                         occurred_at="2027-03-01T08:00:00+00:00").status_code == 201
    return codes


@pytest.fixture
def harness(app, twilio_transport):
    return Harness(app, twilio_transport)


def _staff(api) -> dict:
    return api.bearer(api.login("admin@site.org", "correct horse battery"))


def _times(api) -> dict[str, tuple[str, bool]]:
    r = api.c.get(BASE, headers=_staff(api))
    return {p["subject_id"]: (p["reminder_time"], p["reminder_time_chosen"])
            for p in r.json["items"]}


def _sent_at(harness, subject_phone_digit: str) -> list[str]:
    rows = [r for r in harness.outbox(kind="diary") if r.state == "sent"]
    by = {}
    with harness.runtime.session_factory() as s:
        from diary.db.models import Participant
        for pid, subject in s.execute(select(Participant.id, Participant.subject_id)):
            by[pid] = subject
    return local_times([r for r in rows if by[r.participant_id] == subject_phone_digit], PARIS)


def test_an_upgrade_applies_the_new_default_to_those_who_never_chose(api, study, harness,
                                                                     twilio_fake):
    assert _times(api) == {"S001": ("20:00", False), "S002": ("21:00", True)}
    upgraded = REMINDING_CROSSOVER.replace('daily_time: "20:00"', 'daily_time: "19:00"')
    r = api.upload(api.login("admin@site.org", "correct horse battery"), upgraded,
                   url=f"/api/v1/studies/{STUDY}/versions")
    assert r.status_code == 201, r.json
    assert _times(api) == {"S001": ("19:00", False), "S002": ("21:00", True)}
    harness.run(paris(2027, 3, 2, 18), paris(2027, 3, 2, 21, 30), timedelta(minutes=30))
    assert _sent_at(harness, "S001") == ["2027-03-02 19:00"]
    assert _sent_at(harness, "S002") == ["2027-03-02 21:00"]


def test_a_coordinator_changes_a_participants_time_and_can_give_it_back(api, study, harness):
    h = _staff(api)
    r = api.c.put(f"{BASE}/S001/reminder-time", headers=h, json={"reminder_time": "18:30"})
    assert r.status_code == 200, r.json
    assert (r.json["reminder_time"], r.json["reminder_time_chosen"]) == ("18:30", True)
    harness.run(paris(2027, 3, 2, 18), paris(2027, 3, 2, 19), timedelta(minutes=30))
    assert _sent_at(harness, "S001") == ["2027-03-02 18:30"]
    with harness.runtime.session_factory() as s:
        [(before, after)] = s.execute(select(AuditRecord.before, AuditRecord.after).where(
            AuditRecord.action == "participant.reminder_time")).all()
    assert before == {"reminder_time": "20:00", "reminder_time_chosen": False}
    assert after == {"reminder_time": "18:30", "reminder_time_chosen": True}
    # Back to the study's time: it follows later upgrades again.
    r = api.c.put(f"{BASE}/S001/reminder-time", headers=_staff(api),
                  json={"reminder_time": None})
    assert r.status_code == 200, r.json
    assert (r.json["reminder_time"], r.json["reminder_time_chosen"]) == ("20:00", False)


def test_the_participant_changes_their_own_time_in_the_app(api, study, harness):
    device = api.bearer(api.activate(study["S002"]))
    r = api.c.put("/api/v1/me/reminder-time", headers=device, json={"reminder_time": "19:45"})
    assert r.status_code == 200, r.json
    assert (r.json["reminder_time"], r.json["reminder_time_chosen"]) == ("19:45", True)
    assert api.c.get("/api/v1/me", headers=device).json["reminder_time"] == "19:45"
    harness.run(paris(2027, 3, 2, 19, 15), paris(2027, 3, 2, 22), timedelta(minutes=30))
    assert _sent_at(harness, "S002") == ["2027-03-02 19:45"]
    with harness.runtime.session_factory() as s:
        actor = s.scalar(select(AuditRecord.actor).where(
            AuditRecord.action == "participant.reminder_time"))
    assert actor.startswith("participant:")


@pytest.mark.parametrize("value, rule", [
    ("25:00", "HH:MM"), ("7pm", "HH:MM"), ("19:00\n", "HH:MM"), (1900, "Not a valid string"),
    ("23:00", "quiet hours"),
])
def test_a_bad_time_is_refused_naming_the_field(api, study, value, rule):
    for url, headers in ((f"{BASE}/S001/reminder-time", _staff(api)),
                         ("/api/v1/me/reminder-time", api.bearer(api.activate(study["S001"])))):
        r = api.c.put(url, headers=headers, json={"reminder_time": value})
        assert r.status_code == 422, r.json
        assert rule in str(r.json) and "reminder_time" in str(r.json)
        study["S001"] = api.c.post(f"{BASE}/S001/activation-code",
                                   headers=_staff(api)).json["activation_code"]
    assert _times(api)["S001"] == ("20:00", False)


def test_a_viewer_cannot_change_a_time(api, study):
    viewer = api.staff(api.login("admin@site.org", "correct horse battery"),
                       "viewer@site.org", "viewer", STUDY)
    r = api.c.put(f"{BASE}/S001/reminder-time", headers=api.bearer(viewer),
                  json={"reminder_time": "18:00"})
    assert r.status_code == 403
