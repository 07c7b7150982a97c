"""Errors on dashboard pages as pages (the API keeps its JSON shape): a refused action
shows the service's own message; an htmx request gets the message as a fragment to show
in place."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from diary.errors import DomainError


def _titles() -> dict[int, str]:
    return {400: _("Bad request"), 401: _("Sign-in needed"), 403: _("Not allowed"),
            404: _("Not found"), 409: _("Already done"), 422: _("Not accepted"),
            429: _("Too many attempts")}


def render_error(status: int, message: str):
    title = _titles().get(status, _("Error"))
    if not request.headers.get("HX-Request"):
        return render_template("error.html", status=status, title=title,
                               message=message), status
    # An htmx request's target is a piece of the page (a table row): the message goes to
    # the page's alert region instead (base.html, #flash; htmx-config swaps 4xx answers).
    body = render_template("_error.html", status=status, title=title, message=message)
    return body, status, {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}


def init_errors(bp: Blueprint) -> None:
    bp.register_error_handler(DomainError, lambda e: render_error(e.status, e.message))
    bp.register_error_handler(HTTPException,
                              lambda e: render_error(e.code or 500, e.description or ""))
