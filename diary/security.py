"""Secrets at rest: password and code hashing, bearer tokens, encrypted phone numbers.

Bearer tokens are long random strings, so SHA-256 suffices and costs microseconds per
request; passwords and short activation codes need argon2id (PITFALLS: never per request).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Activation codes read ``XXXX-XXXX-XXXX``: the first group (the lookup, one of 31**4 =
# 923,521) finds the row, the last two (about 40 bits) are the secret, checked with
# argon2id and throttled per code. Lookups are unique in the database; the issuer draws
# another on a clash (diary.services.enrolment).
LOOKUP_LENGTH, SECRET_LENGTH = 4, 8


def _random_code_text(n: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(n))


def new_code_lookup() -> str:
    """A random lookup part; the caller makes sure no other code has it."""
    return _random_code_text(LOOKUP_LENGTH)


def new_code_secret() -> str:
    return _random_code_text(SECRET_LENGTH)


def activation_code(lookup: str, secret: str) -> str:
    """The code shown to the participant, in groups of four."""
    text = lookup + secret
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def split_activation_code(code: str) -> tuple[str, str] | None:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(cleaned) != LOOKUP_LENGTH + SECRET_LENGTH:
        return None
    return cleaned[:LOOKUP_LENGTH], cleaned[LOOKUP_LENGTH:]


def hasher(profile: str = "default") -> PasswordHasher:
    """argon2id; ``profile="cheap"`` only for tests, where 190 ms per hash adds up."""
    if profile == "cheap":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


def verify_secret(ph: PasswordHasher, stored: str, given: str) -> bool:
    try:
        return ph.verify(stored, given)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASHES: dict[tuple, str] = {}


def dummy_verify(ph: PasswordHasher, given: str) -> None:
    """Spend what a real check costs when there is nothing to check against (an unknown
    email, an unknown activation code), so the answer's timing does not tell them apart.

    The hash is made once per set of parameters: verifying, not hashing, is what a known
    account costs.
    """
    params = (ph.time_cost, ph.memory_cost, ph.parallelism, ph.hash_len, ph.salt_len)
    if params not in _DUMMY_HASHES:
        _DUMMY_HASHES[params] = ph.hash(secrets.token_urlsafe(16))
    verify_secret(ph, _DUMMY_HASHES[params], given)


def normalise_phone(raw: str, region: str | None = None) -> str:
    """E.164 form of a phone number; raises ``ValueError`` when it is not a valid number."""
    import phonenumbers  # its metadata costs 20-40 ms: imported on first use (issue 12)

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number; use E.164 such as +14155550100")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """For logs: keep the country code and the last two digits."""
    return e164[:3] + "*" * max(len(e164) - 5, 0) + e164[-2:]


@dataclass(frozen=True)
class PhoneVault:
    """Encrypts phone numbers at rest and derives a blind index to match inbound ``From``."""

    secret_key: str

    def _derive(self, purpose: bytes) -> bytes:
        # cryptography is imported on first use here, not at every start-up (issue 12).
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose)
        return kdf.derive(self.secret_key.encode())

    def encrypt(self, e164: str) -> bytes:
        from cryptography.fernet import Fernet

        key = base64.urlsafe_b64encode(self._derive(b"paindiary phone encryption"))
        return Fernet(key).encrypt(e164.encode())

    def decrypt(self, blob: bytes) -> str:
        from cryptography.fernet import Fernet, InvalidToken

        key = base64.urlsafe_b64encode(self._derive(b"paindiary phone encryption"))
        try:
            return Fernet(key).decrypt(blob).decode()
        except InvalidToken as exc:
            raise ValueError("phone number cannot be decrypted with this SECRET_KEY") from exc

    def index(self, e164: str) -> str:
        return hmac.new(self._derive(b"paindiary phone index"), e164.encode(),
                        hashlib.sha256).hexdigest()
