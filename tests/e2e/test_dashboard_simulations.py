"""The dashboard's simulations page (issue 21): administrators start a simulation, which
runs as the ``simulate`` command in a process of its own while the page shows its
progress, then open its report; other staff get a 403."""

from __future__ import annotations

import time

import pytest

from tests.e2e.test_dashboard import ADMIN, ADMIN_PASSWORD, PASSWORD, csrf, sign_in


@pytest.fixture
def web(app, api, tmp_path, monkeypatch):
    # The background command builds the CLI's app from the environment: its instance
    # folder (secret key, default database) goes to this test's folder.
    monkeypatch.setenv("PAINDIARY_INSTANCE", str(tmp_path / "instance"))
    app.config["SIMULATIONS_DIR"] = str(tmp_path / "simulations")
    api.create_admin(ADMIN, ADMIN_PASSWORD)
    client = app.test_client()
    sign_in(client)
    return client


def test_an_administrator_starts_a_simulation_watches_it_and_opens_its_report(web, tmp_path):
    page = web.get("/simulations").get_data(as_text=True)
    assert "Start simulation" in page and "single-dose-intranasal" in page
    bad = web.post("/simulations", data={
        "protocol": "nope", "participants": "0", "seed": "1", "replicates": "1",
        "csrf_token": csrf(web, "/simulations")})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Choose one of the shipped protocols." in text
    assert "A whole number from 1 to 500." in text
    r = web.post("/simulations", data={"protocol": "single-dose-intranasal", "participants": "2",
                                       "seed": "4", "replicates": "1",
                                       "csrf_token": csrf(web, "/simulations")})
    assert r.status_code == 302
    (name,) = [p.name for p in (tmp_path / "simulations").iterdir()]
    assert name == "0001-single-dose-intranasal-s4"
    deadline = time.monotonic() + 900
    row = ""
    while time.monotonic() < deadline:
        row = web.get(f"/simulations/{name}/row").get_data(as_text=True)
        if "job-running" not in row:
            break
        assert "<progress" in row
        time.sleep(2)
    assert "job-done" in row, row
    report = web.get(f"/simulations/{name}/report")
    assert report.status_code == 200 and b"Simulated trial" in report.data
    report.close()
    assert web.get("/simulations/..%2Fx/report").status_code == 404


def test_staff_who_are_not_administrators_get_a_403(app, api, web):
    admin = api.login(ADMIN, ADMIN_PASSWORD)
    r = api.c.post("/api/v1/accounts", headers=api.bearer(admin),
                   json={"email": "staff@site.org", "password": PASSWORD})
    assert r.status_code == 201, r.json
    other = app.test_client()
    sign_in(other, "staff@site.org", PASSWORD)
    assert other.get("/simulations").status_code == 403
    assert "Simulations" not in other.get("/studies").get_data(as_text=True)
    assert "Simulations" in web.get("/studies").get_data(as_text=True)
