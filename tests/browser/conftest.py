"""Browser tests: the dashboard served by a live server thread on the test database,
driven in Debian's headless Chromium through Playwright's Python API.

Without a browser the tests skip, saying why, except under CI (``CI`` set), where they
fail: CI must run them (.ci/run installs chromium). Fixtures:

- ``live_server``: the app of ``tests/conftest.py`` (a copy of the migrated SQLite file,
  or PostgreSQL) served on 127.0.0.1 at a free port; its ``url``;
- ``seeded``: a crossover study with sites PAR and LYO, S001 (PAR) and S002 (LYO)
  enrolled, a serious adverse event of S001 (so an open safety alert), and three staff
  accounts: the unblinded administrator, a coordinator of PAR and a viewer;
- ``browser``: one Chromium per test session; ``page``: a fresh context and tab per test;
- ``sign_in(page, email)``: signs in through the form, as a person does.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from tests.conftest import MINIMAL_CROSSOVER

CHROMIUM = os.environ.get("PAINDIARY_CHROMIUM", "/usr/bin/chromium")
STUDY = "mini-crossover"
PASSWORD = "a long enough password"
ADMIN_PASSWORD = "correct horse battery"
ADMIN = "admin@site.org"
COORDINATOR_PAR = "coordinator.par@site.org"
VIEWER = "viewer@site.org"


def _no_browser_reason() -> str | None:
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        return (f"no Chromium at {CHROMIUM} (apt-get install chromium, or set "
                "PAINDIARY_CHROMIUM); CI installs it and never skips these tests")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _no_browser_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Debian's chromium, not Playwright's download (PITFALLS); as root it needs
        # --no-sandbox.
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@dataclass
class LiveServer:
    url: str
    app: object


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def seeded(api, live_server):
    """The study, its participants, an open safety alert and the staff accounts."""
    admin = api.create_admin(ADMIN, ADMIN_PASSWORD)
    api.create_study(admin, MINIMAL_CROSSOVER)
    api.unblind(admin, STUDY)
    api.enrol(admin, STUDY, subject_id="S001", site="PAR", sequence="KP")
    api.enrol(admin, STUDY, subject_id="S002", site="LYO", sequence="PK")
    r = api.c.post(f"/api/v1/studies/{STUDY}/participants/S001/adverse-events",
                   headers=api.bearer(admin),
                   json={"term": "Hallucinations", "onset": "2027-03-01", "severity": "severe",
                         "serious": True, "relatedness": "probable",
                         "client_id": str(uuid.uuid4())})
    assert r.status_code == 201, r.json
    api.staff(admin, COORDINATOR_PAR, "coordinator", STUDY, sites=["PAR"])
    api.staff(admin, VIEWER, "viewer", STUDY)
    return live_server


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Chrome logs every 4xx as a console error, pages included (a 404 a test asks for):
    # failed requests are judged below, by kind, instead.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type not in ("document", "fetch", "xhr")
            else None)
    yield page
    context.close()
    # A script error, a CSP refusal or a missing script, style or image fails the test.
    assert errors == [], errors


@pytest.fixture
def sign_in(seeded):
    def sign_in(page, email: str = ADMIN, password: str | None = None):
        password = password or (ADMIN_PASSWORD if email == ADMIN else PASSWORD)
        page.goto(seeded.url + "/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(seeded.url + "/studies")
        return page

    return sign_in
