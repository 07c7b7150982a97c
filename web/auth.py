"""Signing in and out of the dashboard with the staff accounts of the API.

Sign-in calls ``accounts.login`` (the same lockout and timing rules as the API) and keeps
the token it issues in the signed session cookie; every page then resolves the caller
with ``principals.authenticate``, exactly as the API does with a bearer header. A
request after ``WEB_IDLE_MINUTES`` without one ends the session.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from diary.api.context import db, now, request_id
from diary.errors import TooManyAttempts, Unauthorized
from diary.services import accounts
from diary.services.principals import Principal, authenticate
from web import bp

TOKEN = "staff_token"
SEEN = "seen_at"  # POSIX seconds of the last request, on the app's clock
EMAIL = "email"
# Endpoints reachable without signing in.
PUBLIC = frozenset({"web.sign_in", "web.static"})


def caller() -> Principal:
    """The signed-in staff member of this request (pages after ``load_caller``)."""
    return g.principal


def _safe_next(target: str | None) -> str | None:
    """Only a path of this site: never another host (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def _to_sign_in(message: str | None = None):
    """Back to the sign-in page; an htmx request is told to load it as a whole page."""
    if message:
        session["notice"] = message
    target = url_for("web.sign_in", next=request.full_path.rstrip("?")
                     if request.method == "GET" else None)
    if request.headers.get("HX-Request"):
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def load_caller():
    """Before every dashboard request: resolve the session's token, apply the idle timeout."""
    g.principal = None
    if request.endpoint in PUBLIC:
        return None
    token = session.get(TOKEN)
    if not token:
        return _to_sign_in()
    instant = now().timestamp()
    idle = current_app.config["WEB_IDLE_MINUTES"] * 60
    if instant - session.get(SEEN, 0) > idle:
        end_session()
        return _to_sign_in(_("You were signed out after %(minutes)d minutes without activity.",
                             minutes=current_app.config["WEB_IDLE_MINUTES"]))
    try:
        g.principal = authenticate(db(), token, now(), request_id())
    except Unauthorized:  # expired (TOKEN_TTL) or revoked
        end_session()
        return _to_sign_in(_("Your session has ended; please sign in again."))
    if g.principal.is_participant:  # a device token cannot get here, but never serve one
        end_session()
        return _to_sign_in()
    session[SEEN] = instant
    return None


def revoke_staff_token(token: str) -> None:
    """Where sign-out (and an idle timeout) revokes the token issued at sign-in.

    The accounts service has no revocation yet (issue 17 adds it): call it here, e.g.
    ``accounts.revoke_token(db(), token, now=now())``. Until then the session forgets
    the token, which stays valid until TOKEN_TTL_HOURS for anyone who copied the cookie.
    """
    del token  # nothing to call yet


def end_session() -> None:
    token = session.get(TOKEN)
    if token:
        revoke_staff_token(token)
    session.clear()


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    notice = session.pop("notice", None)
    error, status = None, 200
    email = request.form.get("email", "").strip()
    if request.method == "POST":
        rt = current_app.extensions["paindiary"]
        try:
            issued = accounts.login(db(), email=email, password=request.form.get("password", ""),
                                    now=now(), ph=rt.hasher, ttl=rt.config["TOKEN_TTL"])
        except Unauthorized:
            error, status = _("Wrong email or password."), 401
        except TooManyAttempts:
            error, status = _("Too many failed attempts: try again in 15 minutes."), 429
        else:
            if session.get(TOKEN):  # signing in over another account's session
                revoke_staff_token(session[TOKEN])
            session.clear()  # a fresh session, with a fresh CSRF token
            session[TOKEN], session[SEEN], session[EMAIL] = (issued.token, now().timestamp(),
                                                             email.lower())
            return redirect(_safe_next(request.args.get("next")) or url_for("web.studies"))
    return render_template("sign_in.html", error=error, notice=notice, email=email), status


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    end_session()
    session["notice"] = _("You are signed out.")
    return redirect(url_for("web.sign_in"))


@bp.route("/")
def home():
    return redirect(url_for("web.studies"))


def init_auth(blueprint: Blueprint) -> None:
    blueprint.before_request(load_caller)
    blueprint.app_context_processor(
        lambda: {"signed_in_as": session.get(EMAIL) if g.get("principal") else None})
