"""Access that can be taken back (issue 17): sign-out, an administrator's revocation,
disabling and password reset, a user's own password change, and the idle expiry of
device tokens; each through the API and the CLI, each audited, none recording a password.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from diary.db.audit_models import AuditRecord

STUDY = "mini-crossover"
ADMIN_PW = "correct horse battery"
STAFF_PW = "a long enough password"
NEW_PW = "a brand new passphrase"


def _audit(app, action: str) -> list[tuple[str, str, dict | None, str | None]]:
    with app.extensions["paindiary"].session_factory() as s:
        return [(r.actor, r.entity_id, r.after, r.reason) for r in s.scalars(
            select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id))]


def _all_audit_text(app) -> str:
    with app.extensions["paindiary"].session_factory() as s:
        return " ".join(f"{r.before} {r.after} {r.reason}" for r in s.scalars(select(AuditRecord)))


@pytest.fixture
def staff(api, crossover_source):
    """An administrator, a coordinator (account 2) with two tokens, and S001's device."""
    admin = api.create_admin()
    api.create_study(admin, crossover_source)
    first = api.staff(admin, "coord@site.org", "coordinator", STUDY)
    second = api.login("coord@site.org", STAFF_PW)
    code = api.enrol(admin, STUDY, subject_id="S001", site="PAR", sequence="KP")
    device = api.activate(code["activation_code"])
    return {"admin": admin, "first": first, "second": second, "device": device}


def _works(api, token: str, path: str = "/api/v1/studies") -> int:
    return api.c.get(path, headers=api.bearer(token)).status_code


# --- sign-out --------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "path"), [("first", "/api/v1/studies"),
                                           ("device", "/api/v1/me")])
def test_sign_out_revokes_only_the_token_it_was_sent_with(api, app, staff, who, path):
    assert _works(api, staff[who], path) == 200
    r = api.c.post("/api/v1/auth/logout", headers=api.bearer(staff[who]))
    assert r.status_code == 204
    again = api.c.get(path, headers=api.bearer(staff[who]))
    assert (again.status_code, again.json["code"]) == (401, "unauthorized")
    # A second sign-out with the same token is a 401 too, not a 500 or a 204.
    assert api.c.post("/api/v1/auth/logout", headers=api.bearer(staff[who])).status_code == 401
    if who == "first":
        assert _works(api, staff["second"]) == 200  # the other session goes on
    [(actor, _, after, _)] = _audit(app, "token.revoke")
    assert after == {"why": "sign-out"}
    assert actor == ("account:2" if who == "first" else actor)
    assert actor.startswith("participant:") == (who == "device")


# --- an administrator takes access back ---------------------------------------------------

def test_an_administrator_revokes_every_token_of_an_account(api, app, staff):
    r = api.c.post("/api/v1/accounts/2/token-revocation", headers=api.bearer(staff["admin"]),
                   json={"reason": "laptop stolen"})
    assert (r.status_code, r.json) == (200, {"tokens_revoked": 2})
    assert (_works(api, staff["first"]), _works(api, staff["second"])) == (401, 401)
    assert _works(api, staff["admin"]) == 200
    assert api.login("coord@site.org", STAFF_PW)  # the password still works
    assert _audit(app, "account.tokens_revoke") == [
        ("account:1", "2", {"email": "coord@site.org", "tokens_revoked": 2}, "laptop stolen")]


def test_a_coordinator_revokes_a_lost_device_and_a_new_code_replaces_it(api, app, staff):
    h = api.bearer(staff["first"])
    r = api.c.post(f"/api/v1/studies/{STUDY}/participants/S001/device-revocation", headers=h,
                   json={"reason": "phone lost"})
    assert (r.status_code, r.json) == (200, {"tokens_revoked": 1})
    assert _works(api, staff["device"], "/api/v1/me") == 401
    code = api.c.post(f"/api/v1/studies/{STUDY}/participants/S001/activation-code", headers=h)
    assert _works(api, api.activate(code.json["activation_code"]), "/api/v1/me") == 200
    [(actor, _, after, reason)] = _audit(app, "device.tokens_revoke")
    assert (actor, after, reason) == ("account:2", {"tokens_revoked": 1}, "phone lost")


def test_a_disabled_account_is_refused_at_once_and_cannot_sign_in(api, app, staff):
    ah = api.bearer(staff["admin"])
    r = api.c.post("/api/v1/accounts/2/disabling", headers=ah, json={"reason": "left"})
    assert r.status_code == 200 and r.json["disabled_at"] is not None
    assert (_works(api, staff["first"]), _works(api, staff["second"])) == (401, 401)
    login = api.c.post("/api/v1/auth/login",
                       json={"email": "coord@site.org", "password": STAFF_PW})
    assert (login.status_code, login.json["code"]) == (403, "account_disabled")
    # Whoever does not know the password learns nothing: the usual 401.
    wrong = api.c.post("/api/v1/auth/login",
                       json={"email": "coord@site.org", "password": "not the password"})
    assert wrong.status_code == 401
    again = api.c.post("/api/v1/accounts/2/disabling", headers=ah, json={"reason": "left"})
    assert (again.status_code, again.json["code"]) == (409, "account_disabled")
    r = api.c.post("/api/v1/accounts/2/enabling", headers=ah, json={"reason": "came back"})
    assert r.status_code == 200 and r.json["disabled_at"] is None
    assert _works(api, api.login("coord@site.org", STAFF_PW)) == 200
    assert [(a, e, after, why) for a, e, after, why in _audit(app, "account.disable")] == [
        ("account:1", "2", {"email": "coord@site.org", "disabled": True, "tokens_revoked": 2},
         "left")]
    assert [why for *_, why in _audit(app, "account.enable")] == ["came back"]


def test_a_token_of_a_disabled_account_fails_even_if_it_escaped_revocation(api, app, staff):
    """Disabling is checked on every request, not only by revoking the tokens: a token
    issued by a worker racing the disable still stops working."""
    from sqlalchemy import update

    from diary.db.models import Account

    with app.extensions["paindiary"].session_factory() as s:
        s.execute(update(Account).where(Account.id == 2).values(disabled_at=api.app.extensions[
            "paindiary"].clock.now()))
        s.commit()
    assert _works(api, staff["first"]) == 401


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"reason": "  "}, 422, "reason"),
    ({}, 422, "reason"),
])
def test_disabling_needs_a_reason(api, staff, body, status, field):
    r = api.c.post("/api/v1/accounts/2/disabling", headers=api.bearer(staff["admin"]),
                   json=body)
    assert (r.status_code, r.json["field"]) == (status, field)
    assert _works(api, staff["first"]) == 200


def test_an_administrator_cannot_disable_their_own_account(api, staff):
    r = api.c.post("/api/v1/accounts/1/disabling", headers=api.bearer(staff["admin"]),
                   json={"reason": "oops"})
    assert (r.status_code, r.json["field"]) == (422, "account_id")
    assert _works(api, staff["admin"]) == 200


def test_an_unknown_account_is_404(api, staff):
    r = api.c.post("/api/v1/accounts/99/password-reset", headers=api.bearer(staff["admin"]),
                   json={"new_password": NEW_PW})
    assert r.status_code == 404


@pytest.mark.parametrize("path", ["disabling", "enabling", "password-reset",
                                  "token-revocation"])
def test_only_an_administrator_takes_access_back(api, staff, path):
    r = api.c.post(f"/api/v1/accounts/1/{path}", headers=api.bearer(staff["first"]),
                   json={"reason": "x"} if path.endswith("abling") else
                   {"new_password": NEW_PW} if path == "password-reset" else {})
    assert (r.status_code, r.json["code"]) == (403, "forbidden")
    assert _works(api, staff["admin"]) == 200


def test_a_password_reset_replaces_the_password_and_signs_the_account_out(api, app, staff):
    r = api.c.post("/api/v1/accounts/2/password-reset", headers=api.bearer(staff["admin"]),
                   json={"new_password": NEW_PW})
    assert r.status_code == 200 and r.json["password_changed_at"] is not None
    assert (_works(api, staff["first"]), _works(api, staff["second"])) == (401, 401)
    old = api.c.post("/api/v1/auth/login", json={"email": "coord@site.org", "password": STAFF_PW})
    assert old.status_code == 401
    assert _works(api, api.login("coord@site.org", NEW_PW)) == 200
    assert _audit(app, "account.password_reset") == [
        ("account:1", "2", {"email": "coord@site.org", "tokens_revoked": 2}, None)]
    assert NEW_PW not in _all_audit_text(app) and STAFF_PW not in _all_audit_text(app)


# --- a user changes their own password ---------------------------------------------------

def _change(api, token, current, new):
    return api.c.post("/api/v1/auth/password", headers=api.bearer(token),
                      json={"current_password": current, "new_password": new})


def test_a_user_changes_their_own_password_with_the_current_one(api, app, staff):
    r = _change(api, staff["first"], STAFF_PW, NEW_PW)
    assert r.status_code == 204
    # The session that changed it goes on; the others end.
    assert (_works(api, staff["first"]), _works(api, staff["second"])) == (200, 401)
    assert _works(api, api.login("coord@site.org", NEW_PW)) == 200
    assert api.c.post("/api/v1/auth/login", json={"email": "coord@site.org",
                                                  "password": STAFF_PW}).status_code == 401
    [(actor, entity, after, _)] = _audit(app, "account.password_change")
    assert (actor, entity, after) == ("account:2", "2", {"other_tokens_revoked": 1})
    assert NEW_PW not in _all_audit_text(app)


def test_a_wrong_current_password_changes_nothing(api, staff):
    r = _change(api, staff["first"], "not my password", NEW_PW)
    assert (r.status_code, r.json["code"], r.json["field"]) == (
        403, "wrong_password", "current_password")
    assert _works(api, staff["second"]) == 200
    assert api.login("coord@site.org", STAFF_PW)


def test_guessing_the_current_password_with_a_stolen_token_is_throttled(api, staff):
    statuses = [_change(api, staff["first"], f"guess number {i}", NEW_PW).status_code
                for i in range(6)]
    assert statuses == [403] * 5 + [429]
    r = _change(api, staff["first"], STAFF_PW, NEW_PW)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_the_new_password_must_differ_from_the_current_one(api, staff):
    r = _change(api, staff["first"], STAFF_PW, STAFF_PW)
    assert (r.status_code, r.json["field"]) == (422, "new_password")


def test_a_participant_token_has_no_password_to_change(api, staff):
    r = _change(api, staff["device"], "anything at all", NEW_PW)
    assert r.status_code == 403


# --- device tokens expire when idle --------------------------------------------------------

@pytest.mark.parametrize(("idle", "status"), [
    (timedelta(days=120) - timedelta(seconds=1), 200),  # DEVICE_TOKEN_IDLE_DAYS is 120
    (timedelta(days=120), 401),
])
def test_a_device_token_unused_for_the_idle_period_stops_working(api, clock, staff, idle,
                                                                  status):
    clock.advance(idle)
    r = api.c.get("/api/v1/me", headers=api.bearer(staff["device"]))
    assert r.status_code == status
    if status == 401:
        assert r.json["code"] == "device_idle" and "new activation code" in r.json["message"]


def test_an_idle_expiry_is_audited_once_and_the_token_stays_dead(api, app, clock, staff):
    clock.advance(timedelta(days=120))
    assert _works(api, staff["device"], "/api/v1/me") == 401
    clock.advance(timedelta(days=1))  # ... even if the setting were raised now
    app.config["DEVICE_TOKEN_IDLE_DAYS"] = 365
    assert _works(api, staff["device"], "/api/v1/me") == 401
    [(actor, _, after, _)] = _audit(app, "token.expire")
    assert (actor, after["why"]) == ("system", "idle")


def test_each_use_of_a_device_token_moves_its_idle_deadline(api, clock, staff):
    for _ in range(4):  # 4 x 100 days of use, far past 120 days since activation
        clock.advance(timedelta(days=100))
        assert _works(api, staff["device"], "/api/v1/me") == 200
    clock.advance(timedelta(days=120))
    assert _works(api, staff["device"], "/api/v1/me") == 401


def test_the_idle_period_is_a_setting(app, api, clock, staff):
    app.config["DEVICE_TOKEN_IDLE_DAYS"] = 3
    clock.advance(timedelta(days=3))
    assert _works(api, staff["device"], "/api/v1/me") == 401
    app.config["DEVICE_TOKEN_IDLE_DAYS"] = 0  # off
    clock.advance(timedelta(days=300))
    code = api.c.post(f"/api/v1/studies/{STUDY}/participants/S001/activation-code",
                      headers=api.bearer(api.login("admin@site.org", ADMIN_PW)))
    token = api.activate(code.json["activation_code"])
    clock.advance(timedelta(days=300))
    assert _works(api, token, "/api/v1/me") == 200


def test_staff_tokens_are_not_touched_by_the_device_idle_period(api, clock, staff):
    clock.advance(timedelta(hours=11))
    assert _works(api, staff["first"]) == 200


# --- the same from the command line --------------------------------------------------------

def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["accounts", *args])


def test_the_cli_lists_disables_enables_resets_and_revokes(api, app, staff):
    listed = _cli(app, "list")
    assert listed.exit_code == 0 and "coord@site.org\tstaff\tactive" in listed.output
    r = _cli(app, "revoke-tokens", "coord@site.org", "--reason", "audit")
    assert r.exit_code == 0 and "2 token(s)" in r.output
    assert _works(api, staff["first"]) == 401
    r = _cli(app, "disable", "coord@site.org", "--reason", "left")
    assert r.exit_code == 0, r.output
    assert "disabled" in _cli(app, "list").output
    r = _cli(app, "enable", "coord@site.org", "--reason", "back")
    assert r.exit_code == 0, r.output
    r = _cli(app, "reset-password", "coord@site.org", "--password", NEW_PW)
    assert r.exit_code == 0, r.output
    assert _works(api, api.login("coord@site.org", NEW_PW)) == 200
    r = _cli(app, "revoke-device", STUDY, "S001", "--reason", "phone lost")
    assert r.exit_code == 0 and "1 device token(s)" in r.output
    assert _works(api, staff["device"], "/api/v1/me") == 401
    actors = {a for action in ("account.tokens_revoke", "account.disable", "account.enable",
                               "account.password_reset", "device.tokens_revoke")
              for a, *_ in _audit(app, action)}
    assert actors == {"cli"}


@pytest.mark.parametrize(("args", "message"), [
    (["disable", "nobody@site.org", "--reason", "x"], "no account for nobody@site.org"),
    (["reset-password", "coord@site.org", "--password", "short"], "at least 12 characters"),
    (["revoke-device", STUDY, "S999"], "no participant 'S999'"),
])
def test_the_cli_answers_a_refusal_in_one_line(app, staff, args, message):
    r = _cli(app, *args)
    assert r.exit_code == 1 and message in r.output and "Traceback" not in r.output
