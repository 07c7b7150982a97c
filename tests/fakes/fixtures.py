"""pytest fixtures for the Twilio fake. Import them into a conftest.py to use them::

    from tests.fakes.fixtures import twilio_config, twilio_fake, twilio_transport  # noqa: F401

(``pytest_plugins`` only works in the rootdir's conftest, hence the import.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notifications.transport import TwilioTransport

from .twilio_api import DEFAULT_FROM, FakeTwilio

FAKE_TIMEOUT = 1.0
"""Client timeout against the fake: long enough for loopback on a loaded 2-core machine (0.3 s
was not: a tick timed out while other suites ran), short enough for timeout tests
(script ``slow(FAKE_TIMEOUT * 3)`` or more for a lost answer)."""


@pytest.fixture
def twilio_fake() -> Iterator[FakeTwilio]:
    """A started fake of Twilio's Messages API on 127.0.0.1, stopped after the test."""
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def twilio_transport(twilio_fake: FakeTwilio) -> Iterator[TwilioTransport]:
    """The real SDK pointed at ``twilio_fake``, sending from ``DEFAULT_FROM``."""
    with TwilioTransport(twilio_fake.account_sid, twilio_fake.auth_token,
                         from_number=DEFAULT_FROM, base_url=twilio_fake.base_url,
                         timeout=FAKE_TIMEOUT) as transport:
        yield transport


@pytest.fixture
def twilio_config(twilio_fake: FakeTwilio) -> dict[str, str]:
    """App configuration keys for ``transport_from_config`` that point at ``twilio_fake``."""
    return {
        "TWILIO_ACCOUNT_SID": twilio_fake.account_sid,
        "TWILIO_AUTH_TOKEN": twilio_fake.auth_token,
        "TWILIO_FROM": DEFAULT_FROM,
        "TWILIO_API_BASE_URL": twilio_fake.base_url,
        "TWILIO_TIMEOUT": str(FAKE_TIMEOUT),
    }
