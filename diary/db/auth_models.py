"""Failed sign-in and activation attempts, counted in the database so that every worker
sees the same counts (PITFALLS: flask-limiter's memory store counts per worker)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from diary.db.models import Base
from diary.db.types import UTCDateTime


class AuthThrottle(Base):
    """One counter per key: a client address, an account (by its email's hash, so an
    unknown email is counted like a known one), or an activation code's lookup.

    ``blocked_until`` grows with each failure past the free ones (diary.services.throttle);
    attempts refused while blocked are not counted, so they cannot extend the block.
    """

    __tablename__ = "auth_throttle"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
