"""The password policy (diary.passwords): NIST SP 800-63B section 5.1.1.2."""

from __future__ import annotations

import pytest

from diary.passwords import (
    COMMON,
    COMMON_PADDED,
    CONTEXT,
    REPETITIVE,
    TOO_LONG,
    TOO_SHORT,
    common_passwords,
    password_problem,
)


@pytest.mark.parametrize(("password", "rule"), [
    ("", TOO_SHORT),
    ("elevenchars", TOO_SHORT),           # 11
    ("x" * 257, TOO_LONG),
    ("1qaz2wsx3edc", COMMON),             # on the list as is
    ("1QAZ2WSX3EDC", COMMON),             # compared without case
    ("Password2027!", COMMON_PADDED),     # "password" with digits and a symbol
    ("!!sunshine!!2027", COMMON_PADDED),
    ("aaaaaaaaaaaa", REPETITIVE),
    ("abababababab", REPETITIVE),
    ("abcdefghijklmn", REPETITIVE),       # sequential
    ("zyxwvutsrqpo", REPETITIVE),
    ("123456789012", REPETITIVE),         # digits counting up, wrapping at 9
    ("my paindiary login", CONTEXT),
    ("marie.curie forever", CONTEXT),     # the account's own email
])
def test_a_password_breaking_a_rule_names_it(password, rule):
    assert password_problem(password, email="marie.curie@site.org") == rule


@pytest.mark.parametrize("password", [
    "correct horse battery",
    "long enough pass",
    "a brand new passphrase",
    "tr0mb0ne-Quasar-7",
    "😀 long enough",           # any Unicode, spaces included (SP 800-63B)
    "quartz " * 36 + "jump",    # 256 characters, the longest allowed
])
def test_a_reasonable_password_passes(password):
    assert password_problem(password, email="marie.curie@site.org") is None


def test_the_length_counts_after_nfkc_normalisation():
    # U+FB03 "ﬃ" is one code point typed, "ffi" (3) after NFKC: 4 of them are 12.
    assert password_problem("ﬃ" * 3 + "x") == TOO_SHORT  # 10 after NFKC
    assert password_problem("ﬃﬁﬂﬃ") == TOO_SHORT       # 4 typed, 10 after NFKC
    assert password_problem("ﬃﬁﬂﬃ" + "zq") is None       # 12 after NFKC


def test_the_shipped_list_holds_the_common_passwords_lower_case():
    words = common_passwords()
    assert len(words) == 19640
    assert {"123456", "password", "qwerty", "iloveyou"} <= words
    assert all(w == w.lower() for w in words)
