"""Blinding codes and concealed allocation lists (issue 13)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from diary.db.models import Base
from diary.db.types import UTCDateTime

MASKED_KINDS = ("arm", "treatment", "sequence")


class BlindingCode(Base):
    """The masked code blinded staff see for one arm, treatment or sequence of a study.

    Drawn at random when the value first appears (study creation or upgrade), so the
    codes' order says nothing about the protocol's order; never changed afterwards.
    """

    __tablename__ = "blinding_codes"
    __table_args__ = (
        UniqueConstraint("study_id", "kind", "value"),
        UniqueConstraint("study_id", "kind", "code"),
        CheckConstraint("kind IN ('arm', 'treatment', 'sequence')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(16))


class AllocationList(Base):
    """One upload of allocation slots: who sent it, when, and the SHA-256 of the file."""

    __tablename__ = "allocation_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(8))
    rows: Mapped[int] = mapped_column(Integer)


class AllocationSlot(Base):
    """One row of a concealed list: the ``number``-th allocation of a stratum.

    ``stratum`` is "" for an unstratified list, else e.g. "site=PAR". A slot is taken
    once (``participant_id``, unique), in ``number`` order, by enrolment.
    """

    __tablename__ = "allocation_slots"
    __table_args__ = (
        UniqueConstraint("study_id", "stratum", "number"),
        UniqueConstraint("participant_id"),
        CheckConstraint("(arm IS NULL) <> (sequence IS NULL)", name="one_allocation"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("allocation_lists.id"), index=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    stratum: Mapped[str] = mapped_column(String(200))
    number: Mapped[int] = mapped_column(Integer)
    arm: Mapped[str | None] = mapped_column(String(32))
    sequence: Mapped[str | None] = mapped_column(String(32))
    participant_id: Mapped[str | None] = mapped_column(ForeignKey("participants.id"))
    allocated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
