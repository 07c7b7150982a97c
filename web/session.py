"""The sign-in session: Flask's signed cookie, HttpOnly, SameSite=Lax, Secure under HTTPS.

The cookie carries the staff token issued by ``accounts.login`` (the API's own login), the
CSRF token and the time of the last request (for the idle timeout). It is signed with
``SECRET_KEY``, so it cannot be forged; HttpOnly keeps page scripts from reading it.
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    """Marks the cookie Secure when the request came over HTTPS, or always when
    ``SESSION_COOKIE_SECURE`` is set (behind a proxy that terminates TLS and does not say
    so: set ``WEB_COOKIE_SECURE=1``)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_session(app: Flask) -> None:
    """The cookie's settings are in diary/config.py (``SESSION_COOKIE_*``)."""
    app.session_interface = SessionInterface()
