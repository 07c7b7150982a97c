"""The tables of the reminder scheduler and SMS: outbox, planning cursors, inbound log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from diary.db.models import Base, new_id
from diary.db.types import UTCDateTime

OUTBOX_STATES = ("pending", "sending", "sent", "delivered", "failed", "cancelled")


class OutboxMessage(Base):
    """One message to send exactly once: its ``key`` is the planner's idempotency key.

    ``state`` moves pending -> sending (claimed) -> sent -> delivered, or to failed or
    cancelled; ``outcome_unknown`` marks a send whose response was lost, reconciled
    with the provider before any new attempt. Coordinator alerts (channel ``alert``) are
    delivered in the app and acknowledged there.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'sending', 'sent', 'delivered', 'failed', "
                        "'cancelled')", name="state"),
        CheckConstraint("channel IN ('sms', 'alert')", name="channel"),
        # Every index is paid on each insert of a tick: only those a query uses are kept
        # (migration 0013_outbox_indexes names each one's query). Partial indexes stay
        # small however long the history of sent messages grows; those on rows a tick
        # never inserts (sending, with a provider id) cost the tick nothing.
        Index("ix_outbox_messages_pending_due", "next_attempt_at",
              sqlite_where=text("state = 'pending'"), postgresql_where=text("state = 'pending'")),
        Index("ix_outbox_messages_sending_claimed", "claimed_at",
              sqlite_where=text("state = 'sending'"), postgresql_where=text("state = 'sending'")),
        Index("uq_outbox_messages_provider_sid", "provider_sid", unique=True,
              sqlite_where=text("provider_sid IS NOT NULL"),
              postgresql_where=text("provider_sid IS NOT NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    participant_id: Mapped[str | None] = mapped_column(ForeignKey("participants.id"),
                                                       index=True)
    channel: Mapped[str] = mapped_column(String(8))
    audience: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(64))
    reminder_attempt: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[str] = mapped_column(Text)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    provider_sid: Mapped[str | None] = mapped_column(String(64))  # unique: see the index
    provider_status: Mapped[str | None] = mapped_column(String(20))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_code: Mapped[int | None] = mapped_column(Integer)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class ReminderCursor(Base):
    """When the scheduler must next plan a participant: the tick reads only those due.

    ``next_due_at`` NULL means never (withdrawn, follow-up over); anything that may bring
    a reminder forward (an anchor event, a protocol upgrade) sets it to now.
    """

    __tablename__ = "reminder_cursors"

    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"),
                                                primary_key=True)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InboundSms(Base):
    """Every inbound SMS, stored raw before it is acted on; one row per MessageSid."""

    __tablename__ = "inbound_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_index: Mapped[str | None] = mapped_column(String(64), index=True)
    from_masked: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str | None] = mapped_column(Text)  # absent for an MMS without text
    raw: Mapped[Any] = mapped_column(JSON)  # the signed form, the sender's number masked
    participant_id: Mapped[str | None] = mapped_column(ForeignKey("participants.id"),
                                                       index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    reply: Mapped[str | None] = mapped_column(Text)
    diary_entry_id: Mapped[str | None] = mapped_column(String(36))


class SmsConversation(Base):
    """A participant's open SMS exchange: a correction awaiting YES, or a questionnaire."""

    __tablename__ = "sms_conversations"

    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"),
                                                primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    state: Mapped[Any] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
