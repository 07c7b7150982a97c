"""The password policy of NIST SP 800-63B (section 5.1.1.2), as a pure rule.

At least 12 characters (counted as Unicode code points after NFKC normalisation, as the
guideline asks), at most 256 (argon2 hashes any length, but a megabyte password is a
denial of service, not a secret), and not a password attackers try first: one from a
list of common passwords, such a password padded with digits and symbols
(``Password2024!``), a repetitive or sequential string (``aaaaaaaaaaaa``,
``123456789012``), or the service's name or the account's own email. No composition
rules (no "one digit and one symbol") and no periodic change: the guideline advises
against both.

The list is the one Django ships (``django/contrib/auth/common-passwords.txt.gz``,
BSD-3-Clause): the 20,000 most common passwords compiled by Royce Williams from leaked
password corpora (https://gist.github.com/roycewilliams/226886fd01572964e1431ac8afc999ce),
lower-cased and de-duplicated to 19,640 entries (``diary/data/common-passwords.txt.gz``).
"""

from __future__ import annotations

import gzip
import unicodedata
from functools import cache
from importlib import resources

MIN_LENGTH = 12
MAX_LENGTH = 256
SERVICE_WORDS = ("paindiary", "pain diary")

# One text per rule, so a person reads which rule the password broke.
TOO_SHORT = f"must have at least {MIN_LENGTH} characters (NIST SP 800-63B)"
TOO_LONG = f"must have at most {MAX_LENGTH} characters"
COMMON = "is on the list of commonly used passwords; choose another"
COMMON_PADDED = ("is a commonly used password with digits or symbols added; "
                 "choose another")
REPETITIVE = "is repetitive or sequential (such as 'aaaa...' or '1234...'); choose another"
CONTEXT = "must not contain the service's name or your email address"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-case, loaded once per process (about 20,000 entries)."""
    data = resources.files("diary").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split())


def normalised(password: str) -> str:
    """NFKC, as SP 800-63B asks before hashing and counting."""
    return unicodedata.normalize("NFKC", password)


def _repetitive_or_sequential(text: str) -> bool:
    if len(set(text)) <= 3:  # "aaaaaaaaaaaa", "abababababab", "abcabcabcabc"
        return True
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1})  # "123456789012" is caught by the digit wrap below


def _core(text: str) -> str:
    """The password without leading and trailing digits, symbols and spaces."""
    start, end = 0, len(text)
    while start < end and not text[start].isalpha():
        start += 1
    while end > start and not text[end - 1].isalpha():
        end -= 1
    return text[start:end]


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """The rule ``password`` breaks, or None when it is acceptable."""
    text = normalised(password)
    if len(text) < MIN_LENGTH:
        return TOO_SHORT
    if len(text) > MAX_LENGTH:
        return TOO_LONG
    lower = text.lower()
    common = common_passwords()
    if lower in common or lower.replace(" ", "") in common:
        return COMMON
    core = _core(lower)
    if len(core) >= 4 and (core in common or core.replace(" ", "") in common):
        return COMMON_PADDED
    digits = "".join(ch for ch in lower if ch.isdigit())
    if _repetitive_or_sequential(lower) or (
            len(digits) == len(lower) and digits in "01234567890123456789" * 2):
        return REPETITIVE
    local = (email or "").split("@")[0].lower()
    if any(w in lower for w in SERVICE_WORDS) or (len(local) >= 4 and local in lower):
        return CONTEXT
    return None
