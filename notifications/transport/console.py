"""The console transport: logs each SMS instead of sending it, for a fresh machine.

Chosen by ``transport_from_config`` when no Twilio credentials are configured, so
``python app.py`` plus the scheduler work without an account. The numbers are masked in
the log (PITFALLS: mask phone numbers in logs); the full messages stay in ``sent``.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from .base import OutgoingSms, SendReceipt, SentRecord, require_aware
from .errors import mask_phone

logger = logging.getLogger("paindiary.sms")

STATUS = "sent"
"""A console message is as sent as it will ever be: no callback will move it further."""


class ConsoleTransport:
    """Logs each message to ``paindiary.sms`` and keeps it; sids are ``CONSOLE-<n>``."""

    def __init__(self, *, now: Callable[[], datetime] | None = None) -> None:
        self._now = now or (lambda: datetime.now(UTC))
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._sent: list[SentRecord] = []

    @property
    def sent(self) -> list[SentRecord]:
        """Every message sent so far, oldest first (a copy)."""
        with self._lock:
            return list(self._sent)

    def send(self, sms: OutgoingSms) -> SendReceipt:
        """Log and keep the message; never fails."""
        created = self._now()
        require_aware("now()", created)
        with self._lock:
            sid = f"CONSOLE-{next(self._counter)}"
            self._sent.append(SentRecord(sid=sid, to=sms.to, body=sms.body, status=STATUS,
                                         date_created=created.astimezone(UTC)))
        logger.info("SMS %s to %s: %s", sid, mask_phone(sms.to), sms.body)
        return SendReceipt(sid=sid, status=STATUS)

    def find_sent(self, to: str, sent_after: datetime) -> list[SentRecord]:
        """The kept messages to ``to`` created at or after ``sent_after``."""
        require_aware("sent_after", sent_after)
        with self._lock:
            return [r for r in self._sent if r.to == to and r.date_created >= sent_after]

    def close(self) -> None:
        """Nothing to release; here so every transport can be closed alike."""
