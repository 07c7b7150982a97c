"""The coordinators' web dashboard: server-rendered pages over the same services as the API.

``init_web(app)`` registers the ``web`` blueprint at ``/`` (the JSON API lives under
``/api/v1``), the session cookie's rules, the CSRF check, message catalogs and the
``/docs`` redirect. Pages live in ``web/views/<page>.py``, one module per page or group of
pages, each adding routes to ``bp`` (a new module is added to the import in
``_build_blueprint``, a new study tab to ``web/nav.py``); they load what they show through
``web/access.py`` and ``diary.services``. Templates extend ``base.html``; vendored
JavaScript and CSS (no CDN, no Node build) are in ``web/static/vendor`` with their
licences; every text is a ``_()`` message (``web/i18n.py``).
"""

from __future__ import annotations

import functools

from flask import Blueprint, Flask, Response, redirect

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")

# Pages run only their own scripts and styles (vendored, same origin); the charts' data
# travels as JSON in <script type="application/json">, which is never executed.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; form-action 'self'; base-uri 'self'; "
                           "frame-ancestors 'none'")


def _page_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@functools.cache
def _build_blueprint() -> Blueprint:
    """Routes and hooks, added once per process (each app registers the same blueprint)."""
    from web import auth, csrf, errors, formatting, labels, nav
    from web.views import (  # noqa: F401  (routes)
        alerts,
        exports,
        participant_actions,
        participants,
        protocol_versions,
        reminders,
        simulations,
        studies,
    )

    auth.init_auth(bp)  # first: a request without a session goes to sign-in, not a 400
    csrf.init_csrf(bp)
    errors.init_errors(bp)
    formatting.init_formatting(bp)
    bp.after_request(_page_headers)
    bp.app_context_processor(labels.labels)
    bp.app_context_processor(lambda: {"study_tabs": nav.STUDY_TABS})
    return bp


def init_web(app: Flask) -> None:
    from web import i18n, session

    session.init_session(app)
    i18n.init_i18n(app)
    app.register_blueprint(_build_blueprint())
    from web.participant import init_participant_app

    init_participant_app(app)  # the participant's app at /app (issue 19)
    # The issue: opening /docs gave a 404; the API's Swagger UI is at /api/docs.
    app.add_url_rule("/docs", "docs_redirect", lambda: redirect("/api/docs", 301))
