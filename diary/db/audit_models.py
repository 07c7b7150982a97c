"""The audit trail's tables: the hash-chained records, the fast path's pending records,
the chain heads and the signed seals (diary/audit.py, audit_pending.py, audit_seals.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from diary.db.models import Base
from diary.db.types import UTCDateTime


class AuditRecord(Base):
    """Append-only, hash-chained audit trail; one chain per study or per participant.

    On PostgreSQL a trigger refuses UPDATE and DELETE (see the first migration).
    """

    __tablename__ = "audit_records"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(80))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # An electronic signature the protocol asked for (signer, time, meaning; issue 17),
    # hashed with the record when present.
    signature: Mapped[Any] = mapped_column(JSON, nullable=True)


class AuditPending(Base):
    """An audit record written by the PostgreSQL fast path (issue 20), not yet chained.

    The sealer (diary/audit_pending.py) moves these into ``audit_records`` in id order,
    hashing and linking each, so no request waits on a chain head lock."""

    __tablename__ = "audit_pending"
    # audit.append drains its chain's pending records first: found by chain, in order.
    __table_args__ = (Index("ix_audit_pending_chain_id", "chain", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """The last record of each chain: locking this row orders appends to one chain."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditSeal(Base):
    """A signed checkpoint of chain heads (diary/audit_seals.py), kept here for convenience.

    Verification trusts the Ed25519 signature, checked with a public key from outside the
    database, and the copy a site archives (``audit-seals.jsonl``), not this table."""

    __tablename__ = "audit_seals"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[str] = mapped_column(Text)  # the signed canonical JSON, byte for byte
    signature: Mapped[str] = mapped_column(String(128))  # base64


class AuditSealMark(Base):
    """The last sealed seq of each chain: the next seal covers only chains that moved.
    Only the sealer writes here, so appends never wait on it."""

    __tablename__ = "audit_seal_marks"

    chain: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
