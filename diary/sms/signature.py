"""Twilio webhook signatures: the exact public URL Twilio signed, and checking it.

Twilio signs the URL it was told to call (scheme, host, path, query) plus the sorted POST
parameters with HMAC-SHA1 keyed by the auth token. Behind a proxy the request's own Host
and scheme are the proxy's, and a client can set Host to anything: rebuild the URL from the
configured public base URL instead (PITFALLS, "Twilio").
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit


def public_request_url(public_base_url: str, path: str, query_string: str | bytes = "") -> str:
    """The URL Twilio called: ``public_base_url`` + ``path`` + ``?query_string`` as sent.

    ``path`` is the path the app routed (Flask's ``request.path``); a base URL with a path
    (``https://example.org/diary``) is the prefix the proxy strips. Pass the raw query string
    (``request.query_string``): re-encoding it would change what was signed.

    >>> public_request_url("https://diary.example.org/", "/sms/status", b"outbox=42")
    'https://diary.example.org/sms/status?outbox=42'
    """
    parts = urlsplit(public_base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"public base URL {public_base_url!r} must be http(s)://host[/prefix]")
    if parts.query or parts.fragment:
        raise ValueError(f"public base URL {public_base_url!r} must not have a query")
    if isinstance(query_string, bytes):
        query_string = query_string.decode("utf-8", "replace")
    url = public_base_url.rstrip("/") + "/" + path.lstrip("/")
    return f"{url}?{query_string}" if query_string else url


def verify_twilio_signature(auth_token: str, public_url: str, form_params: Mapping[str, str],
                            signature: str | None) -> bool:
    """True if ``signature`` (the ``X-Twilio-Signature`` header) signs this request.

    ``form_params`` is the POST form only (``request.form``, not ``request.values``, which
    mixes in the query string that is already part of the URL). A missing or empty
    signature or token is False, never an exception.
    """
    if not signature or not auth_token:
        return False
    return bool(_validator(auth_token).validate(public_url, form_params, signature))


def sign(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The ``X-Twilio-Signature`` Twilio would send for ``params`` posted to ``url``."""
    return _validator(auth_token).compute_signature(url, params)


def _validator(auth_token: str):
    # The Twilio SDK is imported when a webhook arrives, not at every start (issue 12).
    from twilio.request_validator import RequestValidator

    return RequestValidator(auth_token)
