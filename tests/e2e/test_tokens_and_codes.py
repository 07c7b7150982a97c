"""How tokens and codes fail: staff token expiry, participants' activation codes (typing,
expiry, single use, reissue, device logout) and the staff login's answer. Throttling of
wrong codes and passwords: tests/e2e/test_throttling.py; sign-out, revocation and idle
expiry: tests/e2e/test_sessions.py.

The 401 for a missing or unknown bearer token, on every route behind a token, is checked in
tests/e2e/test_authorization.py next to the route tables it is parametrized by.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

STUDY = "mini-crossover"


# --- staff tokens ------------------------------------------------------------------------

@pytest.mark.parametrize(("elapsed", "status"), [
    (timedelta(hours=12) - timedelta(seconds=1), 200),  # TOKEN_TTL is 12 h
    (timedelta(hours=12), 401),                          # expires_at is exclusive
    (timedelta(hours=12, minutes=1), 401),
])
def test_a_staff_token_expires_after_the_token_ttl(api, clock, elapsed, status):
    admin = api.create_admin()
    clock.advance(elapsed)
    assert api.c.get("/api/v1/studies", headers=api.bearer(admin)).status_code == status


def test_login_returns_when_the_token_expires(api, clock):
    api.create_admin()
    r = api.c.post("/api/v1/auth/login",
                   json={"email": "admin@site.org", "password": "correct horse battery"})
    assert r.json["expires_at"] == (clock.now() + timedelta(hours=12)).isoformat()


# --- activation codes --------------------------------------------------------------------

@pytest.fixture
def enrolled(api, crossover_source):
    admin = api.create_admin()
    api.create_study(admin, crossover_source)
    code = api.enrol(admin, STUDY, subject_id="S001", site="PAR",
                     sequence="KP")["activation_code"]
    return {"admin": admin, "code": code}


def _activate(api, code):
    return api.c.post("/api/v1/participant/activate", json={"code": code})


def _wrong_secret(code: str) -> str:
    """The same lookup group (the code's row is found) with another secret."""
    secret = "2222-2222" if code[5:] != "2222-2222" else "3333-3333"
    return code[:5] + secret


def _reissue(api, admin) -> str:
    r = api.c.post(f"/api/v1/studies/{STUDY}/participants/S001/activation-code",
                   headers=api.bearer(admin))
    assert r.status_code == 201, r.json
    return r.json["activation_code"]


@pytest.mark.parametrize("spelling", [
    pytest.param(lambda c: c, id="as issued"),
    pytest.param(str.lower, id="lower case"),
    pytest.param(lambda c: c.replace("-", ""), id="without dashes"),
    pytest.param(lambda c: c.lower().replace("-", " "), id="lower case with spaces"),
])
def test_an_activation_code_works_however_it_is_typed(api, enrolled, spelling):
    r = _activate(api, spelling(enrolled["code"]))
    assert r.status_code == 200, r.json
    assert (r.json["study"], r.json["subject_id"]) == (STUDY, "S001")
    assert api.c.get("/api/v1/me", headers=api.bearer(r.json["token"])).status_code == 200


@pytest.mark.parametrize(("elapsed", "status", "code"), [
    (timedelta(days=7) - timedelta(seconds=1), 200, None),  # ACTIVATION_CODE_TTL is 7 days
    (timedelta(days=7), 403, "code_expired"),
    (timedelta(days=8), 403, "code_expired"),
])
def test_an_activation_code_expires_after_seven_days(api, enrolled, clock, elapsed, status,
                                                     code):
    clock.advance(elapsed)
    r = _activate(api, enrolled["code"])
    assert r.status_code == status, r.json
    if code:
        assert (r.json["code"], r.json["field"]) == (code, "code")


def test_an_activation_code_works_once(api, enrolled):
    assert _activate(api, enrolled["code"]).status_code == 200
    r = _activate(api, enrolled["code"])
    assert (r.status_code, r.json["code"]) == (403, "code_used")


@pytest.mark.parametrize(("code", "status"), [
    pytest.param("", 422, id="empty"),
    pytest.param("ABCD", 401, id="too short"),
    pytest.param("ABCD-EFGH-JKLM-NPQR", 401, id="too long"),
    pytest.param("!!!!-????-....", 401, id="no letters"),
])
def test_a_malformed_activation_code_is_refused(api, enrolled, code, status):
    r = _activate(api, code)
    assert (r.status_code, r.json["field"]) == (status, "code")


def test_a_reissued_code_revokes_the_previous_unused_one(api, enrolled):
    new = _reissue(api, enrolled["admin"])
    old = _activate(api, enrolled["code"])
    assert (old.status_code, old.json["code"]) == (401, "unauthorized")
    assert _activate(api, new).status_code == 200


def test_a_new_activation_logs_the_earlier_device_out(api, enrolled):
    first = api.activate(enrolled["code"])
    second = api.activate(_reissue(api, enrolled["admin"]))
    old = api.c.get("/api/v1/me", headers=api.bearer(first))
    assert (old.status_code, old.json["code"]) == (401, "unauthorized")
    assert api.c.get("/api/v1/me", headers=api.bearer(second)).status_code == 200


def test_a_withdrawn_participant_cannot_activate_a_device(api, enrolled):
    r = api.c.post(f"/api/v1/studies/{STUDY}/participants/S001/withdrawal",
                   headers=api.bearer(enrolled["admin"]), json={"reason": "declined"})
    assert r.status_code == 200
    r = _activate(api, enrolled["code"])
    assert (r.status_code, r.json["code"]) == (403, "forbidden")


# --- staff login (throttling: tests/e2e/test_throttling.py) -----------------------------

def _login(api, password):
    return api.c.post("/api/v1/auth/login",
                      json={"email": "admin@site.org", "password": password})


def test_wrong_passwords_are_401_and_an_unknown_email_looks_the_same(api):
    api.create_admin()
    wrong = _login(api, "not the password")
    unknown = api.c.post("/api/v1/auth/login",
                         json={"email": "nobody@site.org", "password": "not the password"})
    assert (wrong.status_code, unknown.status_code) == (401, 401)
    assert wrong.json == unknown.json
