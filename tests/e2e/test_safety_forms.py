"""Assessments that open the safety forms (issue 13), through the HTTP API: the side-effect
checklist is the participant's task of its own kind, worded as such in reminders and done
by a checklist; the adverse-event form is the coordinators' task."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from diary.db.messaging import OutboxMessage
from tests.e2e.sms_support import PHONE

PARIS = ZoneInfo("Europe/Paris")
PROTOCOL = """
key: safety-forms
title: Safety forms demo
timezone: Europe/Paris
design: single_group
sites: [PAR]
anchors: [{key: infusion}]
side_effects: [nausea, dizziness, {code: metallic_taste, label: Metallic taste}]
assessments:
  - {key: se_d1, form: side_effects, anchor: infusion, offset: P1D,
     window: {open: P0D, close: P1D}}
  - {key: ae_d1, form: adverse_events, anchor: infusion, offset: P1D,
     window: {open: P0D, close: P2D}}
  - {key: pgic_d1, instrument: pgic, anchor: infusion, offset: P1D,
     window: {open: P0D, close: P1D}, label: Overall change}
reminders: {daily_time: "20:00", window_open: true}
"""
TASKS = "/api/v1/me/tasks"
CHECKLIST = "/api/v1/me/side-effects"


@pytest.fixture
def token(api, admin, clock):
    """S1 (with a phone) enrolled 1 March 2027; infusion 2 March 09:00 Paris, recorded at
    10:00, so the day-1 windows cover 3 and 4 March."""
    api.create_study(admin, PROTOCOL)
    enrolled = api.enrol(admin, "safety-forms", subject_id="S1", site="PAR", phone=PHONE)
    token = api.activate(enrolled["activation_code"])
    _at(clock, 2027, 3, 2, 10)
    r = api.event(_staff(api), "safety-forms", "S1", type="infusion",
                  occurred_at="2027-03-02T09:00:00+01:00")
    assert r.status_code == 201, r.json
    return token


def _staff(api) -> str:
    """A fresh staff token (the clock moves past the first one's expiry)."""
    return api.login("admin@site.org", "correct horse battery")


def _at(clock, *args):
    clock.set(datetime(*args, tzinfo=PARIS))


def _checklist(day: str, **answers) -> dict:
    return {"diary_date": day, "answers": answers, "client_id": str(uuid.uuid4()),
            "device_time": f"{day}T12:00:00+01:00"}


def _tasks(api, token):
    r = api.c.get(TASKS, headers=api.bearer(token))
    assert r.status_code == 200, r.json
    return {w["assessment"]: w for w in r.json["open_windows"]}


def test_the_app_fetches_the_studys_checklist_with_labels_and_severities(api, token):
    r = api.c.get("/api/v1/me/side-effect-checklist", headers=api.bearer(token))
    assert r.status_code == 200, r.json
    assert r.json["symptoms"] == [
        {"code": "nausea", "label": "Nausea"}, {"code": "dizziness", "label": "Dizziness"},
        {"code": "metallic_taste", "label": "Metallic taste"}]
    assert [s["label"] for s in r.json["severities"]] == ["none", "mild", "moderate",
                                                          "severe"]


@pytest.mark.parametrize("lang, nausea, severe", [
    ("fr", "Nausées", "sévère"), ("nl", "Misselijkheid", "ernstig"),
    ("es", "Náuseas", "grave"), ("de", "Nausea", "severe")])
def test_the_checklist_speaks_the_asked_language_but_keeps_the_studys_own_words(
        api, token, lang, nausea, severe):
    """Our default symptoms are translated; a study's own symptom keeps its wording; a
    language we have no catalog for falls back as every participant text does."""
    r = api.c.get(f"/api/v1/me/side-effect-checklist?lang={lang}", headers=api.bearer(token))
    assert r.status_code == 200, r.json
    assert (r.json["symptoms"][0]["label"], r.json["symptoms"][2]["label"],
            r.json["severities"][3]["label"]) == (nausea, "Metallic taste", severe)
    assert r.json["language"] == (lang if lang != "de" else "en")


def test_the_checklist_is_for_participants_only(api, token):
    r = api.c.get("/api/v1/me/side-effect-checklist", headers=api.bearer(_staff(api)))
    assert r.status_code == 403, r.json


def test_the_checklist_window_is_a_side_effect_task_and_the_ae_form_is_not_the_participants(
        api, token, clock):
    _at(clock, 2027, 3, 3, 10)
    tasks = _tasks(api, token)
    assert set(tasks) == {"se_d1", "pgic_d1"}  # ae_d1 is open, but the coordinators'
    assert (tasks["se_d1"]["form"], tasks["se_d1"]["done"]) == ("side_effects", False)
    assert (tasks["pgic_d1"]["form"], tasks["pgic_d1"]["instrument"]) == ("questionnaire",
                                                                         "pgic")


def test_submitting_the_checklist_for_a_day_of_the_window_is_the_task_done(api, token, clock):
    _at(clock, 2027, 3, 4, 19)
    r = api.c.post(CHECKLIST, headers=api.bearer(token),
                   json=_checklist("2027-03-04", nausea=1, dizziness=0, metallic_taste=0))
    assert r.status_code == 201, r.json
    tasks = _tasks(api, token)
    assert tasks["se_d1"]["done"] is True
    assert tasks["pgic_d1"]["done"] is False


def test_a_checklist_for_a_day_outside_the_window_leaves_it_open(api, token, clock):
    _at(clock, 2027, 3, 3, 11)  # 2 March (day 0) is still open for reports until noon
    r = api.c.post(CHECKLIST, headers=api.bearer(token),
                   json=_checklist("2027-03-02", nausea=0, dizziness=0, metallic_taste=0))
    assert r.status_code == 201, r.json
    assert _tasks(api, token)["se_d1"]["done"] is False


def test_a_checklist_missing_several_items_is_refused_naming_all_of_them(api, token, clock):
    _at(clock, 2027, 3, 3, 19)
    r = api.c.post(CHECKLIST, headers=api.bearer(token),
                   json=_checklist("2027-03-03", dizziness="sometimes", itching=1))
    assert r.status_code == 422, r.json
    assert set(r.json["errors"]) == {"itching", "answers.nausea", "answers.dizziness",
                                     "answers.metallic_taste"}
    assert r.json["errors"]["answers.nausea"][0].startswith("is required")
    assert "answers.metallic_taste: is required" in r.json["message"]
    assert api.c.get(CHECKLIST, headers=api.bearer(token)).json["items"] == []


def test_the_coordinators_schedule_shows_the_adverse_event_form(api, token):
    r = api.c.get("/api/v1/studies/safety-forms/participants/S1/schedule",
                  headers=api.bearer(_staff(api)))
    assert r.status_code == 200, r.json
    forms = {w["assessment"]: w["form"] for w in r.json["windows"]}
    assert forms == {"se_d1": "side_effects", "ae_d1": "adverse_events",
                     "pgic_d1": "questionnaire"}


def test_reminders_name_the_checklist_and_none_goes_out_for_the_ae_form(app, api, token,
                                                                        clock):
    from notifications.tick import plan_due

    runtime = app.extensions["paindiary"]
    _at(clock, 2027, 3, 3, 0, 5)  # the day-1 windows opened at midnight
    with runtime.session_factory() as s:
        plan_due(s, clock.now())
        rows = {r.target: r for r in s.scalars(select(OutboxMessage))}
    tasks = _tasks(api, token)
    se, pgic = rows[tasks["se_d1"]["id"]], rows[tasks["pgic_d1"]["id"]]
    assert se.kind == pgic.kind == "window_open"
    assert se.body == ("Side effects: please answer the side-effect checklist in the app by "
                       "Thu 4 Mar.")
    assert pgic.body.startswith("Study questionnaire now open: Overall change.")
    assert not any(r.body and "adverse" in r.body for r in rows.values())
    assert len(rows) == 2

    # The checklist answered: the next planning cancels its pending reminder as done.
    _at(clock, 2027, 3, 3, 0, 10)
    r = api.c.post(CHECKLIST, headers=api.bearer(token),
                   json=_checklist("2027-03-03", nausea=0, dizziness=0, metallic_taste=0))
    assert r.status_code == 201, r.json
    with runtime.session_factory() as s:
        plan_due(s, clock.now())
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.target == se.target))
        assert (row.state, row.cancel_reason) == ("cancelled", "task done")
