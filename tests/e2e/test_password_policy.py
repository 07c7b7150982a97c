"""The password policy where a password is set: account creation (API and CLI), an
administrator's reset and a user's own change; a 422 naming the field and the rule, and
nothing stored."""

from __future__ import annotations

import pytest

from diary.passwords import COMMON, COMMON_PADDED, CONTEXT, REPETITIVE, TOO_SHORT

WEAK = [
    pytest.param("elevenchars", TOO_SHORT, id="11 characters"),
    pytest.param("1qaz2wsx3edc", COMMON, id="common"),
    pytest.param("Password2027!", COMMON_PADDED, id="common with digits"),
    pytest.param("aaaaaaaaaaaaaaa", REPETITIVE, id="repetitive"),
    pytest.param("new.colleague rocks", CONTEXT, id="own email"),
]
EMAIL = "new.colleague@site.org"


def _accounts(api, admin):
    return [a["email"] for a in api.c.get("/api/v1/accounts", headers=api.bearer(admin)).json]


@pytest.mark.parametrize(("password", "rule"), WEAK)
def test_account_creation_refuses_a_weak_password(api, password, rule):
    admin = api.create_admin()
    r = api.c.post("/api/v1/accounts", headers=api.bearer(admin),
                   json={"email": EMAIL, "password": password})
    assert (r.status_code, r.json["code"], r.json["field"]) == (422, "weak_password",
                                                                "password")
    assert r.json["message"] == f"password {rule}"
    assert _accounts(api, admin) == ["admin@site.org"]


@pytest.mark.parametrize(("password", "rule"), WEAK[:3])
def test_the_cli_refuses_a_weak_administrator_password(app, password, rule):
    r = app.test_cli_runner().invoke(args=["admin", "create", "--email", EMAIL,
                                           "--password", password])
    assert r.exit_code == 1 and rule in r.output


@pytest.fixture
def colleague(api):
    admin = api.create_admin()
    r = api.c.post("/api/v1/accounts", headers=api.bearer(admin),
                   json={"email": EMAIL, "password": "a long enough password"})
    assert r.status_code == 201, r.json
    return {"admin": admin, "token": api.login(EMAIL, "a long enough password")}


@pytest.mark.parametrize(("password", "rule"), WEAK)
def test_a_reset_refuses_a_weak_password_and_keeps_the_old_one(api, colleague, password,
                                                               rule):
    r = api.c.post("/api/v1/accounts/2/password-reset", headers=api.bearer(colleague["admin"]),
                   json={"new_password": password})
    assert (r.status_code, r.json["field"], r.json["message"]) == (
        422, "new_password", f"new_password {rule}")
    assert api.c.get("/api/v1/studies", headers=api.bearer(colleague["token"])).status_code \
        == 200
    assert api.login(EMAIL, "a long enough password")


@pytest.mark.parametrize(("password", "rule"), WEAK)
def test_a_change_refuses_a_weak_password_and_keeps_the_old_one(api, colleague, password,
                                                                rule):
    r = api.c.post("/api/v1/auth/password", headers=api.bearer(colleague["token"]),
                   json={"current_password": "a long enough password",
                         "new_password": password})
    assert (r.status_code, r.json["field"], r.json["message"]) == (
        422, "new_password", f"new_password {rule}")
    assert api.login(EMAIL, "a long enough password")
