"""Fixtures shared by the end-to-end tests of enrolment, anchor events, completion and the
schedule: a first superuser, the two minimal studies, and S001 enrolled and activated."""

from __future__ import annotations

import pytest

from tests.e2e.sms_support import AUTH_TOKEN
from tests.fakes.fixtures import twilio_transport  # noqa: F401
from tests.fakes.twilio_api import FakeTwilio

STUDY = "mini-crossover"


# A parallel study with its own defaults and anchors of every multiplicity.
MINI_PARALLEL = """
key: mini-parallel
title: Minimal parallel
timezone: America/Chicago
design: parallel
sites: [CHI, NYC]
languages: [es, en]
arms: [{key: active}, {key: placebo}]
anchors:
  - {key: surgery}                   # max_count defaults to 1
  - {key: rescue_dose, max_count: 2}
  - {key: flare, max_count: null}    # any number
daily_diary: {anchor: surgery, from_day: -7, to_day: 42}
reminders: {daily_time: "19:30"}
"""


@pytest.fixture
def admin(api):
    return api.create_admin()


@pytest.fixture
def crossover(api, admin, crossover_source):
    api.create_study(admin, crossover_source)
    return admin


@pytest.fixture
def parallel(api, admin):
    api.create_study(admin, MINI_PARALLEL)
    return admin


@pytest.fixture
def s001(api, crossover):
    """S001 enrolled 2027-03-01 17:00 UTC (18:00 in Paris) on sequence KP, activated."""
    enrolled = api.enrol(crossover, STUDY, subject_id="S001", site="PAR", sequence="KP")
    return {"admin": crossover, "token": api.activate(enrolled["activation_code"])}


@pytest.fixture
def twilio_fake(clock):
    """The Twilio fake on the app's clock, with the auth token the app is configured with
    (so its signed callbacks and our signed inbound messages both validate)."""
    with FakeTwilio(auth_token=AUTH_TOKEN, now=clock.now) as fake:
        yield fake
