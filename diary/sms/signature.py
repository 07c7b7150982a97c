"""Twilio request signatures, checked against the URL Twilio was given (not the Host
header): behind a proxy the public base URL is configured, and the path and query of the
request are appended to it."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator


def public_request_url(public_base_url: str, path: str, query_string: str = "") -> str:
    """The exact URL Twilio signed: configured base + request path (+ ``?query``).

    >>> public_request_url("https://diary.example.org/", "/sms/status", "outbox=7")
    'https://diary.example.org/sms/status?outbox=7'
    """
    url = public_base_url.rstrip("/") + path
    return f"{url}?{query_string}" if query_string else url


def valid_signature(auth_token: str, url: str, form: Mapping[str, str],
                    signature: str | None) -> bool:
    """True when ``X-Twilio-Signature`` matches the form posted to ``url``."""
    if not signature or not auth_token:
        return False
    return RequestValidator(auth_token).validate(url, dict(form), signature)


def sign(auth_token: str, url: str, form: Mapping[str, str]) -> str:
    """The signature Twilio would send (for tests and the local fake)."""
    return RequestValidator(auth_token).compute_signature(url, dict(form))
