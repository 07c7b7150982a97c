"""Taking access back (issue 17): sign-out, token revocation, disabled accounts, password
reset and change. The API, the CLI (``flask --app app accounts ...``) and the web sign-in
call these; each change is audited, and none of them records a password.

Staff changes go to the accounts chain of the audit trail, a participant's device to that
participant's chain.
"""

from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import Account, ApiToken
from diary.errors import Conflict, Forbidden, NotFound, RuleViolation, Unauthorized
from diary.security import token_hash, verify_secret
from diary.services import throttle
from diary.services.accounts import check_password
from diary.services.enrolment import get_participant
from diary.services.principals import Principal


def revoke_token(session: Session, token: str, *, now: datetime,
                 actor: audit.Actor | None = None) -> None:
    """Sign out: the token stops working at once. Unknown or already revoked: 401."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token),
                                                ApiToken.revoked_at.is_(None)))
    if row is None:
        raise Unauthorized("invalid or expired token")
    row.revoked_at = now
    if row.account_id is not None:
        chain = audit.ACCOUNTS_CHAIN
        actor = actor or audit.Actor(f"account:{row.account_id}", row.account_id)
    else:
        chain = audit.participant_chain(row.participant_id)
        actor = actor or audit.Actor(f"participant:{row.participant_id}")
    audit.append(session, chain=chain, actor=actor, action="token.revoke",
                 entity="api_token", entity_id=row.id, at=now, after={"why": "sign-out"})
    session.commit()


def _revoke_all(session: Session, now: datetime, *, account_id: int | None = None,
                participant_id: str | None = None, keep_token_id: int | None = None) -> int:
    stmt = update(ApiToken).where(ApiToken.revoked_at.is_(None))
    stmt = (stmt.where(ApiToken.account_id == account_id) if account_id is not None
            else stmt.where(ApiToken.participant_id == participant_id))
    if keep_token_id is not None:
        stmt = stmt.where(ApiToken.id != keep_token_id)
    return session.execute(stmt.values(revoked_at=now)).rowcount


def get_account(session: Session, principal: Principal, account_id: int,
                *, lock: bool = False) -> Account:
    """An account, for an administrator; 404 when there is none."""
    principal.require_superuser()
    stmt = select(Account).where(Account.id == account_id)
    account = session.scalar(stmt.with_for_update() if lock else stmt)
    if account is None:
        raise NotFound(f"no account {account_id}", field="account_id")
    return account


def account_id_for(session: Session, email: str) -> int:
    """The id of the account with this email (for the CLI, which names accounts by email)."""
    found = session.scalar(select(Account.id).where(Account.email == email.strip().lower()))
    if found is None:
        raise NotFound(f"no account for {email}", field="email")
    return found


def list_accounts(session: Session, principal: Principal) -> list[Account]:
    principal.require_superuser()
    return list(session.scalars(select(Account).order_by(Account.id)))


def revoke_user_tokens(session: Session, principal: Principal, account_id: int, *,
                       now: datetime, reason: str | None = None) -> int:
    """An administrator signs an account out everywhere; returns how many tokens stopped."""
    account = get_account(session, principal, account_id)
    n = _revoke_all(session, now, account_id=account.id)
    audit.append(session, chain=audit.ACCOUNTS_CHAIN, actor=principal.actor,
                 action="account.tokens_revoke", entity="account", entity_id=account.id,
                 at=now, after={"email": account.email, "tokens_revoked": n}, reason=reason)
    session.commit()
    return n


def revoke_device_tokens(session: Session, principal: Principal, study_key: str,
                         subject_id: str, *, now: datetime, reason: str | None = None) -> int:
    """A coordinator signs a participant's devices out (a lost phone); the participant
    comes back with a new activation code. Site limits apply as to any participant."""
    _, _, p = get_participant(session, principal, study_key, subject_id, need="write")
    n = _revoke_all(session, now, participant_id=p.id)
    audit.append(session, chain=audit.participant_chain(p.id), actor=principal.actor,
                 action="device.tokens_revoke", entity="participant", entity_id=p.id,
                 at=now, after={"tokens_revoked": n}, reason=reason)
    session.commit()
    return n


def disable_account(session: Session, principal: Principal, account_id: int, *,
                    now: datetime, reason: str) -> Account:
    """No more sign-in, and every token of the account stops working at once."""
    if not reason or not reason.strip():
        raise RuleViolation("disabling an account needs a reason", field="reason")
    account = get_account(session, principal, account_id, lock=True)
    if account.id == principal.account_id:
        raise RuleViolation("you cannot disable your own account", field="account_id")
    if account.disabled_at is not None:
        raise Conflict(f"disabled since {account.disabled_at:%Y-%m-%d %H:%M} UTC",
                       field="account_id", code="account_disabled")
    account.disabled_at = now
    n = _revoke_all(session, now, account_id=account.id)
    audit.append(session, chain=audit.ACCOUNTS_CHAIN, actor=principal.actor,
                 action="account.disable", entity="account", entity_id=account.id, at=now,
                 before={"disabled": False},
                 after={"email": account.email, "disabled": True, "tokens_revoked": n},
                 reason=reason.strip())
    session.commit()
    return account


def enable_account(session: Session, principal: Principal, account_id: int, *,
                   now: datetime, reason: str) -> Account:
    if not reason or not reason.strip():
        raise RuleViolation("enabling an account needs a reason", field="reason")
    account = get_account(session, principal, account_id, lock=True)
    if account.disabled_at is None:
        raise Conflict("the account is not disabled", field="account_id")
    account.disabled_at = None
    audit.append(session, chain=audit.ACCOUNTS_CHAIN, actor=principal.actor,
                 action="account.enable", entity="account", entity_id=account.id, at=now,
                 before={"disabled": True}, after={"email": account.email, "disabled": False},
                 reason=reason.strip())
    session.commit()
    return account


def reset_password(session: Session, principal: Principal, account_id: int, *,
                   new_password: str, now: datetime, ph: PasswordHasher) -> Account:
    """An administrator sets a new password (to hand over in person); the account is
    signed out everywhere, so whoever held the old password or a token loses access."""
    account = get_account(session, principal, account_id, lock=True)
    check_password(new_password, account.email, field="new_password")
    account.password_hash = ph.hash(new_password)
    account.password_changed_at = now
    n = _revoke_all(session, now, account_id=account.id)
    throttle.clear(session, [throttle.account_key(account.email)])  # a fresh start
    audit.append(session, chain=audit.ACCOUNTS_CHAIN, actor=principal.actor,
                 action="account.password_reset", entity="account", entity_id=account.id,
                 at=now, after={"email": account.email, "tokens_revoked": n})
    session.commit()
    return account


def change_password(session: Session, principal: Principal, *, current_password: str,
                    new_password: str, now: datetime, ph: PasswordHasher,
                    client: str = "unknown") -> Account:
    """A staff member changes their own password; the current one is required, and is
    throttled like a sign-in. Other tokens of the account are revoked, the caller's own
    stays."""
    if principal.account_id is None:
        raise Forbidden("only staff accounts have a password")
    account = session.get(Account, principal.account_id, with_for_update=True)
    keys = throttle.login_keys(account.email, client)
    throttle.check(session, keys, now, "too many wrong passwords", field="current_password")
    if not verify_secret(ph, account.password_hash, current_password):
        throttle.record_failure(session, keys, now)
        session.commit()
        raise Forbidden("the current password is wrong", field="current_password",
                        code="wrong_password")
    check_password(new_password, account.email, field="new_password")
    if verify_secret(ph, account.password_hash, new_password):
        raise RuleViolation("new_password must differ from the current one",
                            field="new_password", code="weak_password")
    account.password_hash = ph.hash(new_password)
    account.password_changed_at = now
    n = _revoke_all(session, now, account_id=account.id, keep_token_id=principal.token_id)
    audit.append(session, chain=audit.ACCOUNTS_CHAIN, actor=principal.actor,
                 action="account.password_change", entity="account", entity_id=account.id,
                 at=now, after={"other_tokens_revoked": n})
    session.commit()
    return account
