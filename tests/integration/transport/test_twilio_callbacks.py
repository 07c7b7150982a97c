"""The fake's signed webhooks verify with the transport's signature check."""

from __future__ import annotations

from notifications.transport import OutgoingSms, verify_twilio_signature

TO = "+447700900123"
CALLBACK = "https://diary.example.org/sms/status?outbox=42"


def test_a_status_callback_carries_the_sid_and_status_and_is_signed(
        twilio_fake, twilio_transport):
    receipt = twilio_transport.send(OutgoingSms(TO, "hello", CALLBACK))

    callback = twilio_fake.status_callback(receipt.sid, "delivered")

    assert callback.path == "/sms/status?outbox=42"
    assert (callback.params["MessageSid"], callback.params["MessageStatus"]) == (
        receipt.sid, "delivered")
    assert "ErrorCode" not in callback.params
    assert verify_twilio_signature(twilio_fake.auth_token, CALLBACK, callback.params,
                                   callback.headers["X-Twilio-Signature"])
    assert twilio_fake.message(receipt.sid).status == "delivered"


def test_a_failed_status_callback_has_its_error_code(twilio_fake, twilio_transport):
    receipt = twilio_transport.send(OutgoingSms(TO, "hello", CALLBACK))

    callback = twilio_fake.status_callback(receipt.sid, "undelivered", error_code=30003)

    assert callback.params["ErrorCode"] == "30003"
    assert twilio_fake.message(receipt.sid).error_code == 30003


def test_an_inbound_mms_without_text_has_no_body_parameter(twilio_fake):
    url = "https://diary.example.org/sms/inbound"

    sms = twilio_fake.inbound(url, from_=TO, body="pain 6")
    mms = twilio_fake.inbound(url, from_=TO, body=None, num_media=1)

    assert sms.params["Body"] == "pain 6" and sms.params["MessageSid"].startswith("SM")
    assert "Body" not in mms.params and mms.params["MessageSid"].startswith("MM")
    assert all(verify_twilio_signature(twilio_fake.auth_token, url, r.params, r.signature)
               for r in (sms, mms))
