"""The SMS transport interface: what the outbox hands over and what it gets back.

Only the Twilio adapter imports ``twilio``; the dispatcher sees these dataclasses, the
``Transport`` protocol and ``SendError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class OutgoingSms:
    """One message to send. ``to`` is E.164; ``status_callback`` is an absolute URL that
    carries the outbox id, so callbacks match even when the create response was lost."""

    to: str
    body: str
    status_callback: str | None = None


@dataclass(frozen=True)
class SendReceipt:
    """The provider's answer to a create: its message id and the status it reported
    (``queued`` from a number, ``accepted`` through a Messaging Service)."""

    sid: str
    status: str


@dataclass(frozen=True)
class SentRecord:
    """A message found when reconciling after an unknown outcome (``find_sent``).

    ``date_created`` is aware UTC with whole seconds (Twilio's RFC 2822 timestamps).
    """

    sid: str
    to: str
    body: str
    status: str
    date_created: datetime
    error_code: int | None = None


@runtime_checkable
class Transport(Protocol):
    """Sends one SMS, and lists what was sent to a number when an outcome is unknown."""

    def send(self, sms: OutgoingSms) -> SendReceipt:
        """Create the message; raises ``SendError``."""
        ...

    def find_sent(self, to: str, sent_after: datetime) -> list[SentRecord]:
        """Messages to ``to`` created at or after ``sent_after`` (aware), oldest first;
        raises ``SendError``."""
        ...


def require_aware(name: str, value: datetime) -> None:
    """``ValueError`` for a naive datetime: reconciliation windows are instants."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, not a naive one")
