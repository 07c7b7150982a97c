"""Security headers on every response, errors included (issue 12)."""

from __future__ import annotations

from flask import Flask, Response

from diary.api.context import request_id

HSTS_VALUE = "max-age=31536000"  # one year; subdomains may be served otherwise

FIXED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Only frame-ancestors: the Swagger UI page at /api/docs runs its (local) scripts.
    "Content-Security-Policy": "frame-ancestors 'none'",
}


def secure_headers(response: Response, *, hsts: bool) -> Response:
    """Tag the response; ``no-store`` unless a view chose its caching (the docs' static
    assets do). Not only token answers (login, activation, enrolment's activation code)
    but every diary, export and audit answer is health data no cache should keep."""
    response.headers["X-Request-Id"] = request_id()
    for name, value in FIXED_HEADERS.items():
        response.headers.setdefault(name, value)
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    if hsts:
        response.headers["Strict-Transport-Security"] = HSTS_VALUE
    return response


def init_headers(app: Flask) -> None:
    hsts = bool(app.config.get("HSTS"))
    app.after_request(lambda response: secure_headers(response, hsts=hsts))
