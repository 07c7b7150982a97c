"""Twilio webhooks: inbound messages (``/sms/inbound``) and delivery statuses
(``/sms/status?outbox=<id>``). Both answer 403 and store nothing unless the request
carries a valid ``X-Twilio-Signature`` for the configured public URL."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from diary.api.context import db, now
from diary.api.guards import storable_text
from diary.errors import Forbidden, RuleViolation
from diary.sms.inbound import handle_inbound
from diary.sms.signature import public_request_url, verify_twilio_signature
from diary.sms.status import apply_status

blp = Blueprint("sms", __name__, url_prefix="/sms")


def _check_signature() -> dict[str, str]:
    """The signed form, cleaned of what no database stores, or 403. Only the POST body is
    signed data (``request.values`` would mix in the query string, which is part of the
    signed URL instead)."""
    config = current_app.config
    token = config.get("TWILIO_AUTH_TOKEN")
    if not token:
        raise Forbidden("SMS webhooks are disabled: TWILIO_AUTH_TOKEN is not configured",
                        code="sms_not_configured")
    # Behind a proxy the Host header is not the URL Twilio called: PUBLIC_BASE_URL is.
    base = config.get("PUBLIC_BASE_URL") or request.host_url
    url = public_request_url(base, request.path, request.query_string)
    form = request.form.to_dict()
    if not verify_twilio_signature(token, url, form, request.headers.get("X-Twilio-Signature")):
        raise Forbidden("missing or invalid X-Twilio-Signature", field="X-Twilio-Signature",
                        code="bad_signature")
    return {name: storable_text(value) for name, value in form.items()}


@blp.post("/inbound")
def inbound() -> Response:
    form = _check_signature()
    if not form.get("MessageSid"):
        raise RuleViolation("is required", field="MessageSid")
    runtime = current_app.extensions["paindiary"]
    text = handle_inbound(db(), runtime.vault, form, now())
    from twilio.twiml.messaging_response import MessagingResponse  # not at start-up (issue 12)

    twiml = MessagingResponse()
    if text:
        twiml.message(text)
    return Response(str(twiml), mimetype="application/xml")


@blp.post("/status")
def status() -> Response:
    form = _check_signature()
    outbox_id = request.args.get("outbox")
    if not outbox_id:
        raise RuleViolation("is required in the callback URL", field="outbox")
    apply_status(db(), outbox_id, form, now())
    return Response(status=204)
