"""What coordinators see of reminders: each message's life, and whether its task got done.

"Done" is read from the record rather than stored: the first entry for the diary day, or
the first response in the window, received after the message went out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Date, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from diary import audit
from diary.db.messaging import OutboxMessage
from diary.db.models import DiaryEntry, Participant, QuestionnaireResponse, Study
from diary.errors import Conflict, NotFound
from diary.services.paging import page_of
from diary.services.principals import Principal

DIARY_KINDS = ("diary", "diary_nudge")
WINDOW_KINDS = ("window_open", "window_closing")


@dataclass(frozen=True)
class ReminderFilter:
    subject_id: str | None = None
    site: str | None = None
    kind: str | None = None
    state: str | None = None
    channel: str | None = None
    open_only: bool = False  # alerts not yet acknowledged
    due_since: datetime | None = None


class as_date(FunctionElement):  # noqa: N801 (an SQL expression, named like one)
    """A target ('YYYY-MM-DD' text) as a DATE to compare with a diary date, so that the
    (participant, date) index finds the entries: SQLite stores a DATE as that very text
    (its CAST(... AS DATE) would yield a number); PostgreSQL casts. Casting the diary date
    to text instead scanned every entry of the participant per reminder (issue 15)."""

    type = Date()
    inherit_cache = True
    name = "as_date"


@compiles(as_date, "sqlite")
def _as_date_sqlite(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(as_date)
def _as_date_cast(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


def _done_at():
    """The first time the reminded task was done (any version), or NULL."""
    diary = (select(func.min(DiaryEntry.received_at))
             .where(DiaryEntry.participant_id == OutboxMessage.participant_id,
                    DiaryEntry.diary_date == as_date(OutboxMessage.target))
             .scalar_subquery())
    window = (select(func.min(QuestionnaireResponse.received_at))
              .where(QuestionnaireResponse.participant_id == OutboxMessage.participant_id,
                     QuestionnaireResponse.window_id == OutboxMessage.target)
              .scalar_subquery())
    return case((OutboxMessage.kind.in_(DIARY_KINDS), diary),
                (OutboxMessage.kind.in_(WINDOW_KINDS), window), else_=None)


def _selected(who: Principal, study: Study, f: ReminderFilter, *columns):
    """``columns`` of the study's messages the caller's sites allow and ``f`` selects."""
    stmt = (select(*columns)
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
    if f.open_only:
        stmt = stmt.where(OutboxMessage.acknowledged_at.is_(None))
    if f.due_since is not None:
        stmt = stmt.where(OutboxMessage.due_at >= f.due_since)
    return stmt


def list_reminders(session: Session, who: Principal, study: Study, f: ReminderFilter, *,
                   page: int, page_size: int) -> tuple[list[dict], int]:
    done_at = _done_at().label("task_done_at")
    stmt = _selected(who, study, f, OutboxMessage, Participant.subject_id, Participant.site,
                     done_at)
    rows, total = page_of(session, stmt, OutboxMessage.due_at.desc(), OutboxMessage.id,
                          page=page, page_size=page_size, scalars=False)
    return [view(m, subject, site, done) for m, subject, site, done in rows], total


def _aware(done_at: datetime | str | None) -> datetime | None:
    if isinstance(done_at, str):  # SQLite returns an aggregate of a typed column as text
        done_at = datetime.fromisoformat(done_at)
    if done_at is not None and done_at.tzinfo is None:
        done_at = done_at.replace(tzinfo=UTC)
    return done_at


def minutes_to_done(sent_at: datetime | None, done_at: datetime | str | None) -> int | None:
    """Minutes from sending to the task being done; None if not done after sending."""
    done_at = _aware(done_at)
    if done_at is None or sent_at is None or done_at < sent_at:
        return None
    return round((done_at - sent_at).total_seconds() / 60)


def view(m: OutboxMessage, subject: str, site: str, done_at: datetime | None) -> dict:
    done_at = _aware(done_at)
    after = minutes_to_done(m.sent_at, done_at)
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


@dataclass(frozen=True)
class ReminderOutcomes:
    """What became of the reminders ``f`` selects: how many are in each state, how many
    of the sent ones were followed by the task they asked for, and how soon (minutes)."""

    by_state: dict[str, int]
    failed_by_reason: dict[str, int]
    sent: int
    answered: int
    median_minutes_to_answer: int | None


def reminder_outcomes(session: Session, who: Principal, study: Study,
                      f: ReminderFilter) -> ReminderOutcomes:
    done_at = _done_at().label("task_done_at")
    rows = session.execute(_selected(
        who, study, f, OutboxMessage.state, OutboxMessage.sent_at, OutboxMessage.last_error,
        OutboxMessage.last_error_code, done_at)).all()
    by_state: dict[str, int] = {}
    reasons: dict[str, int] = {}
    minutes: list[int] = []
    sent = 0
    for state, sent_at, error, code, done in rows:
        by_state[state] = by_state.get(state, 0) + 1
        if state == "failed":
            reason = f"{code}: {error}" if code else (error or "unknown")
            reasons[reason] = reasons.get(reason, 0) + 1
        if sent_at is None:
            continue
        sent += 1
        after = minutes_to_done(sent_at, done)
        if after is not None:
            minutes.append(after)
    minutes.sort()
    median = None
    if minutes:
        mid = len(minutes) // 2
        median = minutes[mid] if len(minutes) % 2 else round((minutes[mid - 1] + minutes[mid]) / 2)
    return ReminderOutcomes(by_state, reasons, sent, len(minutes), median)


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
