"""Staff accounts: creation, login (bearer tokens), roles per study."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import Account, ApiToken, StudyRole
from diary.errors import Conflict, NotFound, RuleViolation, TooManyAttempts, Unauthorized
from diary.security import new_token, token_hash, verify_secret
from diary.services.principals import LEVELS, Principal
from diary.services.studies import get_study

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 10


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime | None


def create_account(session: Session, principal: Principal, *, email: str, password: str,
                   is_superuser: bool, now: datetime, ph: PasswordHasher) -> Account:
    principal.require_superuser()
    email = email.strip().lower()
    if len(password) < MIN_PASSWORD:
        raise RuleViolation(f"must have at least {MIN_PASSWORD} characters", field="password")
    if session.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise Conflict(f"an account for {email} exists", field="email")
    account = Account(email=email, password_hash=ph.hash(password), is_superuser=is_superuser,
                      created_at=now, failed_logins=0)
    session.add(account)
    session.flush()
    audit.append(session, chain=audit.ACCOUNTS_CHAIN, actor=principal.actor,
                 action="account.create", entity="account", entity_id=account.id, at=now,
                 after={"email": email, "is_superuser": is_superuser})
    session.commit()
    return account


def login(session: Session, *, email: str, password: str, now: datetime, ph: PasswordHasher,
          ttl: timedelta) -> IssuedToken:
    """Exchange email and password for a bearer token; failures are counted per account."""
    account = session.scalar(select(Account).where(Account.email == email.strip().lower()))
    if account is None:
        ph.hash(password)  # same cost as a real check, so timing does not reveal accounts
        raise Unauthorized("wrong email or password")
    if account.locked_until and account.locked_until > now:
        raise TooManyAttempts("too many failed logins; try again later")
    if not verify_secret(ph, account.password_hash, password):
        account.failed_logins += 1
        if account.failed_logins >= MAX_FAILED_LOGINS:
            account.locked_until, account.failed_logins = now + LOCKOUT, 0
        session.commit()
        raise Unauthorized("wrong email or password")
    account.failed_logins, account.locked_until = 0, None
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
