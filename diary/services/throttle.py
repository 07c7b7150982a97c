"""Attempt limits for sign-in and device activation, with a growing backoff, kept in the
database so that they hold across workers (issue 17).

Each limit lets ``free`` failures come in a row; the last of them makes the caller wait
``base``, the next failure twice that, and so on up to ``cap``: never a fixed lock. Attempts refused
while a wait runs are not counted, so they cannot make it longer. Failures older than
``forget`` are forgotten.

Sign-in is limited per client address, per account *from that client*, and per account
from anywhere with a far higher allowance (SP 800-63B 5.2.2 asks for at most 100
consecutive failures): a stranger guessing from one address makes only that address
wait, so they cannot keep the owner out, while guessing spread over many addresses still
slows down. Keys hash the email, so an unknown email is counted exactly like a known one
and a 429 reveals nothing about which accounts exist.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diary.db.auth_models import AuthThrottle
from diary.errors import TooManyAttempts


@dataclass(frozen=True)
class Limit:
    scope: str
    free: int  # failures in a row without a wait; the last of them starts the first wait
    base: timedelta  # the first wait
    cap: timedelta  # the longest wait
    forget: timedelta = timedelta(hours=24)

    def wait(self, failures: int) -> timedelta | None:
        """The wait after ``failures`` counted failures: none, then base doubling to cap."""
        over = failures - self.free
        if over < 0:
            return None
        # 2**over overflows timedelta long before it matters: stop doubling at the cap.
        return min(self.cap, self.base * 2 ** min(over, 40))


LOGIN_CLIENT = Limit("login-client", 20, timedelta(seconds=1), timedelta(hours=1))
LOGIN_ACCOUNT_CLIENT = Limit("login-account-client", 5, timedelta(seconds=2),
                             timedelta(minutes=15))
LOGIN_ACCOUNT = Limit("login-account", 50, timedelta(seconds=1), timedelta(minutes=5))
# A wrong password in an electronic signature: whoever sends it already holds the
# account's session, so it is counted per account (and on the account's sign-in counter,
# so the two ways in share one allowance of guesses).
ESIGN_ACCOUNT = Limit("esign-account", 5, timedelta(seconds=2), timedelta(minutes=15))
ACTIVATE_CLIENT = Limit("activate-client", 10, timedelta(seconds=2), timedelta(hours=1))
# An activation secret has about 40 bits: a handful of tries per code, then a wait that
# reaches an hour, is far from enough to guess one before the code expires.
ACTIVATE_CODE = Limit("activate-code", 5, timedelta(seconds=30), timedelta(hours=1),
                      forget=timedelta(days=30))

Key = tuple[Limit, str]


def key(limit: Limit, *parts: str) -> Key:
    """A counter's key: the scope and a hash of what it counts (no email or address is
    stored in clear, and any length fits the column)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:48]
    return limit, f"{limit.scope}:{digest}"


def one_client(address: str) -> str:
    """A caller's address as one counted client: an IPv4 address as it is, an IPv6
    address as its /64 (a host is given a whole /64 and rotates through it at will,
    RFC 8981), an IPv4-mapped IPv6 address as its IPv4 client."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def login_keys(email: str, client: str) -> list[Key]:
    """The client's, the account's from that client, and the account's own counter."""
    email, client = email.strip().lower(), one_client(client)
    return [key(LOGIN_CLIENT, client), key(LOGIN_ACCOUNT_CLIENT, email, client),
            account_key(email)]


def account_key(email: str) -> Key:
    return key(LOGIN_ACCOUNT, email.strip().lower())


def esign_keys(email: str) -> list[Key]:
    email = email.strip().lower()
    return [key(ESIGN_ACCOUNT, email), account_key(email)]


def activation_keys(lookup: str, client: str) -> list[Key]:
    return [key(ACTIVATE_CLIENT, one_client(client)), key(ACTIVATE_CODE, lookup.upper())]


def check(session: Session, keys: list[Key], now: datetime, message: str,
          field: str | None = None) -> None:
    """Raise ``TooManyAttempts`` with the longest remaining wait when any key waits."""
    names = [k for _, k in keys]
    until = [b for b in session.scalars(select(AuthThrottle.blocked_until)
                                        .where(AuthThrottle.key.in_(names))) if b and b > now]
    if until:
        seconds = math.ceil((max(until) - now).total_seconds())
        raise TooManyAttempts(f"{message}; try again in {seconds} s", field=field,
                              retry_after=seconds)


def record_failure(session: Session, keys: list[Key], now: datetime) -> None:
    """Count a failure on every key and set its wait; the caller commits."""
    for limit, name in keys:
        row = session.get(AuthThrottle, name, with_for_update=True)
        if row is None:
            row = AuthThrottle(key=name, failures=0, last_failure_at=now)
            try:
                with session.begin_nested():  # another worker may insert it first
                    session.add(row)
            except IntegrityError:
                row = session.get(AuthThrottle, name, with_for_update=True,
                                  populate_existing=True)
        if row.last_failure_at <= now - limit.forget:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        wait = limit.wait(row.failures)
        row.blocked_until = now + wait if wait else None
    session.flush()


def clear(session: Session, keys: list[Key]) -> None:
    """Forget these counters (after a success); the caller commits."""
    session.execute(delete(AuthThrottle).where(AuthThrottle.key.in_([k for _, k in keys])))
