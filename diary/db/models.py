"""The tables of the clinical record. Every change here ships an Alembic migration."""

from __future__ import annotations

import uuid
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
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from diary.db.types import UTCDateTime

# Named constraints from the first migration on, or SQLite batch migrations cannot drop them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return str(uuid.uuid4())


# Who gave a diary entry or questionnaire response: the participant themselves, or study
# staff entering it for them from an examination, a paper diary or a call (issue 13).
ENTRY_SOURCES = ("participant", "clinician", "paper", "phone")
STAFF_SOURCES = ENTRY_SOURCES[1:]


def _entry_source_check() -> CheckConstraint:
    allowed = ", ".join(f"'{s}'" for s in ENTRY_SOURCES)
    return CheckConstraint(f"entry_source IN ({allowed})", name="entry_source")


def _entry_source():
    return mapped_column(String(16), server_default="participant")


# The export reads the few staff-entered rows of a study (diary.exports.records); this
# partial index holds only them. SQLite uses it for a query with this very term.
STAFF_ENTERED = "entry_source <> 'participant'"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Account(Base):
    """A staff member (coordinator, viewer, admin). Superusers manage studies and accounts."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A disabled account cannot log in and its tokens stop working (issue 17); failed
    # logins are counted in auth_throttle, per client and per account.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Study(Base):
    __tablename__ = "studies"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProtocolVersion(Base):
    """Every protocol a study ever had, byte for byte, with its SHA-256."""

    __tablename__ = "protocol_versions"
    __table_args__ = (
        UniqueConstraint("study_id", "version"),
        UniqueConstraint("study_id", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    version: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(64), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    loaded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class StudyRole(Base):
    """An account's role in one study, optionally limited to some sites."""

    __tablename__ = "study_roles"
    __table_args__ = (
        UniqueConstraint("account_id", "study_id"),
        CheckConstraint("role IN ('admin', 'coordinator', 'viewer')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    role: Mapped[str] = mapped_column(String(16))
    sites: Mapped[list[str] | None] = mapped_column(JSON)
    # Issue 13: may see the allocation (arms, sequences, treatments) of a blinded study.
    unblinded: Mapped[bool] = mapped_column(Boolean, default=False,
                                            server_default=text("false"))


class Participant(Base):
    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("study_id", "subject_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    subject_id: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(32))
    arm: Mapped[str | None] = mapped_column(String(32))
    sequence: Mapped[str | None] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    reminder_time: Mapped[str] = mapped_column(String(5))  # local wall time "HH:MM"
    # The participant's own choice (by them or a coordinator), else the study's daily_time,
    # which a protocol upgrade then moves along (issue 16).
    reminder_time_chosen: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=text("false"))
    phone_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)  # HMAC blind index
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    enrolled_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    screening_override: Mapped[str | None] = mapped_column(Text)  # why enrolled regardless
    # SMS: the participant's own STOP (no reminder goes out after it) and the last
    # permanent delivery failure (unsubscribed, invalid or landline number) for the site.
    sms_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sms_problem: Mapped[str | None] = mapped_column(String(200))
    sms_problem_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ActivationCode(Base):
    """A single-use code a participant exchanges for a device token.

    The code's first group (``lookup``) finds the row; the rest is checked against an
    argon2id hash; wrong attempts are throttled in auth_throttle (per client and per
    code), so throttling holds across workers.
    """

    __tablename__ = "activation_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    lookup: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token, stored only as its SHA-256; belongs to an account or a participant."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(
            "(account_id IS NULL) <> (participant_id IS NULL)", name="one_subject"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    participant_id: Mapped[str | None] = mapped_column(
        ForeignKey("participants.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Device tokens expire after DEVICE_TOKEN_IDLE_DAYS without use; refreshed at most
    # every few minutes (diary.services.principals), not written on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


EVENT_STATUSES = ("planned", "confirmed", "cancelled")
EVENT_ACTIONS = ("record", "plan", "confirm", "reschedule", "cancel", "correct")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class AnchorEvent(Base):
    """An event that starts follow-up clocks: a surgery, an infusion, a dose.

    The row is the event's identity (its id is part of every window id, so it never
    changes) and a copy of its current version's values, so the schedule's many readers
    need no join. Every version, the first included, is kept in ``anchor_event_versions``;
    only the copied values and ``version`` change here, in step with a new version row.
    ``occurred_at`` is the actual instant (confirmed), the planned one (planned with a
    time), or the local midnight of the planned date (``date_only``) in the participant's
    zone; ``recorded_at`` and ``recorded_by`` are those of the first version.
    """

    __tablename__ = "anchor_events"
    __table_args__ = (
        CheckConstraint(_one_of("status", EVENT_STATUSES), name="status"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    type: Mapped[str] = mapped_column(String(64))
    period: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    date_only: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)


class AnchorEventVersion(Base):
    """One version of an anchor event: what a coordinator recorded, planned, confirmed,
    rescheduled, cancelled or corrected, with the reason. Rows are only ever added."""

    __tablename__ = "anchor_event_versions"
    __table_args__ = (
        UniqueConstraint("event_id", "version"),
        CheckConstraint(_one_of("status", EVENT_STATUSES), name="status"),
        CheckConstraint(_one_of("action", EVENT_ACTIONS), name="action"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(ForeignKey("anchor_events.id"))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    period: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    date_only: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class DiaryEntry(Base):
    """One version of a day's pain score. Corrections add versions; none is overwritten.

    Only ``is_current`` ever changes on an existing row (to false, once, when a newer
    version supersedes it); the partial unique index allows one current entry per day.
    """

    __tablename__ = "diary_entries"
    __table_args__ = (
        UniqueConstraint("participant_id", "client_id"),
        UniqueConstraint("participant_id", "diary_date", "version"),
        CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),
        CheckConstraint("version >= 1", name="version_positive"),
        _entry_source_check(),
        Index(
            "uq_diary_entries_current_day",
            "participant_id",
            "diary_date",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        # Covers the endpoint export's read of every current score of a study
        # (diary.exports.entries): answered from the index alone, in participant order.
        Index(
            "ix_diary_entries_current_scores",
            "participant_id",
            "diary_date",
            "score",
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        Index("ix_diary_entries_staff_entered", "participant_id",
              sqlite_where=text(STAFF_ENTERED), postgresql_where=text(STAFF_ENTERED)),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"))
    diary_date: Mapped[date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)
    client_id: Mapped[str] = mapped_column(String(64))
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    supersedes_id: Mapped[str | None] = mapped_column(ForeignKey("diary_entries.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    entry_source: Mapped[str] = _entry_source()  # ENTRY_SOURCES


class QuestionnaireResponse(Base):
    """One version of a questionnaire response: raw answers, scores, and the window it fulfils.

    Answers are never changed; a correction is a new version (``supersedes_id``) with a
    reason. Scores are derived: a rescoring replaces them and records old and new values
    in the audit trail.
    """

    __tablename__ = "questionnaire_responses"
    __table_args__ = (
        UniqueConstraint("participant_id", "client_id"),
        CheckConstraint("timing IN ('in_window', 'out_of_window', 'unscheduled')",
                        name="timing"),
        _entry_source_check(),
        Index(
            "uq_questionnaire_responses_current_window",
            "participant_id",
            "window_id",
            unique=True,
            sqlite_where=text("is_current AND window_id IS NOT NULL"),
            postgresql_where=text("is_current AND window_id IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    instrument: Mapped[str] = mapped_column(String(32))
    instrument_version: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict] = mapped_column(JSON)
    scores: Mapped[dict] = mapped_column(JSON)
    client_id: Mapped[str] = mapped_column(String(64))
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    window_id: Mapped[str | None] = mapped_column(String(32))
    assessment: Mapped[str | None] = mapped_column(String(64))
    timing: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    supersedes_id: Mapped[str | None] = mapped_column(
        ForeignKey("questionnaire_responses.id", name="fk_questionnaire_responses_supersedes"))
    reason: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    source: Mapped[Any] = mapped_column(JSON, nullable=True)  # the FHIR resource, if sent so
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    # Named apart from ``source`` (the FHIR resource): who gave the answers, ENTRY_SOURCES.
    entry_source: Mapped[str] = _entry_source()
    # Issue 18: an in-progress FHIR response kept because the protocol says so, and the
    # problems that did not refuse a response (a form tool's total that differs from ours).
    partial: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    warnings: Mapped[Any] = mapped_column(JSON, nullable=True)


class Screening(Base):
    """An eligibility screening before enrolment: the response, its scores and the verdict."""

    __tablename__ = "screenings"
    __table_args__ = (UniqueConstraint("study_id", "screening_number", "instrument"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    screening_number: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(32))
    instrument: Mapped[str] = mapped_column(String(32))
    instrument_version: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict] = mapped_column(JSON)
    scores: Mapped[dict] = mapped_column(JSON)
    eligible: Mapped[bool] = mapped_column(Boolean)
    verdicts: Mapped[list] = mapped_column(JSON)  # each rule with its value and outcome
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    participant_id: Mapped[str | None] = mapped_column(ForeignKey("participants.id"))


# The messaging tables live in their own module; importing it here registers them on
# Base.metadata wherever the models are loaded (migrations, tests, the app).
from diary.db import allocation_models as _allocation_models  # noqa: E402,F401
from diary.db import audit_models as _audit_models  # noqa: E402,F401
from diary.db import auth_models as _auth_models  # noqa: E402,F401
from diary.db import export_job_models as _export_job_models  # noqa: E402,F401
from diary.db import messaging as _messaging  # noqa: E402,F401
from diary.db import safety_models as _safety_models  # noqa: E402,F401
