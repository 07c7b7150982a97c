"""Per-request plumbing: the database session, the clock, the caller, the request id."""

from __future__ import annotations

import functools
import ipaddress
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
    reverse proxies, the address they forwarded). An IPv6 client counts as its /64: one
    host is given a whole /64 and can rotate through it at will (RFC 8981)."""
    return throttled_client(request.remote_addr)


def throttled_client(address: str | None) -> str:
    """``address`` as one throttled client: an IPv4 address, or an IPv6 address's /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


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
