"""Rules shared by the medication and side-effect diaries: which local dates are open,
and how a correction becomes a new version of a record (these, the questionnaires too).

A participant's report follows the pain diary's rules (diary/services/entries.py): not
in the future, not before enrolment, not after withdrawal, and not after the late-entry
deadline (the protocol's ``daily_diary.late_entry``; a study without a daily diary uses
the default, the next day at 12:00). A coordinator transcribing a chart or a call is
not held to the deadline: the deadline protects recall, which a source record does not
need (decision, issue 6).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import Participant
from diary.errors import Conflict, NotFound, RuleViolation
from diary.protocol.model import Protocol
from diary.services.entries import late_entry_deadline
from diary.timezones import local_date, local_wall_time, zone

DEFAULT_LATE = (1, time(12, 0))


def deadline(protocol: Protocol, day: date, tz_name: str) -> datetime:
    """The UTC instant after which a participant's report for ``day`` is refused."""
    if protocol.daily_diary is not None:
        return late_entry_deadline(protocol, day, tz_name)
    days_after, until = DEFAULT_LATE
    return local_wall_time(day + timedelta(days_after), until, zone(tz_name))


def check_day(protocol: Protocol, p: Participant, day: date, now: datetime, *, field: str,
              late_rule: bool = True) -> None:
    """Refuse a report for local date ``day``, naming ``field``, when the diary is closed."""
    tz = zone(p.timezone)
    today = local_date(now, tz)
    if day > today:
        raise RuleViolation(f"is in the future (today is {today} in {p.timezone})",
                            field=field)
    if day < local_date(p.enrolled_at, tz):
        raise RuleViolation("is before enrolment", field=field)
    if p.withdrawn_at is not None and day > local_date(p.withdrawn_at, tz):
        raise RuleViolation("is after the participant's withdrawal", field=field)
    if late_rule:
        closes = deadline(protocol, day, p.timezone)
        if now >= closes:
            raise RuleViolation(f"is too late: reports for {day} closed at "
                                f"{closes.astimezone(tz):%Y-%m-%d %H:%M} {p.timezone}",
                                field=field, code="late_entry")


def version_to_correct(session: Session, model, participant_id: str, corrects: str | None,
                       reason: str | None):
    """The current version a correction replaces (locked), or None for a new record.

    A correction names the version it ``corrects`` and gives a reason; it must be the
    current version (correcting an old one would fork the history).
    """
    if corrects is None:
        return None
    if not (reason and reason.strip()):
        raise RuleViolation("a correction needs a reason", field="reason",
                            code="correction_needs_reason")
    row = session.scalar(select(model).where(model.id == corrects,
                                             model.participant_id == participant_id)
                         .with_for_update())
    if row is None:
        raise NotFound("no such record of this participant", field="corrects")
    if not row.is_current:
        raise Conflict("that version was already corrected; correct the current one",
                       field="corrects", code="superseded")
    return row


def version_fields(previous, row_id: str, now: datetime, reason: str | None) -> dict:
    """id, series_id, version, supersedes_id and reason of a new row (first or correction)."""
    if previous is None:
        return {"id": row_id, "series_id": row_id, "version": 1, "supersedes_id": None,
                "reason": None, "received_at": now}
    return {"id": row_id, "series_id": previous.series_id, "version": previous.version + 1,
            "supersedes_id": previous.id, "reason": reason.strip(), "received_at": now}


def add_version(session: Session, row, previous, *, participant_id: str, actor: str,
                entity: str, created: str, corrected: str, view, now: datetime) -> None:
    """Store ``row`` as the current version and audit it: ``previous`` (the version it
    corrects, or None) is retired first, since one current row per record is unique.
    ``view`` gives a row's audited fields; ``created``/``corrected`` name the action."""
    if previous is not None:
        previous.is_current = False
        session.flush()
    session.add(row)
    session.flush()
    audit.append(session, chain=audit.participant_chain(participant_id), actor=actor,
                 action=corrected if previous is not None else created, entity=entity,
                 entity_id=row.id, at=now, before=view(previous) if previous else None,
                 after=view(row), reason=row.reason)
