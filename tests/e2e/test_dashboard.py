"""The dashboard through Flask's test client: sign-in, the session cookie's flags, CSRF,
the idle timeout, roles and sites, blinding, and /docs (issue 15). The browser tests
(tests/browser) drive the same pages in Chromium."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

STUDY = "mini-crossover"
ADMIN, ADMIN_PASSWORD = "admin@site.org", "correct horse battery"
PASSWORD = "a long enough password"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client, path="/sign-in") -> str:
    return TOKEN_RE.search(client.get(path).get_data(as_text=True)).group(1)


def sign_in(client, email=ADMIN, password=ADMIN_PASSWORD):
    return client.post("/sign-in", data={"email": email, "password": password,
                                         "csrf_token": csrf(client)})


@pytest.fixture
def study(api, crossover_source):
    """The crossover study (sites PAR, LYO), S001 at PAR and S002 at LYO, a safety alert
    for each, a coordinator of PAR and a viewer."""
    admin = api.create_admin(ADMIN, ADMIN_PASSWORD)
    api.create_study(admin, crossover_source)
    api.unblind(admin, STUDY)
    for subject, site, seq in (("S001", "PAR", "KP"), ("S002", "LYO", "PK")):
        api.enrol(admin, STUDY, subject_id=subject, site=site, sequence=seq)
        r = api.c.post(f"/api/v1/studies/{STUDY}/participants/{subject}/adverse-events",
                       headers=api.bearer(admin),
                       json={"term": "Vomiting", "onset": "2027-03-01", "severity": "severe",
                             "serious": False, "relatedness": "possible",
                             "client_id": str(uuid.uuid4())})
        assert r.status_code == 201, r.json
    api.staff(admin, "coordinator.par@site.org", "coordinator", STUDY, sites=["PAR"])
    api.staff(admin, "viewer@site.org", "viewer", STUDY)
    return admin


def alerts(api, admin) -> dict[str, dict]:
    r = api.c.get(f"/api/v1/studies/{STUDY}/alerts", headers=api.bearer(admin))
    return {a["subject_id"]: a for a in r.json["items"]}


# --- signing in and out -----------------------------------------------------------------------

def test_the_root_sends_a_stranger_to_sign_in_and_a_signed_in_user_to_the_studies(app, study):
    web = app.test_client()
    assert web.get("/").headers["Location"].startswith("/sign-in")
    assert sign_in(web).headers["Location"] == "/studies"
    assert web.get("/").headers["Location"] == "/studies"
    page = web.get("/studies").get_data(as_text=True)
    assert "Minimal crossover" in page and f'href="/studies/{STUDY}"' in page


def test_a_wrong_password_answers_401_on_the_page_and_signs_nobody_in(app, study):
    web = app.test_client()
    r = sign_in(web, password="not the password")
    assert r.status_code == 401 and "Wrong email or password." in r.get_data(as_text=True)
    assert web.get("/studies").status_code == 302


def test_the_session_cookie_is_httponly_lax_and_secure_only_over_https(app, study):
    plain = sign_in(app.test_client()).headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    web = app.test_client()
    token = TOKEN_RE.search(web.get("/sign-in", base_url="https://diary.example.org")
                            .get_data(as_text=True)).group(1)
    r = web.post("/sign-in", base_url="https://diary.example.org",
                 data={"email": ADMIN, "password": ADMIN_PASSWORD, "csrf_token": token})
    assert "; Secure" in r.headers["Set-Cookie"]


def test_a_setting_makes_the_cookie_secure_behind_a_proxy_that_ends_tls(app, study):
    app.config["SESSION_COOKIE_SECURE"] = True
    assert "; Secure" in sign_in(app.test_client()).headers["Set-Cookie"]


def test_a_form_without_the_csrf_token_is_refused(app, study):
    web = app.test_client()
    web.get("/sign-in")
    r = web.post("/sign-in", data={"email": ADMIN, "password": ADMIN_PASSWORD})
    assert r.status_code == 400 and "reload the page" in r.get_data(as_text=True)
    r = web.post("/sign-in", data={"email": ADMIN, "password": ADMIN_PASSWORD,
                                   "csrf_token": "forged"})
    assert r.status_code == 400
    assert web.get("/studies").status_code == 302  # not signed in


def test_acknowledging_needs_the_csrf_token_and_then_acknowledges(app, api, study):
    web = app.test_client()
    sign_in(web)
    alert = alerts(api, study)["S001"]
    url = f"/studies/{STUDY}/alerts/{alert['id']}/acknowledge"
    assert web.post(url, headers={"HX-Request": "true"}).status_code == 400
    assert alerts(api, study)["S001"]["acknowledged_at"] is None
    token = csrf(web, f"/studies/{STUDY}/alerts")
    r = web.post(url, headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert r.status_code == 200
    row = r.get_data(as_text=True)
    assert row.lstrip().startswith(f'<tr id="alert-{alert["id"]}">') and "<button" not in row
    assert alerts(api, study)["S001"]["acknowledged_at"] is not None
    again = web.post(url, headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert again.status_code == 409 and "acknowledged at" in again.get_data(as_text=True)


def test_a_plain_form_post_acknowledges_and_returns_to_the_alerts(app, api, study):
    web = app.test_client()
    sign_in(web)
    alert = alerts(api, study)["S002"]
    token = csrf(web, f"/studies/{STUDY}/alerts")
    r = web.post(f"/studies/{STUDY}/alerts/{alert['id']}/acknowledge",
                 data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == f"/studies/{STUDY}/alerts"


def test_the_session_ends_after_the_idle_timeout(app, study, clock):
    web = app.test_client()
    sign_in(web)
    clock.advance(timedelta(minutes=29))
    assert web.get("/studies").status_code == 200  # and the idle time starts again
    clock.advance(timedelta(minutes=30))
    assert web.get("/studies").status_code == 200
    clock.advance(timedelta(minutes=30, seconds=1))
    r = web.get("/studies")
    assert r.status_code == 302 and r.headers["Location"].startswith("/sign-in")
    assert "after 30 minutes without activity" in web.get(r.headers["Location"]).get_data(
        as_text=True)
    assert web.get("/studies").status_code == 302  # the session is gone, not only refused


def test_an_htmx_request_after_the_timeout_is_told_to_load_the_sign_in_page(app, study,
                                                                              clock):
    web = app.test_client()
    sign_in(web)
    clock.advance(timedelta(minutes=31))
    r = web.get(f"/studies/{STUDY}/reminders?page=2", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["HX-Redirect"].startswith("/sign-in")


def test_signing_out_ends_the_session(app, study):
    web = app.test_client()
    sign_in(web)
    token = csrf(web, "/studies")
    r = web.post("/sign-out", data={"csrf_token": token})
    assert r.headers["Location"] == "/sign-in"
    assert "You are signed out." in web.get("/sign-in").get_data(as_text=True)
    assert web.get("/studies").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/",
                                    "/\\evil.example", "studies"])
def test_sign_in_never_redirects_to_another_site(app, study, target):
    web = app.test_client()
    token = csrf(web)
    r = web.post("/sign-in", query_string={"next": target},
                 data={"email": ADMIN, "password": ADMIN_PASSWORD, "csrf_token": token})
    assert r.headers["Location"] == "/studies"


def test_sign_in_returns_to_the_page_asked_for(app, study):
    web = app.test_client()
    r = web.get(f"/studies/{STUDY}/alerts")
    token = csrf(web)
    r = web.post(r.headers["Location"],
                 data={"email": ADMIN, "password": ADMIN_PASSWORD, "csrf_token": token})
    assert r.headers["Location"] == f"/studies/{STUDY}/alerts"


# --- pages, roles and sites -------------------------------------------------------------------

def test_every_page_of_the_study_renders_for_the_administrator(app, study):
    web = app.test_client()
    sign_in(web)
    for path in ("", "/participants", "/participants/S001", "/alerts", "/alerts?show=all",
                 "/reminders", "/reminders?state=failed&site=LYO", "/participants?site=LYO"):
        r = web.get(f"/studies/{STUDY}{path}")
        assert r.status_code == 200, path
        assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert r.headers["Cache-Control"] == "no-store"


def test_a_viewer_gets_no_write_control_and_cannot_acknowledge(app, api, study):
    web = app.test_client()
    sign_in(web, "viewer@site.org", PASSWORD)
    for path in ("", "/participants", "/participants/S001", "/alerts"):
        page = web.get(f"/studies/{STUDY}{path}").get_data(as_text=True)
        assert "hx-post" not in page and ">Acknowledge<" not in page, path
        assert "read only" in page
    alert = alerts(api, study)["S001"]
    token = csrf(web, "/studies")
    r = web.post(f"/studies/{STUDY}/alerts/{alert['id']}/acknowledge",
                 headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert r.status_code == 403
    assert alerts(api, study)["S001"]["acknowledged_at"] is None


def test_a_coordinator_of_one_site_sees_that_site_only(app, api, study):
    web = app.test_client()
    sign_in(web, "coordinator.par@site.org", PASSWORD)
    overview = web.get(f"/studies/{STUDY}").get_data(as_text=True)
    assert ">PAR</a>" in overview and "LYO" not in overview
    assert "S001" in overview and "S002" not in overview  # open alerts of PAR only
    listing = web.get(f"/studies/{STUDY}/participants").get_data(as_text=True)
    assert "S001" in listing and "S002" not in listing
    assert web.get(f"/studies/{STUDY}/participants?site=LYO").get_data(
        as_text=True).count("S002") == 0
    other = web.get(f"/studies/{STUDY}/participants/S002")
    missing = web.get(f"/studies/{STUDY}/participants/S999")
    # Word for word the answer for a participant that does not exist.
    assert other.status_code == missing.status_code == 404
    assert "no participant &#39;S002&#39;" in other.get_data(as_text=True)
    alert = alerts(api, study)["S002"]
    token = csrf(web, "/studies")
    r = web.post(f"/studies/{STUDY}/alerts/{alert['id']}/acknowledge",
                 headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert r.status_code == 404
    assert alerts(api, study)["S002"]["acknowledged_at"] is None


def test_blinded_staff_see_no_allocation_and_unblinded_staff_do(app, study):
    unblinded, blinded = app.test_client(), app.test_client()
    sign_in(unblinded)
    sign_in(blinded, "coordinator.par@site.org", PASSWORD)
    for path in ("/participants", "/participants/S001"):
        assert "KP" in unblinded.get(f"/studies/{STUDY}{path}").get_data(as_text=True)
        page = blinded.get(f"/studies/{STUDY}{path}").get_data(as_text=True)
        assert "KP" not in page and "SEQ-" not in page and "Allocation" not in page


def test_someone_without_a_role_in_the_study_gets_not_found(app, api, study):
    api.c.post("/api/v1/accounts", headers=api.bearer(study),
               json={"email": "stranger@site.org", "password": PASSWORD})
    web = app.test_client()
    sign_in(web, "stranger@site.org", PASSWORD)
    assert "You have no role" in web.get("/studies").get_data(as_text=True)
    assert web.get(f"/studies/{STUDY}").status_code == 404


def test_docs_redirects_to_the_api_documentation(client):
    r = client.get("/docs")
    assert r.status_code == 301 and r.headers["Location"] == "/api/docs"
    assert client.get("/api/docs").status_code == 200


def test_the_api_keeps_its_json_errors(client):
    r = client.get("/api/v1/studies/nope", headers={"Authorization": "Bearer x"})
    assert r.status_code == 401 and r.json["code"] == "unauthorized"


def test_a_refused_htmx_action_shows_its_message_in_the_page_alert_region(app, api, study):
    web = app.test_client()
    sign_in(web)
    alert = alerts(api, study)["S001"]
    token = csrf(web, f"/studies/{STUDY}/alerts")
    url = f"/studies/{STUDY}/alerts/{alert['id']}/acknowledge"
    web.post(url, headers={"HX-Request": "true", "X-CSRF-Token": token})
    again = web.post(url, headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert again.status_code == 409
    assert again.headers["HX-Retarget"] == "#flash"
    assert again.headers["HX-Reswap"] == "innerHTML"
    assert 'id="flash"' in web.get(f"/studies/{STUDY}/alerts").get_data(as_text=True)


@pytest.mark.parametrize("email", ["admin%40site.org%00", "%ED%BF%BF%40site.org",
                                   "%FF%FE", "x" * 5000])
def test_hostile_sign_in_input_is_refused_with_a_page_not_a_500(app, study, email):
    web = app.test_client()
    token = csrf(web)
    r = web.post("/sign-in", content_type="application/x-www-form-urlencoded",
                 data=f"email={email}&password=x&csrf_token={token}")
    assert r.status_code in (401, 422), r.status_code
    assert r.mimetype == "text/html"
