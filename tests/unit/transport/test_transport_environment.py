"""The scheduler's Twilio settings come from the environment: ``TWILIO_TIMEOUT``,
``TWILIO_EDGE`` and ``TWILIO_REGION`` reach the transport through the app's configuration
(``diary.config.build_config``), which is what ``flask --app app scheduler`` reads."""

from __future__ import annotations

import pytest

from diary.config import build_config
from notifications.transport import TwilioTransport, transport_from_config

SID = "AC" + "0123456789abcdef" * 2
ENV = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "token", "TWILIO_FROM": "+15005550006",
       "SECRET_KEY": "k" * 40}


@pytest.fixture
def environment(monkeypatch):
    for name in ("TWILIO_API_BASE_URL", "TWILIO_MESSAGING_SERVICE_SID", "TWILIO_TIMEOUT",
                 "TWILIO_EDGE", "TWILIO_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_timeout_edge_and_region_are_read_from_the_environment(environment, tmp_path):
    environment.setenv("TWILIO_TIMEOUT", "2.5")
    environment.setenv("TWILIO_EDGE", "sydney")
    environment.setenv("TWILIO_REGION", "au1")
    config = build_config(str(tmp_path))
    assert (config["TWILIO_TIMEOUT"], config["TWILIO_EDGE"], config["TWILIO_REGION"]) == (
        "2.5", "sydney", "au1")

    transport = transport_from_config(config)
    transport.close()

    assert isinstance(transport, TwilioTransport)
    assert (transport.timeout, transport.edge, transport.region) == (2.5, "sydney", "au1")


def test_without_them_the_defaults_hold(environment, tmp_path):
    transport = transport_from_config(build_config(str(tmp_path)))
    transport.close()
    assert (transport.timeout, transport.edge, transport.region) == (10.0, None, None)


def test_a_malformed_timeout_in_the_environment_names_the_variable(environment, tmp_path):
    environment.setenv("TWILIO_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="TWILIO_TIMEOUT"):
        transport_from_config(build_config(str(tmp_path)))
