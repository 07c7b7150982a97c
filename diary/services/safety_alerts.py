"""Coordinator alerts for severe or serious reports, inserted into the outbox once.

The alert row goes into the same transaction as the report, so a report is never
stored without its alert. Its ``key`` is a hash of the record series and the reasons:
a retried submission (same client id) or a correction that keeps the same severe
symptoms does not alert again; a correction that adds a reason (a symptom becomes
severe, an event becomes serious) does. The scheduler's dispatcher delivers ``alert``
rows by marking them delivered; coordinators read them at /studies/<key>/alerts.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from diary.db.models import Participant, new_id
from diary.services.outbox_rows import insert_once

KIND = "safety_alert"


def alert_key(series: str, reasons: list[str]) -> str:
    """SHA-256 over the series and its sorted reasons, fields separated unambiguously."""
    text = "\x1f".join([KIND, series, *sorted(reasons)])
    return hashlib.sha256(text.encode()).hexdigest()


def raise_alert(session: Session, p: Participant, *, series: str, target: str,
                reasons: list[str], what: str, now: datetime) -> bool:
    """Insert the alert unless its key exists; True when it is new. No commit."""
    if not reasons:
        return False
    body = f"{p.subject_id}: {'; '.join(reasons)} ({what})."
    row = {"id": new_id(), "key": alert_key(series, reasons), "study_id": p.study_id,
           "participant_id": p.id, "channel": "alert", "audience": "coordinator",
           "kind": KIND, "target": target[:64], "reminder_attempt": 0, "body": body[:1000],
           "planned_at": now, "due_at": now, "expires_at": None, "state": "pending",
           "send_attempts": 0, "next_attempt_at": now, "outcome_unknown": False}
    return insert_once(session, [row]) == 1
