"""The tables of the medication and side-effect diaries (issue 6).

Like ``DiaryEntry``, nothing here is overwritten: a correction is a new row (version n+1,
``supersedes_id``, a reason) and only ``is_current`` changes on the row it replaces.
Intakes and adverse events have no natural day key, so each version carries the id of
its first version (``series_id``); a partial unique index keeps one current version per
series, which turns two concurrent corrections of one record into one winner.

Doses and MME are exact decimals kept as text ("7.5", "1000"): SQLite has no decimal
type and a float would turn 0.15 x 20 into 3.0000000000000004.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from diary.db.models import Base, new_id
from diary.db.types import UTCDateTime

CHANNELS = ("app", "sms", "coordinator")
_CHANNEL_CHECK = "channel IN ('app', 'sms', 'coordinator')"


def _current_index(table: str, *columns: str) -> Index:
    return Index(f"uq_{table}_current", *columns, unique=True,
                 sqlite_where=text("is_current"), postgresql_where=text("is_current"))


class MedicationIntake(Base):
    """One version of an analgesic intake, checked against the study's conversion table.

    ``dose`` is in the route's canonical ``unit`` (mg; mcg/h for a patch); ``mme`` is
    the intake's total MME by ``mme_table`` (a patch: over its ``worn_hours``), or NULL
    with ``mme_reason`` for an opioid without a factor; ``mme_daily`` is a patch's MME
    per full wear day (NULL for a dose taken at once), so no one reads the 180 of a
    72-hour patch as a day's 60. ``taken_date`` is the local date
    in the participant's zone at ``taken_at``: the diary day the intake counts on.
    """

    __tablename__ = "medication_intakes"
    __table_args__ = (
        UniqueConstraint("participant_id", "client_id"),
        UniqueConstraint("series_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(_CHANNEL_CHECK, name="channel"),
        _current_index("medication_intakes", "series_id"),
        Index("ix_medication_intakes_participant_day", "participant_id", "taken_date"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"))
    series_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    supersedes_id: Mapped[str | None] = mapped_column(
        ForeignKey("medication_intakes.id", name="fk_medication_intakes_supersedes"))
    reason: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    drug: Mapped[str] = mapped_column(String(41))
    dose: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(16))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_date: Mapped[date] = mapped_column(Date)
    rescue: Mapped[bool] = mapped_column(Boolean, default=False)
    worn_hours: Mapped[int | None] = mapped_column(Integer)
    mme_table: Mapped[str] = mapped_column(String(41))
    mme: Mapped[str | None] = mapped_column(String(32))
    mme_reason: Mapped[str | None] = mapped_column(Text)
    mme_daily: Mapped[str | None] = mapped_column(String(32))


class SideEffectReport(Base):
    """One version of a day's side-effect checklist: severity 0-3 per symptom code.

    One current report per participant and diary date (partial unique index), as for
    the pain diary; ``max_severity`` is kept so alerts and listings need no JSON parsing.
    """

    __tablename__ = "side_effect_reports"
    __table_args__ = (
        UniqueConstraint("participant_id", "client_id"),
        UniqueConstraint("participant_id", "diary_date", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(_CHANNEL_CHECK, name="channel"),
        CheckConstraint("max_severity BETWEEN 0 AND 3", name="max_severity_range"),
        _current_index("side_effect_reports", "participant_id", "diary_date"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"))
    diary_date: Mapped[date] = mapped_column(Date)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    max_severity: Mapped[int] = mapped_column(Integer)
    free_text: Mapped[str | None] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(String(64))
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    supersedes_id: Mapped[str | None] = mapped_column(
        ForeignKey("side_effect_reports.id", name="fk_side_effect_reports_supersedes"))
    reason: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class AdverseEventRecord(Base):
    """One version of an adverse event a coordinator recorded (diary.safety vocabularies).

    ``severity`` is intensity 1-3 (mild..severe); ``serious`` the ICH E2A yes/no; they
    are separate axes. A correction (say, the resolution date once known) is a version.
    """

    __tablename__ = "adverse_events"
    __table_args__ = (
        UniqueConstraint("participant_id", "client_id"),
        UniqueConstraint("series_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("severity BETWEEN 1 AND 3", name="severity_range"),
        CheckConstraint("resolved IS NULL OR resolved >= onset", name="resolved_after_onset"),
        _current_index("adverse_events", "series_id"),
        Index("ix_adverse_events_participant_onset", "participant_id", "onset"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"))
    series_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    supersedes_id: Mapped[str | None] = mapped_column(
        ForeignKey("adverse_events.id", name="fk_adverse_events_supersedes"))
    reason: Mapped[str | None] = mapped_column(Text)
    term: Mapped[str] = mapped_column(String(200))
    onset: Mapped[date] = mapped_column(Date)
    resolved: Mapped[date | None] = mapped_column(Date)
    severity: Mapped[int] = mapped_column(Integer)
    serious: Mapped[bool] = mapped_column(Boolean)
    relatedness: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
