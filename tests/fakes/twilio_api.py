"""A local fake of Twilio's Messages API, so tests run the real SDK over loopback.

``FakeTwilio`` serves ``POST``/``GET /2010-04-01/Accounts/{sid}/Messages.json`` (create and
list, with the filters and paging the SDK uses) and ``GET .../Messages/{sid}.json`` on
127.0.0.1 at an ephemeral port. It checks basic auth, validates like Twilio (21211, 21602,
21603, 21604, 21617, and 21610/21614 for numbers marked opted out or landline), records
every accepted message, and applies scripted ``Fault``s to the next create calls::

    with FakeTwilio() as fake:
        fake.script(twilio_faults.server_error(), twilio_faults.slow(1.0))
        transport = TwilioTransport(fake.account_sid, fake.auth_token,
                                    from_number=DEFAULT_FROM, base_url=fake.base_url)

It does not call webhooks itself: ``status_callback``/``inbound`` return signed requests
for a test to post to the Flask app. ``hold_in_queue(seconds)`` keeps each new message
``queued`` without a ``date_sent`` for that long on the fake's clock (as Twilio's queue
does under load), and ``drop_answers(every=n)`` stores every n-th message but loses its
create answer. Not modelled: media, scheduling, prices.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlencode

from . import twilio_webhooks
from .twilio_faults import Fault, twilio_error_body
from .twilio_http import API, FakeServer, Handler
from .twilio_webhooks import SignedRequest

DEFAULT_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
DEFAULT_AUTH_TOKEN = "fake-twilio-auth-token"
DEFAULT_FROM = "+15005550006"
E164 = re.compile(r"\+[1-9]\d{1,14}")
MAX_BODY = 1600


@dataclass(frozen=True)
class FakeMessage:
    """A message the fake accepted, as Twilio stores it."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status: str
    status_callback: str | None
    date_created: datetime
    date_sent: datetime | None = None
    error_code: int | None = None

    def to_json(self) -> dict[str, object]:
        """Twilio's Message resource JSON."""
        uri = f"{API}/{self.account_sid}/Messages/{self.sid}"
        return {
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": self.body,
            "date_created": _rfc2822(self.date_created), "date_sent": _rfc2822(self.date_sent),
            "date_updated": _rfc2822(self.date_sent or self.date_created),
            "direction": "outbound-api", "error_code": self.error_code,
            "error_message": None, "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid, "num_media": "0",
            "num_segments": str(max(1, -(-len(self.body) // 153))), "price": None,
            "price_unit": "USD", "sid": self.sid, "status": self.status, "to": self.to,
            "subresource_uris": {"media": f"{uri}/Media.json"}, "uri": f"{uri}.json",
        }


class FakeTwilio:
    """The fake server and its recorded state; thread-safe, start/stop or ``with``."""

    def __init__(self, account_sid: str = DEFAULT_ACCOUNT_SID,
                 auth_token: str = DEFAULT_AUTH_TOKEN, *,
                 now: Callable[[], datetime] | None = None, sends_immediately: bool = True):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.now = now or (lambda: datetime.now(UTC))
        """The fake's clock (assignable); timestamps are cut to whole seconds like Twilio's."""
        self.sends_immediately = sends_immediately
        """True: a created message is at once ``sent`` with a ``date_sent`` (the create answer
        still says ``queued``). False: it stays queued without ``date_sent``, so a
        ``DateSent`` filter misses it, like a message waiting in Twilio's queue."""
        self._lock = threading.Lock()
        self._messages: dict[str, FakeMessage] = {}
        self._faults: deque[Fault] = deque()
        self._opted_out: set[str] = set()
        self._landlines: set[str] = set()
        self._stopping = threading.Event()
        self._hold: timedelta | None = None
        self._drop_every = 0
        self._server: FakeServer | None = None
        self._thread: threading.Thread | None = None
        self.create_attempts = 0
        """Create calls received, including rejected and faulted ones."""
        self.dropped: list[str] = []
        """Sids of the messages whose create answer ``drop_answers`` lost after storing."""

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeTwilio:
        server = FakeServer(("127.0.0.1", 0), Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-twilio",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; wakes slow answers and waits for every handler thread."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, for ``TwilioTransport(base_url=...)``."""
        if self._server is None:
            raise RuntimeError("the fake is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- scripting ---------------------------------------------------------------------

    def script(self, *faults: Fault) -> None:
        """Apply ``faults`` to the next create calls, one each, in order."""
        with self._lock:
            self._faults.extend(faults)

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        """Apply ``fault`` to the next ``times`` create calls."""
        self.script(*([fault] * times))

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    def hold_in_queue(self, seconds: float) -> None:
        """Keep each new message ``queued`` with no ``date_sent`` for ``seconds`` of the
        fake's clock, then ``sent`` (a ``DateSent`` filter misses it meanwhile)."""
        with self._lock:
            self._hold = timedelta(seconds=seconds)

    def drop_answers(self, every: int) -> None:
        """Store every ``every``-th accepted message, then hang up without answering (a
        lost answer: the client times out or sees the connection drop); 0 turns it off."""
        with self._lock:
            self._drop_every = every

    @property
    def dropped_answers(self) -> int:
        """How many create answers ``drop_answers`` lost."""
        with self._lock:
            return len(self.dropped)

    def opt_out(self, number: str) -> None:
        """Creates to ``number`` fail with 21610 until ``opt_in``, as after a STOP."""
        with self._lock:
            self._opted_out.add(number)

    def opt_in(self, number: str) -> None:
        with self._lock:
            self._opted_out.discard(number)

    def landline(self, number: str) -> None:
        """Creates to ``number`` fail with 21614 (not a mobile number)."""
        with self._lock:
            self._landlines.add(number)

    # -- state -------------------------------------------------------------------------

    @property
    def messages(self) -> list[FakeMessage]:
        """Accepted messages, oldest first."""
        with self._lock:
            return [self._released(m) for m in self._messages.values()]

    def message(self, sid: str) -> FakeMessage:
        with self._lock:
            return self._released(self._messages[sid])

    def set_status(self, sid: str, status: str, error_code: int | None = None) -> FakeMessage:
        """Move a message on (``sent`` also stamps ``date_sent``); returns the new record."""
        with self._lock:
            msg = self._messages[sid]
            sent = msg.date_sent or (self._clock() if status != "queued" else None)
            msg = replace(msg, status=status, error_code=error_code, date_sent=sent)
            self._messages[sid] = msg
            return msg

    def status_callback(self, sid: str, status: str, *, error_code: int | None = None,
                        url: str | None = None) -> SignedRequest:
        """Set the status and build Twilio's signed callback to the message's
        ``StatusCallback`` (or ``url``)."""
        msg = self.set_status(sid, status, error_code)
        url = url or msg.status_callback
        if not url:
            raise ValueError(f"message {sid} has no StatusCallback; pass url=")
        return twilio_webhooks.status_callback(
            self.auth_token, url, account_sid=self.account_sid, sid=sid, to=msg.to,
            from_=msg.from_ or DEFAULT_FROM, status=status, error_code=error_code,
            messaging_service_sid=msg.messaging_service_sid)

    def inbound(self, url: str, *, from_: str, body: str | None, to: str = DEFAULT_FROM,
                num_media: int = 0) -> SignedRequest:
        """A signed incoming-SMS webhook from ``from_`` to our number."""
        return twilio_webhooks.inbound_sms(self.auth_token, url, account_sid=self.account_sid,
                                           from_=from_, to=to, body=body, num_media=num_media)

    # -- request handling (called from handler threads) --------------------------------

    def _clock(self) -> datetime:
        return self.now().astimezone(UTC).replace(microsecond=0)

    def _released(self, msg: FakeMessage) -> FakeMessage:
        """A held message leaves the queue (is ``sent``) once its hold is over; under the
        lock."""
        if msg.date_sent is not None or msg.status != "queued" or self._hold is None:
            return msg
        leaves = msg.date_created + self._hold
        if self._clock() < leaves:
            return msg
        msg = replace(msg, status="sent", date_sent=leaves, from_=msg.from_ or DEFAULT_FROM)
        self._messages[msg.sid] = msg
        return msg

    def _create(self, form: dict[str, str]) -> tuple[Fault | None, int | None, bytes]:
        """Apply a scripted fault or validate and store; the answer (None: hang up)."""
        with self._lock:
            self.create_attempts += 1
            fault = self._faults.popleft() if self._faults else None
            if fault is not None and fault.status is not None:
                return fault, fault.status, fault.body
            error = self._invalid(form)
            if error is not None:
                return fault, 400, twilio_error_body(400, error)
            if fault is not None and not fault.creates:
                return fault, None, b""
            service = form.get("MessagingServiceSid")
            msg = FakeMessage(
                sid="SM" + uuid.uuid4().hex, account_sid=self.account_sid, to=form["To"],
                from_=None if service else form["From"], messaging_service_sid=service,
                body=form["Body"], status="accepted" if service else "queued",
                status_callback=form.get("StatusCallback"), date_created=self._clock())
            answer = json.dumps(msg.to_json()).encode()
            if self.sends_immediately and self._hold is None:
                msg = replace(msg, status="sent", date_sent=msg.date_created,
                              from_=msg.from_ or DEFAULT_FROM)
            self._messages[msg.sid] = msg
            if self._drop_every and len(self._messages) % self._drop_every == 0:
                self.dropped.append(msg.sid)
                return fault, None, b""  # stored, and the answer is lost
            return fault, 201, answer

    def _invalid(self, form: dict[str, str]) -> int | None:
        to = form.get("To")
        if not to:
            return 21604
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return 21603
        if not form.get("Body"):
            return 21602
        if len(form["Body"]) > MAX_BODY:
            return 21617
        if not E164.fullmatch(to):
            return 21211
        if to in self._opted_out:
            return 21610
        if to in self._landlines:
            return 21614
        return None

    def _list(self, query: dict[str, str]) -> dict[str, object]:
        with self._lock:
            found = [m for m in map(self._released, list(self._messages.values()))
                     if _matches(m, query)]
        # Twilio lists newest first by DateSent; unsent ones by creation.
        found.sort(key=lambda m: (m.date_sent or m.date_created), reverse=True)
        size = min(max(int(query.get("PageSize", 50)), 1), 1000)
        page = max(int(query.get("Page", 0)), 0)
        chunk = found[page * size:(page + 1) * size]
        base = f"{API}/{self.account_sid}/Messages.json"
        filters = {k: v for k, v in query.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(n: int) -> str:
            token = {"PageToken": f"PASM{n}"} if n else {}
            return f"{base}?{urlencode({**filters, 'PageSize': size, 'Page': n, **token})}"

        more = (page + 1) * size < len(found)
        return {
            "messages": [m.to_json() for m in chunk], "page": page, "page_size": size,
            "start": page * size, "end": page * size + max(len(chunk) - 1, 0),
            "uri": uri(page), "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if more else None,
            "previous_page_uri": uri(page - 1) if page else None,
        }


def _rfc2822(value: datetime | None) -> str | None:
    return format_datetime(value) if value is not None else None


def _bound(text: str) -> datetime:
    """A ``DateSent`` filter value: ``YYYY-MM-DD`` (midnight GMT) or the SDK's ISO form."""
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _matches(msg: FakeMessage, query: dict[str, str]) -> bool:
    if "To" in query and msg.to != query["To"]:
        return False
    if "From" in query and msg.from_ != query["From"]:
        return False
    dated = {k: v for k, v in query.items() if k in ("DateSent", "DateSent<", "DateSent>")}
    if not dated:
        return True
    if msg.date_sent is None:
        return False
    for key, text in dated.items():
        bound = _bound(text)
        if key == "DateSent>" and msg.date_sent < bound:
            return False
        if key == "DateSent<" and msg.date_sent > bound:
            return False
        if key == "DateSent" and msg.date_sent.date() != bound.date():
            return False
    return True
