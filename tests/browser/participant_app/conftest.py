"""Fixtures of the participant app's browser tests: screenshots, the study, the phone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import ADMIN, ADMIN_PASSWORD, watch_errors
from tests.browser.participant_app.support import APP_STUDY, PHONE, STUDY


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("PAINDIARY_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def study(api, live_server):
    """The study, an administrator, and a way to enrol participants (their codes)."""
    admin = api.create_admin(ADMIN, ADMIN_PASSWORD)
    api.create_study(admin, APP_STUDY)

    def enrol(subject: str, language: str = "en") -> str:
        code = api.enrol(admin, STUDY, subject_id=subject, site="PAR", arm="A",
                         language=language)["activation_code"]
        r = api.event(admin, STUDY, subject, type="infusion",
                      occurred_at="2027-02-25T08:00:00+00:00")
        assert r.status_code == 201, r.json
        return code

    live_server.enrol = enrol
    return live_server


@pytest.fixture
def phone(browser):
    """A phone-sized page; like the dashboard's ``page`` fixture, a script error, a CSP
    refusal or a missing asset fails the test. axe is injected by the test, so the
    policy is bypassed in this context (the app's own tests check the header)."""
    context = browser.new_context(locale="en-GB", bypass_csp=True, **PHONE)
    page = context.new_page()
    errors = watch_errors(page)
    yield page
    context.close()
    assert errors == [], errors
