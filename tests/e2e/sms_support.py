"""Posting signed Twilio webhooks to the app, as Twilio would."""

from __future__ import annotations

import itertools

from diary.sms.signature import sign

AUTH_TOKEN = "test-twilio-auth-token"
PUBLIC = "https://diary.example.org"
PHONE = "+33612345678"
_sids = itertools.count(1)


def message_sid() -> str:
    return f"SM{next(_sids):032x}"


def post_signed(client, path: str, form: dict, *, query: str = "", base: str = PUBLIC,
                signature: str | None = None, token: str = AUTH_TOKEN):
    """POST ``form`` to ``path`` signed for ``base + path (+ ?query)``."""
    url = f"{base}{path}" + (f"?{query}" if query else "")
    headers = {"X-Twilio-Signature": signature if signature is not None
               else sign(token, url, form)}
    target = path + (f"?{query}" if query else "")
    return client.post(target, data=form, headers=headers)


def text_in(client, body: str | None, *, sender: str = PHONE, sid: str | None = None):
    """An inbound SMS from ``sender``; returns (response, reply text or None)."""
    form = {"MessageSid": sid or message_sid(), "AccountSid": "AC" + "0" * 32,
            "From": sender, "To": "+15005550006", "NumMedia": "0"}
    if body is not None:
        form["Body"] = body
    r = post_signed(client, "/sms/inbound", form)
    return r, reply_of(r)


def reply_of(response) -> str | None:
    import xml.etree.ElementTree as ET

    if response.status_code != 200:
        return None
    root = ET.fromstring(response.data)
    message = root.find("Message")
    return None if message is None else message.text
