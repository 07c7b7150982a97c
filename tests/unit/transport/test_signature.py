"""Webhook signatures: checked against the public URL Twilio called, query included."""

from __future__ import annotations

import flask
import pytest

from notifications.transport import public_request_url, sign, verify_twilio_signature

TOKEN = "auth-token"
PUBLIC = "https://diary.example.org"
PARAMS = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "To": "+447700900123"}


def _app() -> flask.Flask:
    """A stand-in webhook: rebuilds the URL from the configured base, like the real one."""
    app = flask.Flask(__name__)

    @app.post("/sms/status")
    def status():
        url = public_request_url(PUBLIC, flask.request.path, flask.request.query_string)
        ok = verify_twilio_signature(TOKEN, url, flask.request.form,
                                     flask.request.headers.get("X-Twilio-Signature"))
        return ("", 204) if ok else ("", 403)

    return app


def _post(path: str, signature: str | None, params=PARAMS, host: str = "localhost") -> int:
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    response = _app().test_client().post(path, data=params, headers=headers,
                                         base_url=f"http://{host}")
    return response.status_code


def test_a_valid_signature_passes():
    url = f"{PUBLIC}/sms/status?outbox=42"

    assert verify_twilio_signature(TOKEN, url, PARAMS, sign(TOKEN, url, PARAMS))


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"])
def test_a_missing_empty_or_wrong_signature_fails(signature):
    assert not verify_twilio_signature(TOKEN, f"{PUBLIC}/sms/status", PARAMS, signature)


def test_a_signature_made_with_another_token_fails():
    url = f"{PUBLIC}/sms/status"

    assert not verify_twilio_signature(TOKEN, url, PARAMS, sign("other-token", url, PARAMS))


def test_a_changed_parameter_fails():
    url = f"{PUBLIC}/sms/status"
    signature = sign(TOKEN, url, PARAMS)

    assert not verify_twilio_signature(TOKEN, url, {**PARAMS, "MessageStatus": "failed"},
                                       signature)


def test_behind_a_proxy_the_signed_public_url_is_rebuilt_not_the_local_host():
    # Twilio called https://diary.example.org; the app sees http://10.0.0.7:8000.
    signature = sign(TOKEN, f"{PUBLIC}/sms/status?outbox=42", PARAMS)

    assert _post("/sms/status?outbox=42", signature, host="10.0.0.7:8000") == 204
    assert not verify_twilio_signature(TOKEN, "http://10.0.0.7:8000/sms/status?outbox=42",
                                       PARAMS, signature)


def test_the_query_string_is_part_of_what_was_signed():
    signature = sign(TOKEN, f"{PUBLIC}/sms/status?outbox=42", PARAMS)

    assert _post("/sms/status?outbox=42", signature) == 204
    assert _post("/sms/status?outbox=43", signature) == 403
    assert _post("/sms/status", signature) == 403


def test_a_request_without_a_signature_header_is_refused():
    assert _post("/sms/status", None) == 403


@pytest.mark.parametrize(("base", "path", "query", "url"), [
    ("https://diary.example.org", "/sms/inbound", b"", "https://diary.example.org/sms/inbound"),
    ("https://diary.example.org/", "sms/inbound", "a=1&b=%2B44",
     "https://diary.example.org/sms/inbound?a=1&b=%2B44"),
    ("https://example.org/diary", "/sms/status", b"outbox=7",
     "https://example.org/diary/sms/status?outbox=7"),
])
def test_public_request_url_joins_base_path_and_raw_query(base, path, query, url):
    assert public_request_url(base, path, query) == url


@pytest.mark.parametrize("base", ["diary.example.org", "ftp://diary.example.org",
                                  "https://diary.example.org/?x=1"])
def test_public_request_url_refuses_a_base_that_is_not_an_http_url(base):
    with pytest.raises(ValueError, match="public base URL"):
        public_request_url(base, "/sms/status")
