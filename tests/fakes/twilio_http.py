"""The HTTP side of the Twilio fake: routing, basic auth and answers (state in ``twilio_api``)."""

from __future__ import annotations

import base64
import json
import logging
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from .twilio_faults import twilio_error_body

if TYPE_CHECKING:
    from .twilio_api import FakeTwilio

logger = logging.getLogger("tests.fakes.twilio")

API = "/2010-04-01/Accounts"


class FakeServer(ThreadingHTTPServer):
    # Non-daemon handler threads, joined by server_close(): no socket outlives the fake.
    daemon_threads = False
    block_on_close = True
    fake: FakeTwilio


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so no idle keep-alive thread blocks stop().
    protocol_version = "HTTP/1.0"
    timeout = 5
    server: FakeServer

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        if not self._authorised(parts.path):
            return
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        if parts.path == f"{API}/{fake.account_sid}/Messages.json":
            self._answer(200, json.dumps(fake._list(query)).encode())
            return
        found = re.fullmatch(rf"{API}/{fake.account_sid}/Messages/(SM\w+)\.json", parts.path)
        try:
            msg = fake.message(found.group(1)) if found else None
        except KeyError:
            msg = None
        if msg is None:
            self._answer(404, twilio_error_body(404, 20404))
        else:
            self._answer(200, json.dumps(msg.to_json()).encode())

    def do_POST(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        if not self._authorised(parts.path):
            return
        if parts.path != f"{API}/{fake.account_sid}/Messages.json":
            self._answer(404, twilio_error_body(404, 20404))
            return
        form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        fault, status, body = fake._create(form)
        if fault is not None and fault.delay and fake._stopping.wait(fault.delay):
            return  # the fake is stopping: hang up without an answer
        if status is None or (fault is not None and fault.drop):
            return  # HTTP/1.0: returning unanswered closes the connection
        content_type = fault.content_type if fault is not None and fault.status else None
        self._answer(status, body, content_type)

    def _authorised(self, path: str) -> bool:
        fake = self.server.fake
        expected = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
        if self.headers.get("Authorization") == f"Basic {expected}":
            return True
        self._answer(401, twilio_error_body(401, 20003),
                     extra={"WWW-Authenticate": 'Basic realm="Twilio API"'})
        return False

    def _answer(self, status: int, body: bytes, content_type: str | None = None,
                extra: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type or "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (a timeout): as with Twilio, the answer is lost
