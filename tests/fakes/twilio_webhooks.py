"""Signed webhook requests as Twilio sends them: status callbacks and inbound SMS."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from diary.sms.signature import sign

API_VERSION = "2010-04-01"


@dataclass(frozen=True)
class SignedRequest:
    """A form POST Twilio would make to ``url``, with its ``X-Twilio-Signature``.

    With Flask's test client: ``client.post(req.path, data=req.params,
    headers=req.headers)``, the app configured with the public base URL of ``url``.
    """

    url: str
    params: dict[str, str]
    signature: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Twilio-Signature": self.signature}

    @property
    def path(self) -> str:
        """Path and query of ``url`` (what a test client requests)."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


def status_callback(auth_token: str, url: str, *, account_sid: str, sid: str, to: str,
                    from_: str | None, status: str, error_code: int | None = None,
                    messaging_service_sid: str | None = None) -> SignedRequest:
    """The status callback for an outbound message (Twilio's parameter names)."""
    params = {
        "AccountSid": account_sid, "ApiVersion": API_VERSION, "MessageSid": sid,
        "MessageStatus": status, "SmsSid": sid, "SmsStatus": status, "To": to,
    }
    if from_:
        params["From"] = from_
    if messaging_service_sid:
        params["MessagingServiceSid"] = messaging_service_sid
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    return SignedRequest(url, params, sign(auth_token, url, params))


def inbound_sms(auth_token: str, url: str, *, account_sid: str, from_: str, to: str,
                body: str | None, num_media: int = 0, sid: str | None = None) -> SignedRequest:
    """An incoming message webhook; ``body=None`` omits ``Body`` (an MMS without text)."""
    sid = sid or ("MM" if num_media else "SM") + uuid.uuid4().hex
    params = {
        "AccountSid": account_sid, "ApiVersion": API_VERSION, "From": from_, "To": to,
        "MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "SmsStatus": "received",
        "NumMedia": str(num_media), "NumSegments": "1",
    }
    if body is not None:
        params["Body"] = body
    for i in range(num_media):
        params[f"MediaUrl{i}"] = f"https://api.twilio.com/{API_VERSION}/Accounts/{account_sid}" \
                                 f"/Messages/{sid}/Media/ME{uuid.uuid4().hex}"
        params[f"MediaContentType{i}"] = "image/jpeg"
    return SignedRequest(url, params, sign(auth_token, url, params))
