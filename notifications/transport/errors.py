"""``SendError`` and the table that sorts Twilio's error codes into what the outbox does next.

Three questions decide a failed send, and each is a flag on the error:

* ``permanent``: sending the same message again cannot succeed; stop and tell the
  coordinator (the participant's number is the problem) or the developer (the request is).
* ``outcome_unknown``: the request may have reached Twilio and created the message
  (timeout, connection dropped after sending, 5xx); reconcile (``Transport.find_sent`` or
  the status callback) before sending again, never resend blindly.
* neither: transient, nothing was sent; retry with backoff.

``kind`` says who has to act, so the dispatcher can pause everything on an account problem
instead of burning one message's attempts after another.
"""

from __future__ import annotations

import re

RECIPIENT = "recipient"
"""Permanent: this number cannot get our SMS (opted out, invalid, landline...)."""
REJECTED = "rejected"
"""Permanent: Twilio refuses this request as built (a 4xx not listed elsewhere)."""
ACCOUNT = "account"
"""Not permanent: credentials or sender configuration; fixing the account fixes the send."""
RATE_LIMITED = "rate_limited"
"""Transient: HTTP 429 / code 20429; nothing was created."""
PROVIDER = "provider"
"""Transient with unknown outcome: HTTP 5xx or an unreadable success response."""
NETWORK = "network"
"""Transient: no answer; ``outcome_unknown`` unless the request cannot have left."""

KINDS = (RECIPIENT, REJECTED, ACCOUNT, RATE_LIMITED, PROVIDER, NETWORK)

# Codes from https://www.twilio.com/docs/api/errors. A recipient code means the participant
# is unreachable by SMS until someone changes the number or the participant texts START.
RECIPIENT_CODES: dict[int, str] = {
    21211: "invalid 'To' phone number",
    21214: "'To' phone number cannot be reached",
    21217: "phone number does not appear to be valid",
    21265: "'To' number cannot be a short code",
    21266: "'To' and 'From' are the same number",
    # Geo permissions: fixable on the account, but until someone does, this recipient
    # cannot be reached, which is what the coordinator needs to know.
    21408: "permission to send to this region is not enabled",
    21610: "recipient unsubscribed (replied STOP)",
    21612: "'To' number is not reachable from this sender",
    21614: "'To' number is not a mobile number",
}

# Our credentials or sender set-up: every message fails alike, none is the recipient's
# fault, and the same message succeeds once the configuration is fixed, so not permanent.
ACCOUNT_CODES: dict[int, str] = {
    20003: "authentication failed",
    20005: "account not active",
    20404: "resource not found (wrong account SID or API base URL)",
    21212: "invalid 'From' number",
    21606: "'From' number is not SMS-capable for this destination",
    21659: "'From' is not a Twilio number",
    21660: "'From' does not belong to this account",
    21703: "Messaging Service has no senders",
    21704: "Messaging Service has no usable senders",
    21705: "invalid Messaging Service SID",
}

RATE_LIMIT_CODES = frozenset({20429})


class SendError(Exception):
    """A send (or a reconciliation lookup) failed; the flags say what to do next."""

    def __init__(self, message: str, *, code: int | None = None,
                 http_status: int | None = None, permanent: bool = False,
                 outcome_unknown: bool = False, kind: str = NETWORK) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind {kind!r} is not one of {KINDS}")
        if permanent and outcome_unknown:
            raise ValueError("a permanent error cannot have an unknown outcome")
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.permanent = permanent
        self.outcome_unknown = outcome_unknown
        self.kind = kind

    def __str__(self) -> str:
        where = [f"code {self.code}"] if self.code is not None else []
        if self.http_status is not None:
            where.append(f"HTTP {self.http_status}")
        return f"{self.message} ({', '.join(where)})" if where else self.message

    def __repr__(self) -> str:
        return (f"SendError({self.message!r}, code={self.code}, http_status={self.http_status},"
                f" permanent={self.permanent}, outcome_unknown={self.outcome_unknown},"
                f" kind={self.kind!r})")


def classify(http_status: int | None, code: int | None, message: str) -> SendError:
    """The ``SendError`` for an error response from Twilio's API.

    >>> classify(400, 21610, "unsubscribed").permanent
    True
    >>> e = classify(503, 503, "Service Unavailable"); (e.permanent, e.outcome_unknown)
    (False, True)
    >>> classify(429, 20429, "Too Many Requests").kind
    'rate_limited'
    """
    message = mask_numbers(message)
    args = {"code": code, "http_status": http_status}
    if http_status == 429 or code in RATE_LIMIT_CODES:
        return SendError(message, kind=RATE_LIMITED, **args)
    if code in RECIPIENT_CODES:
        return SendError(message, permanent=True, kind=RECIPIENT, **args)
    if code in ACCOUNT_CODES or http_status in (401, 403):
        return SendError(message, kind=ACCOUNT, **args)
    if http_status is not None and 400 <= http_status < 500:
        return SendError(message, permanent=True, kind=REJECTED, **args)
    # 5xx, or anything unrecognised: Twilio may have created the message before failing.
    return SendError(message, outcome_unknown=True, kind=PROVIDER, **args)


_NUMBER = re.compile(r"\+?\d{7,15}")


def mask_phone(number: str) -> str:
    """A phone number for logs and stored errors: all but the last 3 digits hidden.

    >>> mask_phone("+447700900123")
    '+*********123'
    """
    keep = 3
    hidden = "".join("*" if ch.isdigit() else ch for ch in number[:-keep])
    return hidden + number[-keep:]


def mask_numbers(text: str) -> str:
    """``text`` with every phone-number-like digit run masked (Twilio quotes the number).

    >>> mask_numbers("The 'To' number +15005550009 is not a valid phone number.")
    "The 'To' number +********009 is not a valid phone number."
    """
    return _NUMBER.sub(lambda m: mask_phone(m.group()), text)
