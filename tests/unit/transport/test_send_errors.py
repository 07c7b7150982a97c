"""The error table: which Twilio answers stop, which retry, which need reconciling."""

from __future__ import annotations

import pytest

from notifications.transport import (
    ACCOUNT,
    PROVIDER,
    RATE_LIMITED,
    RECIPIENT,
    REJECTED,
    SendError,
    classify,
    mask_phone,
)


@pytest.mark.parametrize(("http_status", "code", "permanent", "unknown", "kind"), [
    (400, 21610, True, False, RECIPIENT),   # replied STOP
    (400, 21211, True, False, RECIPIENT),   # invalid To
    (400, 21614, True, False, RECIPIENT),   # landline
    (400, 21612, True, False, RECIPIENT),   # not reachable from this sender
    (400, 21408, True, False, RECIPIENT),   # region not enabled
    (400, 21617, True, False, REJECTED),    # body too long: our bug, no retry helps
    (400, None, True, False, REJECTED),     # any other 4xx
    (404, 21999, True, False, REJECTED),
    (401, 20003, False, False, ACCOUNT),    # credentials: fixing them fixes the send
    (403, None, False, False, ACCOUNT),
    (400, 21606, False, False, ACCOUNT),    # From cannot send SMS
    (400, 21705, False, False, ACCOUNT),    # bad Messaging Service
    (429, 20429, False, False, RATE_LIMITED),
    (429, None, False, False, RATE_LIMITED),
    (400, 20429, False, False, RATE_LIMITED),
    (500, 20500, False, True, PROVIDER),    # may have been created before failing
    (503, None, False, True, PROVIDER),
    (None, None, False, True, PROVIDER),
])
def test_classify_sorts_twilio_errors(http_status, code, permanent, unknown, kind):
    error = classify(http_status, code, "message")

    assert (error.permanent, error.outcome_unknown, error.kind) == (permanent, unknown, kind)
    assert (error.http_status, error.code) == (http_status, code)


def test_the_string_of_an_error_names_code_and_status():
    assert str(classify(400, 21610, "unsubscribed")) == "unsubscribed (code 21610, HTTP 400)"


def test_an_error_cannot_be_both_permanent_and_of_unknown_outcome():
    with pytest.raises(ValueError, match="permanent"):
        SendError("x", permanent=True, outcome_unknown=True)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        SendError("x", kind="weather")


@pytest.mark.parametrize(("number", "masked"), [
    ("+447700900123", "+*********123"),
    ("+15005550006", "+********006"),
])
def test_phone_numbers_are_masked_to_their_last_three_digits(number, masked):
    assert mask_phone(number) == masked
