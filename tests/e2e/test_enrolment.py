"""Coordinators enrol participants and withdraw them; every write is audited.

Anchor events: tests/e2e/test_anchor_events.py; diary completion and the schedule:
tests/e2e/test_completion_and_schedule.py; shared fixtures: tests/e2e/conftest.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from diary.audit_pending import chain_pending
from diary.db.audit_models import AuditRecord
from diary.db.models import Participant

STUDY = "mini-crossover"
S001 = f"/api/v1/studies/{STUDY}/participants/S001"
DELETE = object()  # in a table of changes: leave the field out


def _actions(app) -> list[str]:
    """The trail's actions, as its readers see it: PostgreSQL's fast diary path leaves its
    records pending until they are chained (issue 20), which every reader does first."""
    with app.extensions["paindiary"].session_factory() as s:
        chain_pending(s)
        return list(s.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))


# --- enrolment --------------------------------------------------------------------------

CROSSOVER_BODY = {"subject_id": "S001", "site": "PAR", "sequence": "KP"}
PARALLEL_BODY = {"subject_id": "S001", "site": "CHI", "arm": "active"}
REFUSED_ENROLMENTS = [
    # (study, changes to a valid body, code, field, message contains)
    ("crossover", {"site": "MRS"}, "rule_violation", "site", "must be one of PAR, LYO"),
    ("crossover", {"site": DELETE}, "validation_error", "site", "Missing data"),
    ("crossover", {"arm": "K"}, "rule_violation", "arm", "a crossover study has no arms"),
    ("crossover", {"sequence": DELETE}, "rule_violation", "sequence", "one of KP, PK"),
    ("crossover", {"sequence": "KK"}, "rule_violation", "sequence", "one of KP, PK"),
    ("parallel", {"arm": DELETE}, "rule_violation", "arm", "must be one of active, placebo"),
    ("parallel", {"arm": "verum"}, "rule_violation", "arm", "must be one of active, placebo"),
    ("parallel", {"sequence": "KP"}, "rule_violation", "sequence", "has no sequences"),
    ("crossover", {"timezone": "Europe/Atlantis"}, "rule_violation", "timezone", "IANA"),
    ("crossover", {"timezone": "Europe"}, "rule_violation", "timezone", "IANA"),
    ("crossover", {"timezone": "+01:00"}, "rule_violation", "timezone", "IANA"),
    ("crossover", {"phone": "12345"}, "rule_violation", "phone", "not a phone number"),
    ("crossover", {"phone": "06 12 34 56 78"}, "rule_violation", "phone",
     "not a phone number"),  # no country code: E.164 is required
    ("crossover", {"phone": "+1 555 0100"}, "rule_violation", "phone", "not a valid"),
    ("crossover", {"reminder_time": "8pm"}, "rule_violation", "reminder_time", "HH:MM"),
    ("crossover", {"reminder_time": "24:00"}, "rule_violation", "reminder_time", "HH:MM"),
    ("crossover", {"reminder_time": "7:30"}, "rule_violation", "reminder_time", "HH:MM"),
    ("crossover", {"reminder_time": "19:30:00"}, "rule_violation", "reminder_time", "HH:MM"),
    ("crossover", {"language": "fr"}, "rule_violation", "language", "must be one of en"),
    ("crossover", {"subject_id": "S 001"}, "rule_violation", "subject_id", "letters, digits"),
    ("crossover", {"subject_id": ""}, "validation_error", "subject_id", "Length"),
    ("crossover", {"email": "p@example.org"}, "validation_error", "email", "Unknown field"),
]


def _change_id(study: str, changes: dict) -> str:
    return study + " " + ", ".join(f"{k} unset" if v is DELETE else f"{k}={v!r}"
                                   for k, v in changes.items())


@pytest.mark.parametrize(("study", "changes", "code", "field", "says"), REFUSED_ENROLMENTS,
                         ids=[_change_id(study, changes)
                              for study, changes, *_ in REFUSED_ENROLMENTS])
def test_an_enrolment_breaking_a_rule_is_refused_with_its_field(api, crossover, parallel, study,
                                                                changes, code, field, says):
    key, body = ("mini-crossover", CROSSOVER_BODY) if study == "crossover" else (
        "mini-parallel", PARALLEL_BODY)
    body = {k: v for k, v in {**body, **changes}.items() if v is not DELETE}
    r = api.c.post(f"/api/v1/studies/{key}/participants", headers=api.bearer(crossover),
                   json=body)
    assert r.status_code == 422
    assert (r.json["code"], r.json["field"]) == (code, field)
    assert says in r.json["message"]
    listing = api.c.get(f"/api/v1/studies/{key}/participants", headers=api.bearer(crossover))
    assert listing.json["total"] == 0


def test_an_enrolment_returns_a_single_use_code_valid_for_seven_days(api, crossover):
    r = api.enrol(crossover, STUDY, **CROSSOVER_BODY)
    assert r["activation_expires_at"] == "2027-03-08T17:00:00+00:00"  # 1 March 17:00 + 7 d
    assert len(r["activation_code"]) == len("XXXX-XXXX-XXXX")
    assert (r["status"], r["enrolled_at"]) == ("active", "2027-03-01T17:00:00+00:00")


@pytest.mark.parametrize(("study", "body", "defaults"), [
    ("mini-crossover", CROSSOVER_BODY,
     # the crossover declares no reminders (20:00 built in) and no languages ("en")
     {"timezone": "Europe/Paris", "reminder_time": "20:00", "language": "en"}),
    ("mini-parallel", PARALLEL_BODY,
     {"timezone": "America/Chicago", "reminder_time": "19:30", "language": "es"}),
])
def test_an_enrolment_defaults_to_the_studys_zone_reminder_time_and_first_language(
        api, crossover, parallel, study, body, defaults):
    r = api.enrol(crossover, study, **body)
    assert {k: r[k] for k in defaults} == defaults


def test_given_zone_reminder_time_and_language_are_kept(api, parallel):
    r = api.enrol(parallel, "mini-parallel", **PARALLEL_BODY, timezone="America/New_York",
                  reminder_time="21:15", language="en")
    assert (r["timezone"], r["reminder_time"], r["language"]) == (
        "America/New_York", "21:15", "en")


@pytest.mark.parametrize(("given", "e164", "masked"), [
    ("+33 6 12 34 56 78", "+33612345678", "+33" + "*" * 7 + "78"),  # 12 characters - 5 shown
    ("+33612345678", "+33612345678", "+33" + "*" * 7 + "78"),
    ("+44 20 7946 0958", "+442079460958", "+44" + "*" * 8 + "58"),  # 13 - 5
])
def test_a_phone_number_is_stored_encrypted_in_e164_and_shown_masked(app, api, crossover, given,
                                                                     e164, masked):
    r = api.enrol(crossover, STUDY, **CROSSOVER_BODY, phone=given)
    assert r["phone"] == masked
    shown = api.c.get(S001, headers=api.bearer(crossover)).json["phone"]
    assert shown == masked
    vault = app.extensions["paindiary"].vault
    with app.extensions["paindiary"].session_factory() as s:
        row = s.scalar(select(Participant).where(Participant.subject_id == "S001"))
        assert vault.decrypt(row.phone_encrypted) == e164
        assert e164[1:].encode() not in row.phone_encrypted
        assert row.phone_index == vault.index(e164)


def test_without_a_phone_number_none_is_stored(api, crossover):
    assert api.enrol(crossover, STUDY, **CROSSOVER_BODY)["phone"] is None


def test_a_subject_id_enrolled_twice_in_a_study_is_a_conflict(api, crossover, parallel):
    api.enrol(crossover, STUDY, **CROSSOVER_BODY)
    r = api.c.post(f"/api/v1/studies/{STUDY}/participants", headers=api.bearer(crossover),
                   json={**CROSSOVER_BODY, "site": "LYO", "sequence": "PK"})
    assert (r.status_code, r.json["code"], r.json["field"]) == (409, "conflict", "subject_id")
    # The same subject id in another study is another person.
    assert api.enrol(crossover, "mini-parallel", **PARALLEL_BODY)["subject_id"] == "S001"


# --- withdrawal ----------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "code"), [
    ({}, "validation_error"),
    ({"reason": ""}, "validation_error"),
    ({"reason": "   "}, "rule_violation"),
    ({"reason": None}, "validation_error"),
])
def test_a_withdrawal_needs_a_reason(api, s001, body, code):
    r = api.c.post(S001 + "/withdrawal", headers=api.bearer(s001["admin"]), json=body)
    assert (r.status_code, r.json["code"], r.json["field"]) == (422, code, "reason")
    assert api.c.get(S001, headers=api.bearer(s001["admin"])).json["status"] == "active"


def test_a_withdrawal_is_recorded_once(api, s001):
    h = api.bearer(s001["admin"])
    first = api.c.post(S001 + "/withdrawal", headers=h, json={"reason": "  moved away "})
    assert first.status_code == 200
    assert (first.json["status"], first.json["withdrawn_at"], first.json["withdrawal_reason"]) \
        == ("withdrawn", "2027-03-01T17:00:00+00:00", "moved away")
    again = api.c.post(S001 + "/withdrawal", headers=h, json={"reason": "twice"})
    assert (again.status_code, again.json["code"]) == (409, "conflict")
    assert "withdrew on 2027-03-01" in again.json["message"]
    assert api.c.get(S001, headers=h).json["withdrawal_reason"] == "moved away"


def test_no_new_activation_code_is_issued_after_a_withdrawal(api, s001):
    h = api.bearer(s001["admin"])
    api.c.post(S001 + "/withdrawal", headers=h, json={"reason": "moved away"})
    r = api.c.post(S001 + "/activation-code", headers=h)
    assert (r.status_code, r.json["code"]) == (422, "rule_violation")


# --- the audit trail -------------------------------------------------------------------------

def test_every_write_adds_audit_records_that_verify_intact(app, api, crossover_source, clock):
    ctx = {}

    def first_admin():
        ctx["admin"] = api.create_admin()  # through the CLI: no HTTP response

    def enrol_refused():
        return api.c.post(f"/api/v1/studies/{STUDY}/participants",
                          headers=api.bearer(ctx["admin"]),
                          json={**CROSSOVER_BODY, "site": "MRS"})

    def enrol():
        r = api.c.post(f"/api/v1/studies/{STUDY}/participants",
                       headers={**api.bearer(ctx["admin"]), "X-Request-Id": "req-enrol-1"},
                       json=CROSSOVER_BODY)
        ctx["code"] = r.json["activation_code"]
        return r

    def reissue():
        r = api.c.post(S001 + "/activation-code", headers=api.bearer(ctx["admin"]))
        ctx["code"] = r.json["activation_code"]
        return r

    def activate():
        r = api.c.post("/api/v1/participant/activate", json={"code": ctx["code"]})
        ctx["token"] = r.json["token"]
        return r

    def entry(score, reason=None, client_id="0b5e3c1a-8f7d-4c2e-9a6b-1d2e3f4a5b6c"):
        return api.entry(ctx["token"], "2027-03-01", score, reason=reason, client_id=client_id)

    steps = [
        # (what, the call, status, the actions it appends to the trail)
        ("create the first administrator", first_admin, None, ["account.create"]),
        ("create a study", lambda: api.upload(ctx["admin"], crossover_source), 201,
         ["protocol.load", "study.create"]),
        ("create an account", lambda: api.c.post(
            "/api/v1/accounts", headers=api.bearer(ctx["admin"]),
            json={"email": "coord@site.org", "password": "long enough pass"}), 201,
         ["account.create"]),
        ("grant a role", lambda: api.c.put(
            f"/api/v1/studies/{STUDY}/roles", headers=api.bearer(ctx["admin"]),
            json={"email": "coord@site.org", "role": "coordinator"}), 200, ["role.grant"]),
        ("a refused enrolment", enrol_refused, 422, []),
        ("enrol", enrol, 201, ["participant.enrol", "activation_code.issue"]),
        ("reissue the activation code", reissue, 201, ["activation_code.issue"]),
        ("activate a device", activate, 200, ["participant.activate"]),
        ("record an event", lambda: api.event(
            ctx["admin"], STUDY, "S001", type="infusion", period=1,
            occurred_at="2027-03-01T08:00:00+00:00"), 201, ["event.record"]),
        ("log pain", lambda: entry(6), 201, ["diary_entry.create"]),
        ("retry the same entry", lambda: entry(6), 200, []),
        ("correct it", lambda: entry(4, "tapped 6, meant 4", client_id=None), 201,
         ["diary_entry.correct"]),
        ("upgrade the protocol", lambda: api.upload(
            ctx["admin"], crossover_source.replace("Minimal", "Amended"),
            url=f"/api/v1/studies/{STUDY}/versions"), 201, ["protocol.load", "study.upgrade"]),
        ("withdraw", lambda: api.c.post(S001 + "/withdrawal", headers=api.bearer(ctx["admin"]),
                                        json={"reason": "moved away"}), 200,
         ["participant.withdraw"]),
        ("withdraw again", lambda: api.c.post(
            S001 + "/withdrawal", headers=api.bearer(ctx["admin"]), json={"reason": "again"}),
         409, []),
    ]
    trail: list[str] = []
    for what, call, status, appended in steps:
        r = call()
        assert r is None if status is None else r.status_code == status, what
        trail += appended
        assert _actions(app) == trail, what

    with app.extensions["paindiary"].session_factory() as s:
        enrolment = s.scalar(select(AuditRecord).where(
            AuditRecord.action == "participant.enrol"))
        assert (enrolment.actor, enrolment.request_id) == ("account:1", "req-enrol-1")
        assert enrolment.after["phone"] is None and enrolment.after["protocol_version"] == 1
        withdrawal = s.scalar(select(AuditRecord).where(
            AuditRecord.action == "participant.withdraw"))
        assert withdrawal.reason == "moved away"
        assert s.scalar(select(func.count()).select_from(AuditRecord)) == len(trail)

    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"audit trail intact: {len(trail)} records verified" in result.output  # 16
