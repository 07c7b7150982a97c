"""The Twilio fake's fixtures for these tests (until tests/conftest.py imports them)."""

from tests.fakes.fixtures import twilio_config, twilio_fake, twilio_transport  # noqa: F401
