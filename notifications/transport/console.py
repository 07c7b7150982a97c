"""The console transport: logs each SMS instead of sending it, for a fresh machine.

Chosen by ``transport_from_config`` when no Twilio credentials are configured, so
``python app.py`` plus the scheduler work without an account. The numbers are masked in
the log (PITFALLS: mask phone numbers in logs); the full messages stay in ``sent``.

Message ids are ``CONSOLE-<32 hex digits>`` (a random UUID): the outbox keeps every id
unique, and cron starts a new process per tick, so a per-process counter would hand out
``CONSOLE-1`` again and the acceptance could never be recorded (issue 12).

Reconciling after a restart: ``find_sent`` only knows this process's messages, so a
claim left by a scheduler that died between claim and record is found nowhere and its
message is logged again. That is deliberate: a console message is only a log line, so
logging it twice costs nothing, whereas recording it as sent without evidence could
claim a message that never appeared (the process may have died before logging it).
Within one process (``flask --app app scheduler``) a lost record is found here and not
logged twice.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from .base import OutgoingSms, SendReceipt, SentRecord, require_aware
from .errors import mask_phone

logger = logging.getLogger("paindiary.sms")

STATUS = "sent"
"""A console message is as sent as it will ever be: no callback will move it further."""

PREFIX = "CONSOLE-"


def new_sid() -> str:
    """A message id unique across processes and restarts (122 random bits)."""
    return f"{PREFIX}{uuid.uuid4().hex}"


class ConsoleTransport:
    """Logs each message to ``paindiary.sms`` and keeps it; sids are ``CONSOLE-<hex>``."""

    def __init__(self, *, now: Callable[[], datetime] | None = None) -> None:
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._sent: list[SentRecord] = []

    @property
    def sent(self) -> list[SentRecord]:
        """Every message sent so far by this process, oldest first (a copy)."""
        with self._lock:
            return list(self._sent)

    def send(self, sms: OutgoingSms) -> SendReceipt:
        """Log and keep the message; never fails."""
        created = self._now()
        require_aware("now()", created)
        sid = new_sid()
        with self._lock:
            self._sent.append(SentRecord(sid=sid, to=sms.to, body=sms.body, status=STATUS,
                                         date_created=created.astimezone(UTC)))
        logger.info("SMS %s to %s: %s", sid, mask_phone(sms.to), sms.body)
        return SendReceipt(sid=sid, status=STATUS)

    def find_sent(self, to: str, sent_after: datetime) -> list[SentRecord]:
        """This process's messages to ``to`` created at or after ``sent_after`` (what an
        earlier process logged is not known: see the module's docstring)."""
        require_aware("sent_after", sent_after)
        with self._lock:
            return [r for r in self._sent if r.to == to and r.date_created >= sent_after]

    def close(self) -> None:
        """Nothing to release; here so every transport can be closed alike."""
