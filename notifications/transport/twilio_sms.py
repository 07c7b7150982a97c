"""The Twilio adapter: ``messages.create`` and ``messages.list`` through the official SDK.

Named ``twilio_sms`` so it cannot shadow the ``twilio`` package. Decisions (PITFALLS,
"Twilio"):

* Always a timeout (the SDK's default is none, and a hung create blocks the dispatcher).
* Where requests go is decided by the arguments only: the SDK also reads ``TWILIO_EDGE``
  and ``TWILIO_REGION`` from the process environment and rewrites every host with them,
  even ``127.0.0.1``; we overwrite both on the client. A loopback ``base_url`` (the local
  fake) also ignores ``HTTP(S)_PROXY``, which would otherwise carry it off the machine.
* Every failure becomes a ``SendError`` (see ``errors``): both SDK error classes of 9.x,
  requests' exceptions, and a success response that cannot be read.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime
from urllib.parse import urlparse

import requests
import urllib3.exceptions
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .base import OutgoingSms, SendReceipt, SentRecord, require_aware
from .errors import NETWORK, PROVIDER, SendError, classify, mask_numbers

DEFAULT_TIMEOUT = 10.0
"""Seconds for connect and for each read; Twilio answers a create in well under one."""
LOOKUP_LIMIT, LOOKUP_PAGE = 200, 100
"""A reconciliation reads at most the newest 200 messages to one number, 100 a page."""


class TwilioTransport:
    """Sends through Twilio's Messages API from one number or one Messaging Service.

    ``base_url`` replaces ``https://api.twilio.com`` (tests point it at the local fake);
    ``edge``/``region`` pick a Twilio edge location and cannot be combined with it.
    Call ``close()`` (or use ``with``) to release the pooled HTTP connections.
    """

    def __init__(self, account_sid: str, auth_token: str, *, from_number: str | None = None,
                 messaging_service_sid: str | None = None, base_url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, edge: str | None = None,
                 region: str | None = None) -> None:
        if not account_sid or not auth_token:
            raise ValueError("account_sid and auth_token are both required")
        if bool(from_number) == bool(messaging_service_sid):
            raise ValueError("give exactly one of from_number and messaging_service_sid")
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if base_url and (edge or region):
            raise ValueError("edge/region rewrite the API host: not with a base_url")
        self.timeout = timeout
        """Seconds allowed for connecting and for each read of every API call."""
        self._sender = ({"from_": from_number} if from_number
                        else {"messaging_service_sid": messaging_service_sid})
        self._http = TwilioHttpClient(timeout=timeout)
        self._client = Client(account_sid, auth_token, account_sid=account_sid,
                              http_client=self._http)
        # The constructor fell back to os.environ for these; the arguments decide instead.
        self._client.edge = edge
        self._client.region = region
        if base_url:
            self._client.api.base_url = _checked_base_url(base_url)
            if _is_loopback(base_url) and self._http.session is not None:
                self._http.session.trust_env = False

    @property
    def edge(self) -> str | None:
        """The Twilio edge location requests go through (None: Twilio's default)."""
        return self._client.edge

    @property
    def region(self) -> str | None:
        """The Twilio processing region (None: Twilio's default, us1)."""
        return self._client.region

    def send(self, sms: OutgoingSms) -> SendReceipt:
        """Create the message; raises ``SendError`` (see ``errors`` for the flags)."""
        kwargs: dict[str, str] = {"to": sms.to, "body": sms.body, **self._sender}
        if sms.status_callback:
            kwargs["status_callback"] = sms.status_callback
        try:
            message = self._client.messages.create(**kwargs)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _from_sdk_error(exc) from exc
        except requests.RequestException as exc:
            raise _from_network_error(exc) from exc
        except (TwilioException, ValueError) as exc:
            # A 2xx whose body is not JSON (a proxy's page): Twilio may still have the message.
            raise SendError(f"unreadable response from Twilio: {exc!r}", outcome_unknown=True,
                            kind=PROVIDER) from exc
        if not message.sid:
            raise SendError("Twilio's create response has no message sid",
                            outcome_unknown=True, kind=PROVIDER)
        return SendReceipt(sid=message.sid, status=message.status or "unknown")

    def find_sent(self, to: str, sent_after: datetime) -> list[SentRecord]:
        """Messages to ``to`` created at or after ``sent_after``, oldest first, including
        those still waiting in Twilio's queue.

        The list is asked for by recipient only, never by ``DateSent``: a message still
        in Twilio's queue has no send date, so a date filter misses it, and a lost create
        answer would then be re-sent while the first copy is queued (issue 16). Twilio
        lists one number's messages newest first; the newest ``LOOKUP_LIMIT`` are read
        (months of one participant's reminders) and filtered here on ``date_created``
        (to the second, Twilio's precision).
        """
        require_aware("sent_after", sent_after)
        since = sent_after.astimezone(UTC).replace(microsecond=0)
        try:
            messages = self._client.messages.list(to=to, limit=LOOKUP_LIMIT,
                                                  page_size=LOOKUP_PAGE)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _lookup_failed(_from_sdk_error(exc)) from exc
        except requests.RequestException as exc:
            raise _lookup_failed(_from_network_error(exc)) from exc
        except (TwilioException, ValueError) as exc:
            raise _from_page_error(exc) from exc
        found = [
            SentRecord(sid=m.sid, to=m.to, body=m.body or "", status=m.status or "unknown",
                       date_created=m.date_created, error_code=m.error_code)
            for m in messages
            if isinstance(m.date_created, datetime) and m.date_created >= since
        ]
        return sorted(found, key=lambda r: (r.date_created, r.sid))

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        if self._http.session is not None:
            self._http.session.close()

    def __enter__(self) -> TwilioTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _checked_base_url(base_url: str) -> str:
    parts = urlparse(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ValueError(f"API base URL {base_url!r} must be http(s)://host[:port]")
    return base_url.rstrip("/")


def _is_loopback(base_url: str) -> bool:
    host = urlparse(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _twilio_code(code: object) -> int | None:
    # The SDK puts the HTTP status into ``code`` when the body is not JSON (a 503 page);
    # Twilio's own codes have five digits, so anything below 1000 is not one.
    if isinstance(code, int) and code >= 1000:
        return code
    if isinstance(code, str) and code.isdigit() and int(code) >= 1000:
        return int(code)
    return None


def _from_sdk_error(exc: TwilioRestException | TwilioServiceException) -> SendError:
    if isinstance(exc, TwilioServiceException):
        message = f"{exc.title}: {exc.detail}" if exc.detail else exc.title
    else:
        message = exc.msg or "Twilio error"
    status = exc.status if isinstance(exc.status, int) else None
    return classify(status, _twilio_code(exc.code), message)


def _from_page_error(exc: Exception) -> SendError:
    # A failed list page raises the base TwilioException("Unable to fetch page", response),
    # not TwilioRestException: read status and code from the response it carries.
    response = exc.args[1] if len(exc.args) > 1 else None
    status = getattr(response, "status_code", None)
    code, message = None, str(exc.args[0]) if exc.args else repr(exc)
    try:
        payload = json.loads(getattr(response, "text", "") or "")
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        code = _twilio_code(payload.get("code"))
        message = str(payload.get("message") or payload.get("title") or message)
    if status is None:
        return SendError(f"unreadable list response from Twilio: {exc!r}", kind=PROVIDER,
                         outcome_unknown=True)
    return _lookup_failed(classify(status, code, message))


def _lookup_failed(error: SendError) -> SendError:
    # A lookup creates nothing: its failure is never "outcome unknown" or permanent for
    # the message; only the kind (who must act) carries over.
    return SendError(error.message, code=error.code, http_status=error.http_status,
                     kind=error.kind)


def _from_network_error(exc: requests.RequestException) -> SendError:
    text = mask_numbers(f"{type(exc).__name__}: {exc}")
    if _request_never_left(exc):
        return SendError(f"could not reach Twilio ({text})", kind=NETWORK)
    return SendError(f"no answer from Twilio ({text})", outcome_unknown=True, kind=NETWORK)


def _request_never_left(exc: requests.RequestException) -> bool:
    """True only when the request cannot have reached Twilio (connecting failed)."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError
                  | requests.exceptions.ProxyError):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", exc.args[0])
        # Refused, unreachable, DNS failure; urllib3 raises it before writing a byte.
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False
