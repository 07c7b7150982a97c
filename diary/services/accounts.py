"""Staff accounts: creation, login (bearer tokens), roles per study."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import Account, ApiToken, StudyRole
from diary.errors import Conflict, Forbidden, NotFound, RuleViolation, Unauthorized
from diary.passwords import password_problem
from diary.security import dummy_verify, new_token, token_hash, verify_secret
from diary.services import throttle
from diary.services.principals import LEVELS, Principal
from diary.services.studies import get_study


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime | None


def check_password(password: str, email: str | None = None,
                   field: str = "password") -> None:
    """The password policy (diary.passwords), as a 422 naming the field and the rule."""
    problem = password_problem(password, email=email)
    if problem:
        raise RuleViolation(f"{field} {problem}", field=field, code="weak_password")


def create_account(session: Session, principal: Principal, *, email: str, password: str,
                   is_superuser: bool, now: datetime, ph: PasswordHasher) -> Account:
    principal.require_superuser()
    email = email.strip().lower()
    check_password(password, email)
    if session.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise Conflict(f"an account for {email} exists", field="email")
    account = Account(email=email, password_hash=ph.hash(password), is_superuser=is_superuser,
                      created_at=now)
    session.add(account)
    session.flush()
    audit.append(session, chain=audit.ACCOUNTS_CHAIN, actor=principal.actor,
                 action="account.create", entity="account", entity_id=account.id, at=now,
                 after={"email": email, "is_superuser": is_superuser})
    session.commit()
    return account


def login(session: Session, *, email: str, password: str, now: datetime, ph: PasswordHasher,
          ttl: timedelta, client: str = "unknown") -> IssuedToken:
    """Exchange email and password for a bearer token.

    Failures are throttled per client, per account from that client and per account
    (diary.services.throttle), the same way whether the email has an account or not, and
    an unknown email costs the same argon2 verification as a known one.
    """
    email = email.strip().lower()
    keys = throttle.login_keys(email, client)
    throttle.check(session, keys, now, "too many failed sign-ins")
    account = session.scalar(select(Account).where(Account.email == email))
    if account is None:
        dummy_verify(ph, password)
        ok = False
    else:
        ok = verify_secret(ph, account.password_hash, password)
    if not ok:
        throttle.record_failure(session, keys, now)
        session.commit()
        raise Unauthorized("wrong email or password")
    # Only who knows the password learns that the account is disabled.
    if account.disabled_at is not None:
        raise Forbidden("this account is disabled; ask an administrator",
                        code="account_disabled")
    # The client's own counter stays: signing in to one's own account between guesses
    # at others must not reset it.
    throttle.clear(session, keys[1:])
    token = new_token()
    session.add(ApiToken(token_hash=token_hash(token), account_id=account.id, created_at=now,
                         expires_at=now + ttl))
    session.commit()
    return IssuedToken(token, now + ttl)


def grant_role(session: Session, principal: Principal, *, study_key: str, email: str,
               role: str, sites: list[str] | None, now: datetime,
               unblinded: bool = False) -> StudyRole:
    """Give an account a role in a study (replacing its previous one there).

    ``unblinded`` lets it see the allocation of a blinded study; a change of it is also
    audited on its own (``role.unblind`` / ``role.blind``) so that it is easy to find.
    """
    study, protocol = get_study(session, principal, study_key, need="admin")
    if role not in LEVELS:
        raise RuleViolation(f"must be one of {', '.join(LEVELS)}", field="role")
    unknown = sorted(set(sites or ()) - set(protocol.sites)) if protocol.sites else []
    if unknown:
        raise RuleViolation(f"unknown site {unknown[0]!r}; the protocol lists "
                            f"{', '.join(protocol.sites)}", field="sites")
    account = session.scalar(select(Account).where(Account.email == email.strip().lower()))
    if account is None:
        raise NotFound(f"no account for {email}", field="email")
    existing = session.scalar(select(StudyRole).where(
        StudyRole.account_id == account.id, StudyRole.study_id == study.id))
    before = ({"role": existing.role, "sites": existing.sites,
               "unblinded": existing.unblinded} if existing else None)
    was_unblinded = bool(existing and existing.unblinded)
    if existing is None:
        existing = StudyRole(account_id=account.id, study_id=study.id)
        session.add(existing)
    existing.role, existing.sites, existing.unblinded = role, sites, unblinded
    session.flush()
    audit.append(session, chain=audit.study_chain(study.id), actor=principal.actor,
                 action="role.grant", entity="study_role", entity_id=existing.id, at=now,
                 before=before, after={"account": account.email, "role": role, "sites": sites,
                                       "unblinded": unblinded})
    if unblinded != was_unblinded:
        audit.append(session, chain=audit.study_chain(study.id), actor=principal.actor,
                     action="role.unblind" if unblinded else "role.blind",
                     entity="study_role", entity_id=existing.id, at=now,
                     before={"unblinded": was_unblinded},
                     after={"account": account.email, "unblinded": unblinded})
    session.commit()
    return existing
