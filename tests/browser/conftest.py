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
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import MINIMAL_CROSSOVER

AXE = Path(__file__).parent / "vendor" / "axe.min.js"

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


def axe_serious(page) -> list:
    """axe-core's serious and critical findings on the page (id, impact, first targets)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def watch_errors(page) -> list[str]:
    """The page's script errors, console errors and failed asset loads, as they happen
    (with a 10 s default timeout set on the page)."""
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
    return errors


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors = watch_errors(page)
    page.expected_errors = []  # a test that provokes an error lists its text here
    yield page
    context.close()
    errors = [e for e in errors if not any(x in e for x in page.expected_errors)]
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


@pytest.fixture
def showcase(seeded, api, clock):
    """``seeded`` plus a fortnight of a study's life, for screenshots and page checks:
    ten more participants at both sites with their infusions and diaries (some days
    missed), a withdrawal, and evening reminders sent, delivered, failed or answered."""
    import random
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from sqlalchemy import insert, select

    from diary.db.messaging import OutboxMessage
    from diary.db.models import Participant

    paris = ZoneInfo("Europe/Paris")
    rng = random.Random(15)
    admin = api.login(ADMIN, ADMIN_PASSWORD)
    tokens = {}
    for n in range(3, 13):
        subject, site = f"S{n:03d}", ("PAR", "LYO")[n % 2]
        code = api.enrol(admin, STUDY, subject_id=subject, site=site,
                         sequence=("KP", "PK")[n % 2])["activation_code"]
        tokens[subject] = api.activate(code)
    for subject in ["S001", "S002", *tokens]:
        assert api.event(admin, STUDY, subject, type="infusion", period=1,
                         occurred_at="2027-03-01T08:00:00+00:00").status_code == 201
    for day in range(1, 16):
        evening = datetime(2027, 3, day, 20, 30, tzinfo=paris)
        clock.set(evening)
        for subject, token in tokens.items():
            if rng.random() < (0.35 if subject == "S009" else 0.1):
                continue  # a missed day
            r = api.entry(token, evening.date().isoformat(), rng.randint(2, 8),
                          device_time=evening.isoformat())
            assert r.status_code == 201, r.json
    clock.set(datetime(2027, 3, 16, 10, tzinfo=paris))
    admin = api.login(ADMIN, ADMIN_PASSWORD)
    assert api.c.post(f"/api/v1/studies/{STUDY}/participants/S011/withdrawal",
                      headers=api.bearer(admin),
                      json={"reason": "moved to another region"}).status_code == 200
    rt = api.app.extensions["paindiary"]
    with rt.engine.begin() as conn:
        people = dict(conn.execute(select(Participant.subject_id, Participant.id)).all())
        rows = []
        for subject in tokens:
            for day in range(9, 16):
                due = datetime(2027, 3, day, 20, 0, tzinfo=paris)
                failed = rng.random() < 0.06
                rows.append({
                    "id": str(uuid.uuid4()), "key": uuid.uuid4().hex, "study_id": 1,
                    "participant_id": people[subject], "channel": "sms",
                    "audience": "participant", "kind": "diary",
                    "target": due.date().isoformat(), "reminder_attempt": 0,
                    "body": "How strong was your pain today, 0-10?", "planned_at": due,
                    "due_at": due, "expires_at": None,
                    "state": "failed" if failed else "delivered", "send_attempts": 1,
                    "next_attempt_at": None, "outcome_unknown": False,
                    "sent_at": due + timedelta(seconds=4),
                    "delivered_at": None if failed else due + timedelta(seconds=25),
                    "failed_at": due + timedelta(seconds=40) if failed else None,
                    "last_error": "Unreachable destination handset" if failed else None,
                    "last_error_code": 30003 if failed else None})
        rows.append({**rows[-1], "id": str(uuid.uuid4()), "key": uuid.uuid4().hex,
                     "channel": "alert", "audience": "coordinator",
                     "kind": "coordinator_missed_days", "target": "2027-03-15",
                     "body": "S009: 3 diary days missed in a row.", "state": "delivered",
                     "participant_id": people["S009"], "last_error": None,
                     "last_error_code": None, "failed_at": None,
                     "due_at": datetime(2027, 3, 16, 9, tzinfo=paris)})
        conn.execute(insert(OutboxMessage), rows)
    return seeded
