"""Electronic signatures for the actions a protocol names (21 CFR Part 11; issue 17).

A signature is the signer re-entering their password and stating what the signature
means (§11.200(a): two components; §11.50: the printed name, the date and time, and the
meaning). It is checked here and returned as the dict the action's audit record keeps.
"""

from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from diary.db.models import Account
from diary.errors import Forbidden, RuleViolation
from diary.protocol.model import Protocol
from diary.security import verify_secret
from diary.services import throttle
from diary.services.principals import Principal

# The texts a signer may read, in one place (issue 19 wraps them for translation).
NEEDED = ("this {action} needs your electronic signature: send signature.password (your "
          "password again) and signature.meaning (what you sign for)")
NOT_STAFF = "only a staff account can sign"
WRONG_PASSWORD = "the password does not match your account's: nothing was changed"
TOO_MANY = "too many wrong signature passwords"
MEANING_ONE_OF = "must be one of the protocol's meanings: {meanings}"


def sign(session: Session, principal: Principal, protocol: Protocol, action: str,
         given: dict | None, *, ph: PasswordHasher, now: datetime) -> dict | None:
    """The signature to record with ``action``, or None when none was needed nor given.

    Raises 422 when the protocol asks for one and none was sent (or its meaning is not
    one the protocol lists), 403 when the password is wrong, 429 after repeated wrong
    passwords (throttled like a sign-in; a failure is committed, nothing else is)."""
    if given is None:
        if action in protocol.signatures:
            raise RuleViolation(NEEDED.format(action=action.replace("_", " ")),
                                field="signature", code="signature_required")
        return None
    if principal.account_id is None:
        raise Forbidden(NOT_STAFF, field="signature", code="signature_invalid")
    meaning = (given.get("meaning") or "").strip()
    if not meaning:
        raise RuleViolation("must state what the signature means", field="signature.meaning",
                            code="signature_required")
    meanings = protocol.signatures.get(action, ())
    if meanings and meaning not in meanings:
        raise RuleViolation(MEANING_ONE_OF.format(meanings="; ".join(meanings)),
                            field="signature.meaning", code="signature_meaning")
    account = session.get(Account, principal.account_id)
    if account is None:
        raise Forbidden(WRONG_PASSWORD, field="signature.password", code="signature_invalid")
    keys = throttle.esign_keys(account.email)
    throttle.check(session, keys, now, TOO_MANY, field="signature.password")
    if not verify_secret(ph, account.password_hash, given.get("password") or ""):
        session.rollback()  # the signed action's own changes, if any, are not kept
        throttle.record_failure(session, keys, now)
        session.commit()
        raise Forbidden(WRONG_PASSWORD, field="signature.password", code="signature_invalid")
    throttle.clear(session, keys[:1])
    return {"signer": account.email, "account_id": account.id, "signed_at": now,
            "meaning": meaning, "action": action}
