"""Choosing the transport from configuration: Twilio when credentials are set, else console."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from .base import Transport
from .console import ConsoleTransport
from .twilio_sms import DEFAULT_TIMEOUT, TwilioTransport

logger = logging.getLogger("paindiary.sms")

KEYS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM",
        "TWILIO_MESSAGING_SERVICE_SID", "TWILIO_API_BASE_URL", "TWILIO_TIMEOUT",
        "TWILIO_EDGE", "TWILIO_REGION")


def transport_from_config(config: Mapping[str, object]) -> Transport:
    """The transport the configuration asks for; ``ValueError`` naming the key at fault.

    No ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``, ``TWILIO_FROM`` nor
    ``TWILIO_MESSAGING_SERVICE_SID`` (empty counts as unset): the console transport, so a
    fresh machine works. Any of them set: all that Twilio needs must be, because silently
    logging a study's reminders instead of sending them is the worst failure here.
    ``TWILIO_EDGE``/``TWILIO_REGION`` are read from ``config`` only, never from the process
    environment behind its back.
    """
    value = {key: _text(config, key) for key in KEYS}
    sid, token = value["TWILIO_ACCOUNT_SID"], value["TWILIO_AUTH_TOKEN"]
    from_number, service = value["TWILIO_FROM"], value["TWILIO_MESSAGING_SERVICE_SID"]
    if not (sid or token or from_number or service):
        logger.warning("no Twilio credentials configured: SMS are logged, not sent")
        return ConsoleTransport()
    for key, given in (("TWILIO_ACCOUNT_SID", sid), ("TWILIO_AUTH_TOKEN", token)):
        if not given:
            raise ValueError(f"{key} is missing: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
                             " together, or neither to log messages to the console")
    if not (from_number or service):
        raise ValueError("TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is missing: Twilio"
                         " needs a sender")
    if from_number and service:
        raise ValueError("TWILIO_FROM and TWILIO_MESSAGING_SERVICE_SID are both set: choose"
                         " one sender")
    if value["TWILIO_API_BASE_URL"] and (value["TWILIO_EDGE"] or value["TWILIO_REGION"]):
        raise ValueError("TWILIO_EDGE/TWILIO_REGION cannot be combined with"
                         " TWILIO_API_BASE_URL (they would rewrite its host)")
    return TwilioTransport(sid, token, from_number=from_number, messaging_service_sid=service,
                           base_url=value["TWILIO_API_BASE_URL"],
                           timeout=_timeout(config.get("TWILIO_TIMEOUT")),
                           edge=value["TWILIO_EDGE"], region=value["TWILIO_REGION"])


def _text(config: Mapping[str, object], key: str) -> str | None:
    raw = config.get(key)
    if raw is None:
        return None
    if not isinstance(raw, str | int | float):
        raise ValueError(f"{key} must be a string, not {type(raw).__name__}")
    return str(raw).strip() or None


def _timeout(raw: object) -> float:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return DEFAULT_TIMEOUT
    try:
        seconds = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = float("nan")
    if not 0 < seconds <= 300:
        raise ValueError(f"TWILIO_TIMEOUT must be seconds in (0, 300], not {raw!r}")
    return seconds
