"""Electronic signatures (21 CFR Part 11; issue 17): the actions a protocol lists under
``signatures`` need the user's password again and a stated meaning; the signer, time and
meaning go into the action's audit record. ``studies check`` validates the section."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from diary.db.audit_models import AuditRecord
from tests.conftest import MINIMAL_CROSSOVER

PASSWORD = "correct horse battery"  # the conftest admin's
MEANING = "I confirm the corrected time from the source record"
SIGNED = MINIMAL_CROSSOVER + f"""\
signatures:
  withdrawal: true
  anchor_correction: ["{MEANING}"]
"""


@pytest.fixture
def study(api):
    admin = api.create_admin()
    key = api.create_study(admin, SIGNED)
    api.enrol(admin, key, subject_id="S1", site="PAR", sequence="KP")
    return admin, key


def _withdraw(api, admin, key, **body):
    return api.c.post(f"/api/v1/studies/{key}/participants/S1/withdrawal",
                      headers=api.bearer(admin), json={"reason": "moved away", **body})


def _record(app, action: str) -> AuditRecord | None:
    with app.extensions["paindiary"].session_factory() as s:
        return s.scalars(select(AuditRecord).where(AuditRecord.action == action)).first()


def test_a_listed_action_without_a_signature_is_refused_and_nothing_changes(api, app, study):
    admin, key = study
    r = _withdraw(api, admin, key)
    assert r.status_code == 422
    assert (r.json["code"], r.json["field"]) == ("signature_required", "signature")
    assert "signature.password" in r.json["message"]
    assert _record(app, "participant.withdraw") is None


def test_a_wrong_password_is_refused_with_403(api, app, study):
    admin, key = study
    r = _withdraw(api, admin, key, signature={"password": "not my password",
                                              "meaning": "I withdraw S1"})
    assert r.status_code == 403
    assert (r.json["code"], r.json["field"]) == ("signature_invalid", "signature.password")
    assert _record(app, "participant.withdraw") is None


def test_wrong_signature_passwords_are_throttled_like_sign_ins(api, app, study, clock):
    """A held session cannot be used to guess its account's password through signatures:
    after five wrong ones the sixth waits (429 with Retry-After), even with the right
    password, and the wait passes with time."""
    admin, key = study
    wrong = {"password": "not my password", "meaning": "I withdraw S1"}
    assert [_withdraw(api, admin, key, signature=wrong).status_code
            for _ in range(5)] == [403] * 5
    r = _withdraw(api, admin, key, signature={**wrong, "password": PASSWORD})
    assert r.status_code == 429
    assert (r.json["code"], r.json["field"]) == ("too_many_attempts", "signature.password")
    assert int(r.headers["Retry-After"]) >= 1
    assert _record(app, "participant.withdraw") is None
    clock.advance(timedelta(seconds=int(r.headers["Retry-After"])))
    r = _withdraw(api, admin, key, signature={**wrong, "password": PASSWORD})
    assert r.status_code == 200, r.json
    assert _record(app, "participant.withdraw") is not None


def test_a_signature_without_a_meaning_is_refused(api, study):
    admin, key = study
    r = _withdraw(api, admin, key, signature={"password": PASSWORD})
    assert r.status_code == 422
    assert r.json["field"] == "signature.meaning"


def test_the_signature_is_recorded_with_the_withdrawal(api, app, study, clock):
    admin, key = study
    r = _withdraw(api, admin, key, signature={"password": PASSWORD,
                                              "meaning": "I confirm S1 withdrew consent"})
    assert r.status_code == 200, r.json
    record = _record(app, "participant.withdraw")
    assert record.signature == {"signer": "admin@site.org", "account_id": 1,
                                "signed_at": str(clock.now()),
                                "meaning": "I confirm S1 withdrew consent",
                                "action": "withdrawal"}
    assert "PASSWORD" not in str(record.signature).upper()
    # The signature is part of the hashed content: editing it breaks the chain.
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_an_anchor_correction_needs_one_of_the_listed_meanings(api, app, study):
    admin, key = study
    r = api.event(admin, key, "S1", type="infusion", period=1,
                  occurred_at="2027-02-27T09:00:00+00:00")
    assert r.status_code == 201, r.json
    url = f"/api/v1/studies/{key}/participants/S1/events/{r.json['id']}/corrections"
    body = {"occurred_at": "2027-02-27T10:00:00+00:00", "reason": "typed 09 for 10"}
    r = api.c.post(url, headers=api.bearer(admin), json=body)
    assert (r.status_code, r.json["code"]) == (422, "signature_required")
    r = api.c.post(url, headers=api.bearer(admin),
                   json={**body, "signature": {"password": PASSWORD, "meaning": "ok"}})
    assert (r.status_code, r.json["code"], r.json["field"]) == \
        (422, "signature_meaning", "signature.meaning")
    r = api.c.post(url, headers=api.bearer(admin),
                   json={**body, "signature": {"password": PASSWORD, "meaning": MEANING}})
    assert r.status_code == 200, r.json
    assert _record(app, "event.correct").signature["meaning"] == MEANING


def test_an_action_the_protocol_does_not_list_needs_no_signature(api, app, crossover_source):
    admin = api.create_admin()
    key = api.create_study(admin, crossover_source)
    api.enrol(admin, key, subject_id="S1", site="PAR", sequence="KP")
    assert _withdraw(api, admin, key).status_code == 200
    assert _record(app, "participant.withdraw").signature is None


@pytest.mark.parametrize("section, path, rule", [
    ("signatures: {discharge: true}", "signatures.discharge", "unknown field"),
    ("signatures: {withdrawal: false}", "signatures.withdrawal", "must be true"),
    ("signatures: {withdrawal: []}", "signatures.withdrawal", "must be true"),
    ("signatures: {withdrawal: [a, a]}", "signatures.withdrawal", "has duplicates"),
    ("signatures: {withdrawal: ['']}", "signatures.withdrawal[0]", "must be a non-empty string"),
    ("signatures: [withdrawal]", "signatures", "must be a mapping"),
])
def test_studies_check_names_a_bad_signatures_section(app, tmp_path, section, path, rule):
    protocol = tmp_path / "study.yaml"
    protocol.write_text(MINIMAL_CROSSOVER + section + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["studies", "check", str(protocol)])
    assert result.exit_code == 1
    assert f"{path}: {rule}" in result.output


def test_studies_check_accepts_a_signatures_section(app, tmp_path):
    protocol = tmp_path / "study.yaml"
    protocol.write_text(SIGNED, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["studies", "check", str(protocol)])
    assert result.exit_code == 0, result.output
