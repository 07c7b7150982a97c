"""SMS transports: the interface the outbox dispatcher uses, Twilio, and the console.

``transport_from_config(app.config)`` picks one; ``send`` raises ``SendError`` whose flags
(``permanent``, ``outcome_unknown``, ``kind``) say whether to stop, reconcile with
``find_sent``, or retry. ``signature`` checks Twilio's webhook signatures.
"""

from diary.sms.signature import public_request_url, sign, verify_twilio_signature

from .base import OutgoingSms, SendReceipt, SentRecord, Transport
from .config import transport_from_config
from .console import ConsoleTransport
from .errors import (
    ACCOUNT,
    ACCOUNT_CODES,
    NETWORK,
    PROVIDER,
    RATE_LIMITED,
    RECIPIENT,
    RECIPIENT_CODES,
    REJECTED,
    SendError,
    classify,
    mask_phone,
)
from .twilio_sms import TwilioTransport

__all__ = [
    "ACCOUNT", "ACCOUNT_CODES", "NETWORK", "PROVIDER", "RATE_LIMITED", "RECIPIENT",
    "RECIPIENT_CODES", "REJECTED", "ConsoleTransport", "OutgoingSms", "SendError",
    "SendReceipt", "SentRecord", "Transport", "TwilioTransport", "classify", "mask_phone",
    "public_request_url", "sign", "transport_from_config", "verify_twilio_signature",
]
