"""CSRF protection of the dashboard's forms: a per-session token, sent back by every form
(hidden ``csrf_token`` field) and every htmx request (``X-CSRF-Token`` header).

Written here rather than Flask-WTF's ``CSRFProtect``: that one guards every POST of the
app, so each bearer-token API blueprint and the Twilio webhooks would need an exemption,
and forgetting one breaks the API; this one is a ``before_request`` of the web blueprint
only (the API takes no cookie, so it needs none). The cookie's SameSite=Lax is the first
line; this token is the second, and covers the sign-in form too (login CSRF).
"""

from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, abort, request, session
from flask_babel import gettext as _

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token() -> str:
    """This session's token, made on first use (templates call it as ``csrf_token()``)."""
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


def check_csrf() -> None:
    if request.method in SAFE_METHODS:
        return
    expected = session.get(FIELD)
    given = request.headers.get(HEADER) or request.form.get(FIELD) or ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        abort(400, description=_("The form has expired or did not come from this site: "
                                 "reload the page and try again."))


def init_csrf(bp: Blueprint) -> None:
    bp.before_request(check_csrf)
    bp.app_context_processor(lambda: {"csrf_token": csrf_token})
