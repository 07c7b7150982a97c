"""``transport_from_config``: console without credentials, Twilio with them, loud in between."""

from __future__ import annotations

import pytest

from notifications.transport import ConsoleTransport, TwilioTransport, transport_from_config

SID = "AC" + "0123456789abcdef" * 2
FULL = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "token", "TWILIO_FROM": "+15005550006"}


@pytest.mark.parametrize("config", [
    {},
    {"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "  ", "TWILIO_FROM": None},
    {"TWILIO_TIMEOUT": "5", "SECRET_KEY": "x"},
])
def test_no_credentials_give_the_console_transport(config):
    assert isinstance(transport_from_config(config), ConsoleTransport)


@pytest.mark.parametrize(("config", "missing"), [
    ({"TWILIO_ACCOUNT_SID": SID}, "TWILIO_AUTH_TOKEN"),
    ({"TWILIO_AUTH_TOKEN": "token", "TWILIO_FROM": "+15005550006"}, "TWILIO_ACCOUNT_SID"),
    ({"TWILIO_FROM": "+15005550006"}, "TWILIO_ACCOUNT_SID"),
    ({"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "token"},
     "TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID"),
])
def test_half_set_credentials_name_the_missing_key(config, missing):
    with pytest.raises(ValueError, match=f"^{missing} is missing"):
        transport_from_config(config)


@pytest.mark.parametrize(("extra", "message"), [
    ({"TWILIO_MESSAGING_SERVICE_SID": "MG" + "a" * 32}, "both set"),
    ({"TWILIO_TIMEOUT": "0"}, "TWILIO_TIMEOUT"),
    ({"TWILIO_TIMEOUT": "ten"}, "TWILIO_TIMEOUT"),
    ({"TWILIO_TIMEOUT": "nan"}, "TWILIO_TIMEOUT"),
    ({"TWILIO_API_BASE_URL": "http://127.0.0.1:9", "TWILIO_REGION": "au1"}, "TWILIO_REGION"),
    ({"TWILIO_API_BASE_URL": "127.0.0.1:9"}, "base URL"),
])
def test_contradictory_or_malformed_settings_are_refused(extra, message):
    with pytest.raises(ValueError, match=message):
        transport_from_config({**FULL, **extra})


@pytest.mark.parametrize(("timeout", "seconds"), [(None, 10.0), ("2.5", 2.5), (3, 3.0)])
def test_credentials_give_the_twilio_transport_with_its_timeout(timeout, seconds):
    config = {**FULL, "TWILIO_TIMEOUT": timeout}

    transport = transport_from_config(config)
    transport.close()

    assert isinstance(transport, TwilioTransport)
    assert transport.timeout == seconds


def test_a_messaging_service_alone_is_a_sender():
    config = {**FULL, "TWILIO_FROM": "", "TWILIO_MESSAGING_SERVICE_SID": "MG" + "a" * 32}

    transport = transport_from_config(config)
    transport.close()

    assert isinstance(transport, TwilioTransport)
