"""The participant's web app (issue 19): an installable Progressive Web App at ``/app``.

The server only hands out the shell (one HTML page), its vendored scripts and styles, the
web app manifest, the service worker and the message catalogs; everything the app shows
comes from the public participant API (``/api/v1/participant/activate``,
``/api/v1/me/...``) with the device's bearer token, so the app is that API's reference
client. No session cookie, no business rule here.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    jsonify,
    render_template,
    request,
    send_from_directory,
)

from web.participant import catalogs
from web.participant.messages import LANGUAGES

HERE = Path(__file__).parent
STATIC = HERE / "static"
VENDOR = HERE.parent / "static" / "vendor"

bp = Blueprint("participant_app", __name__, url_prefix="/app",
               template_folder="templates", static_folder="static",
               static_url_path="/static")

# The dashboard's policy (scripts and styles of this origin only, never inline), plus the
# service worker and the manifest, also same-origin.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; worker-src 'self'; manifest-src 'self'; "
                           "connect-src 'self'; form-action 'self'; base-uri 'self'; "
                           "frame-ancestors 'none'")

# The app's own files, in load order (the shell and the service worker list the same).
SCRIPTS = ["js/i18n.js", "js/store.js", "js/api.js", "js/outbox.js", "js/forms.js",
           "js/questionnaire.js", "js/side_effects.js", "js/medication.js", "js/today.js",
           "js/history.js", "js/settings.js", "js/app.js"]
STYLES = ["css/app.css"]
VENDORED = ["uplot/uPlot.iife.min.js", "uplot/uPlot.min.css"]  # the dashboard's copies
ICONS = ["icons/icon-192.png", "icons/icon-512.png", "icons/icon-maskable-512.png"]


@functools.cache
def shell_version() -> str:
    """A hash of every file the service worker caches: a new release gets a new cache."""
    digest = hashlib.sha256()
    for path in sorted([*(STATIC / p for p in SCRIPTS + STYLES + ICONS),
                        *(VENDOR / p for p in VENDORED),
                        HERE / "templates" / "participant" / "shell.html",
                        *catalogs.TRANSLATIONS.glob("*/LC_MESSAGES/app.po")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cached_urls() -> list[str]:
    """What the service worker keeps for offline use: the shell, assets and catalogs."""
    return ["/app/", *(f"/app/static/{p}?v={shell_version()}" for p in SCRIPTS + STYLES),
            *(f"/app/static/{p}" for p in ICONS),
            *(f"/app/vendor/{p}" for p in VENDORED),
            *(f"/app/i18n/{lang}.json" for lang in LANGUAGES), "/app/manifest.webmanifest"]


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    # The shell and catalogs are not health data: the browser may keep them, but asks
    # again each time (the service worker serves them offline).
    response.headers.setdefault("Cache-Control", "no-cache")
    return response


@bp.get("/")
@bp.get("/activate")
def shell():
    """The app's one page; ``/app/activate?code=...`` (the QR link) fills in the code."""
    lang = catalogs.best_language(request.accept_languages)
    return render_template("participant/shell.html", lang=lang, t=catalogs.catalog(lang),
                           scripts=SCRIPTS, styles=STYLES, version=shell_version(),
                           languages=LANGUAGES)


@bp.get("/vendor/<path:name>")
def vendored(name: str):
    """The dashboard's vendored uPlot, under the app's scope (no session, no cookie)."""
    if name not in VENDORED:
        abort(404)
    return send_from_directory(VENDOR, name)


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest, named in the browser's language."""
    lang = catalogs.best_language(request.accept_languages)
    t = catalogs.catalog(lang)
    body = {
        "name": t["app.name"], "short_name": t["app.short_name"],
        "description": t["app.description"], "lang": lang, "id": "/app/",
        "start_url": "/app/", "scope": "/app/", "display": "standalone",
        "orientation": "portrait", "background_color": "#ffffff", "theme_color": "#12263a",
        "icons": [
            {"src": "/app/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/app/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "/app/static/icons/icon-maskable-512.png", "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, at /app/ so its scope is the app; it caches ``cached_urls``."""
    body = render_template("participant/sw.js", version=shell_version(), urls=cached_urls())
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # updates are checked on every visit
    return response


@bp.get("/i18n/<lang>.json")
def messages(lang: str):
    """Every text of the app in ``lang`` (key -> text)."""
    if lang not in LANGUAGES:
        abort(404)
    return jsonify({"lang": lang, "languages": LANGUAGES, "messages": catalogs.catalog(lang)})


@bp.errorhandler(404)
def _not_found(_error):
    return jsonify({"code": 404, "status": "Not Found",
                    "message": "no such page of the participant app"}), 404


def init_participant_app(app: Flask) -> None:
    app.register_blueprint(bp)
