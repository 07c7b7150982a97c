"""What coordinators see of reminders: each message's life, and whether its task got done.

"Done" is read from the record rather than stored: the first entry for the diary day, or
the first response in the window, received after the message went out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import Session

from diary import audit
from diary.db.messaging import OutboxMessage
from diary.db.models import DiaryEntry, Participant, QuestionnaireResponse, Study
from diary.errors import Conflict, NotFound
from diary.services.paging import page_of
from diary.services.principals import Principal
from scoring.precision import round_half_away

DIARY_KINDS = ("diary", "diary_nudge")
WINDOW_KINDS = ("window_open", "window_closing")


@dataclass(frozen=True)
class ReminderFilter:
    subject_id: str | None = None
    site: str | None = None
    kind: str | None = None
    state: str | None = None
    channel: str | None = None


def _done_at():
    """The first time the reminded task was done (any version), or NULL."""
    diary = (select(func.min(DiaryEntry.received_at))
             .where(DiaryEntry.participant_id == OutboxMessage.participant_id,
                    # the date as ISO text: SQLite's CAST(... AS DATE) yields a number
                    cast(DiaryEntry.diary_date, String) == OutboxMessage.target)
             .scalar_subquery())
    window = (select(func.min(QuestionnaireResponse.received_at))
              .where(QuestionnaireResponse.participant_id == OutboxMessage.participant_id,
                     QuestionnaireResponse.window_id == OutboxMessage.target)
              .scalar_subquery())
    return case((OutboxMessage.kind.in_(DIARY_KINDS), diary),
                (OutboxMessage.kind.in_(WINDOW_KINDS), window), else_=None)


def list_reminders(session: Session, who: Principal, study: Study, f: ReminderFilter, *,
                   page: int, page_size: int) -> tuple[list[dict], int]:
    done_at = _done_at().label("task_done_at")
    stmt = (select(OutboxMessage, Participant.subject_id, Participant.site, done_at)
            .join(Participant, Participant.id == OutboxMessage.participant_id)
            .where(OutboxMessage.study_id == study.id))
    sites = who.sites(study.id)
    if sites is not None:
        stmt = stmt.where(Participant.site.in_(sites))
    for column, value in ((Participant.subject_id, f.subject_id), (Participant.site, f.site),
                          (OutboxMessage.kind, f.kind), (OutboxMessage.state, f.state),
                          (OutboxMessage.channel, f.channel)):
        if value is not None:
            stmt = stmt.where(column == value)
    rows, total = page_of(session, stmt, OutboxMessage.due_at.desc(), OutboxMessage.id,
                          page=page, page_size=page_size, scalars=False)
    return [view(m, subject, site, done) for m, subject, site, done in rows], total


def view(m: OutboxMessage, subject: str, site: str, done_at: datetime | None) -> dict:
    if isinstance(done_at, str):  # SQLite returns an aggregate of a typed column as text
        done_at = datetime.fromisoformat(done_at)
    if done_at is not None and done_at.tzinfo is None:
        done_at = done_at.replace(tzinfo=UTC)
    after = None
    if done_at is not None and m.sent_at is not None and done_at >= m.sent_at:
        # Whole minutes by the exports' one rounding rule (half away from zero).
        after = round_half_away((done_at - m.sent_at).total_seconds() / 60, 0)
    return {
        "id": m.id, "subject_id": subject, "site": site, "kind": m.kind,
        "channel": m.channel, "target": m.target, "state": m.state, "body": m.body,
        "planned_at": m.planned_at, "due_at": m.due_at, "expires_at": m.expires_at,
        "sent_at": m.sent_at, "delivered_at": m.delivered_at, "failed_at": m.failed_at,
        "cancelled_at": m.cancelled_at, "cancel_reason": m.cancel_reason,
        "attempts": m.send_attempts, "last_error": m.last_error,
        "last_error_code": m.last_error_code, "task_done_at": done_at,
        "done_after_sent": (m.sent_at is not None and done_at is not None
                            and done_at >= m.sent_at),
        "minutes_to_done": after, "acknowledged_at": m.acknowledged_at,
    }


def acknowledge_alert(session: Session, who: Principal, study: Study, alert_id: str, *,
                      now: datetime) -> dict:
    """A coordinator has seen an alert (a missed-days streak, a severe symptom)."""
    who.require(study.id, "write")
    row = session.execute(
        select(OutboxMessage, Participant.subject_id, Participant.site)
        .join(Participant, Participant.id == OutboxMessage.participant_id)
        .where(OutboxMessage.id == alert_id, OutboxMessage.study_id == study.id,
               OutboxMessage.channel == "alert")).first()
    if row is None or not who.can(study.id, "read", row.site):
        raise NotFound("no such alert in this study", field="alert_id")
    who.require(study.id, "write", row.site)
    m = row.OutboxMessage
    if m.acknowledged_at is not None:
        raise Conflict(f"acknowledged at {m.acknowledged_at:%Y-%m-%d %H:%M} UTC",
                       field="alert_id")
    m.acknowledged_at, m.acknowledged_by = now, who.account_id
    audit.append(session, chain=audit.study_chain(study.id), actor=who.actor,
                 action="alert.acknowledge", entity="outbox_message", entity_id=m.id, at=now,
                 after={"kind": m.kind, "subject_id": row.subject_id})
    session.commit()
    return view(m, row.subject_id, row.site, None)
