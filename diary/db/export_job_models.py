"""Background export jobs: what was asked, by whom, how far it got, where its files are."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from diary.db.models import Base, new_id
from diary.db.types import UTCDateTime

JOB_STATES = ("queued", "running", "done", "failed", "expired")


class ExportJob(Base):
    """One endpoint export run in the background (issue 15).

    The row is the job's only shared state: any process or page reads its progress here,
    and a job whose process stopped (no heartbeat) is marked failed by the next reader.
    ``masked`` and ``sites`` are the allocation view and sites the export was made with:
    only staff who would get that same view or a wider one may download it.
    """

    __tablename__ = "export_jobs"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed', 'expired')",
                        name="state"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress_fraction"),
        Index(None, "study_id", "requested_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    layout: Mapped[str | None] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(8))
    figure: Mapped[str | None] = mapped_column(String(16))
    masked: Mapped[bool] = mapped_column(Boolean)
    sites: Mapped[list[str] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    phase: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    # Which server process runs it, and when that process last said it still does.
    worker: Mapped[str | None] = mapped_column(String(64))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(500))
    # [{"part": "data", "name": "study_wide.csv", "size": 1234, "sha256": "..."}, ...]
    files: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    provenance: Mapped[dict[str, str] | None] = mapped_column(JSON)
    rows: Mapped[int | None] = mapped_column(Integer)
