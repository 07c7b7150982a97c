"""Per-request plumbing: the database session, the clock, the caller, the request id."""

from __future__ import annotations

import functools
import re
import uuid
from datetime import datetime, timedelta

from flask import current_app, g, request
from sqlalchemy.orm import Session

from diary.errors import Unauthorized
from diary.services.principals import Principal, authenticate

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def db() -> Session:
    if "db" not in g:
        g.db = current_app.extensions["paindiary"].session_factory()
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def now() -> datetime:
    return current_app.extensions["paindiary"].clock.now()


def request_id() -> str:
    if "request_id" not in g:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if REQUEST_ID_RE.fullmatch(given) else uuid.uuid4().hex
    return g.request_id


def client_address() -> str:
    """The caller's address, as sign-in throttling counts it (behind TRUSTED_PROXIES
    reverse proxies, the address they forwarded)."""
    return request.remote_addr or "unknown"


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>'")
    return token.strip()


def device_idle() -> timedelta | None:
    days = current_app.config.get("DEVICE_TOKEN_IDLE_DAYS") or 0
    return timedelta(days=days) if days > 0 else None


def principal() -> Principal:
    return g.principal


def authenticated(view):
    """Require a bearer token; the caller is then available as ``principal()``."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.principal = authenticate(db(), bearer_token(), now(), request_id(),
                                   device_idle=device_idle())
        return view(*args, **kwargs)

    return wrapper


BEARER = [{"bearerAuth": []}]


def page_body(rows: list, total: int, args: dict) -> dict:
    """A page in the body (PITFALLS: not in an X-Pagination header)."""
    return {"items": rows, "page": args["page"], "page_size": args["page_size"],
            "total": total}
