"""Scripted faults for the Twilio fake, and Twilio's two error-body shapes.

A ``Fault`` is applied to one create call. Error responses create nothing; a slow or
dropped response can still create the message, as a real lost response would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the"
           " 'To' number",
    21602: "Message body is required.",
    21603: "The 'From' number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
}


def twilio_error_body(status: int, code: int, message: str | None = None) -> bytes:
    """The classic error JSON (``code``, ``message``, ``more_info``, ``status``)."""
    return json.dumps({
        "code": code,
        "message": message or ERROR_MESSAGES.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }).encode()


def problem_body(status: int, code: int, title: str | None = None,
                 detail: str | None = None) -> bytes:
    """The RFC 9457 shape newer endpoints use; twilio 9.x raises TwilioServiceException."""
    return json.dumps({
        "type": f"https://www.twilio.com/docs/errors/{code}",
        "title": title or ERROR_MESSAGES.get(code, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
    }).encode()


@dataclass(frozen=True)
class Fault:
    """What the fake does instead of a normal create answer."""

    description: str
    status: int | None = None
    """HTTP status of an error response (nothing is created); None for slow/drop."""
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0
    """Seconds to wait before answering (longer than the client timeout: a lost answer)."""
    drop: bool = False
    """Close the connection without any answer."""
    creates: bool = True
    """For slow/dropped answers: whether the message is created anyway."""


def server_error(status: int = 500, code: int = 20500) -> Fault:
    """A 5xx with Twilio's JSON error body."""
    return Fault(f"HTTP {status} JSON", status=status, body=twilio_error_body(status, code))


def unavailable_html() -> Fault:
    """A 503 from a load balancer: an HTML page, not JSON."""
    return Fault("HTTP 503 HTML", status=503, content_type="text/html",
                 body=b"<html><body><h1>503 Service Unavailable</h1></body></html>")


def rate_limited() -> Fault:
    """HTTP 429 with Twilio's code 20429."""
    return Fault("HTTP 429", status=429, body=twilio_error_body(429, 20429))


def rejected(code: int, status: int = 400, message: str | None = None) -> Fault:
    """A 4xx with the classic error JSON, e.g. ``rejected(21610)``."""
    return Fault(f"HTTP {status} code {code}", status=status,
                 body=twilio_error_body(status, code, message))


def problem(code: int, status: int = 400, title: str | None = None,
            detail: str | None = None) -> Fault:
    """An error in the RFC 9457 (problem details) shape."""
    return Fault(f"HTTP {status} problem {code}", status=status,
                 content_type="application/problem+json",
                 body=problem_body(status, code, title, detail))


def slow(seconds: float, *, creates: bool = True) -> Fault:
    """Answer only after ``seconds``; the message is created at once (if ``creates``)."""
    return Fault(f"slow {seconds}s", delay=seconds, creates=creates)


def dropped(*, creates: bool = True) -> Fault:
    """Read the request, (create the message,) and close the connection unanswered."""
    return Fault("connection dropped", drop=True, creates=creates)
