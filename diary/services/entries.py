"""Daily pain entries: idempotent submission, corrections as new versions, listing.

Participants enter their own days; coordinators transcribe days for them (a paper diary,
a call) with a source and a reason. Both go through :func:`record_diary_entry`; staff
entries differ in three rules (issue 13): no late-entry deadline (a source record does not
depend on recall, as for medications in issue 6), a reason always, and a correction names
the entry it ``corrects`` (a reason alone cannot tell a correction from a first entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import DiaryEntry, Participant, ProtocolVersion, Study, new_id
from diary.errors import Conflict, NotFound, RuleViolation
from diary.protocol.model import Protocol
from diary.services.paging import page_of
from diary.services.studies import protocol_by_sha
from diary.timezones import local_date, local_wall_time, zone


@dataclass(frozen=True)
class NewEntry:
    diary_date: date
    score: int
    client_id: str
    device_time: datetime | None
    reason: str | None = None
    channel: str = "app"
    source: str = "participant"  # or a staff source: clinician, paper, phone
    corrects: str | None = None  # staff corrections name the entry they replace

    @property
    def by_staff(self) -> bool:
        return self.source != "participant"

    @property
    def is_correction(self) -> bool:
        """A participant corrects a day by giving a reason; staff always give one, so
        theirs is a correction only when it names what it ``corrects``."""
        if self.by_staff:
            return self.corrects is not None
        return bool(self.reason and self.reason.strip())


@dataclass(frozen=True)
class Recorded:
    entry: DiaryEntry
    created: bool  # False when a retry returned the original


# A Core statement on the session's connection: read on every SMS and many requests.
_PV, _ST = ProtocolVersion.__table__, Study.__table__
_CURRENT_SHA = (select(_PV.c.sha256).join(_ST, _ST.c.id == _PV.c.study_id)
                .where(_ST.c.id == bindparam("study"), _PV.c.version == _ST.c.current_version))


def protocol_for(session: Session, p: Participant, sha256: str | None = None) -> Protocol:
    """The study's current protocol (``sha256``, when the caller already knows it)."""
    if sha256 is None:
        sha256 = session.connection().scalar(_CURRENT_SHA, {"study": p.study_id})
    return protocol_by_sha(session, sha256)


def late_entry_deadline(protocol: Protocol, day: date, tz_name: str) -> datetime:
    """The UTC instant after which an entry for local date ``day`` is refused."""
    late = protocol.daily_diary.late_entry
    return local_wall_time(day + timedelta(late.days_after), late.until, zone(tz_name))


def check_entry_rules(protocol: Protocol, p: Participant, e: NewEntry, now: datetime) -> None:
    """The diary's rules for an entry, each failing with the field it concerns."""
    if e.by_staff and not (e.reason and e.reason.strip()):
        raise RuleViolation("entering data for a participant needs a reason", field="reason")
    if protocol.daily_diary is None:
        raise RuleViolation("this study has no daily diary", field="diary_date")
    tz = zone(p.timezone)
    today = local_date(now, tz)
    if e.diary_date > today:
        raise RuleViolation(f"is in the future (today is {today} in {p.timezone})",
                            field="diary_date")
    if e.diary_date < local_date(p.enrolled_at, tz):
        raise RuleViolation("is before enrolment", field="diary_date")
    if p.withdrawn_at is not None and e.diary_date > local_date(p.withdrawn_at, tz):
        raise RuleViolation("is after the participant's withdrawal", field="diary_date")
    if e.by_staff:
        return  # transcribed from a source record: no late-entry deadline
    deadline = late_entry_deadline(protocol, e.diary_date, p.timezone)
    if now >= deadline:
        local = deadline.astimezone(tz)
        raise RuleViolation(f"is too late: entries for {e.diary_date} closed at "
                            f"{local:%Y-%m-%d %H:%M} {p.timezone}", field="diary_date",
                            code="late_entry")


def _same_payload(entry: DiaryEntry, e: NewEntry) -> bool:
    return (entry.diary_date, entry.score, entry.entry_source) == (e.diary_date, e.score,
                                                                    e.source)


def _replay(session: Session, p: Participant, e: NewEntry) -> Recorded | None:
    entry = session.scalar(select(DiaryEntry).where(DiaryEntry.participant_id == p.id,
                                                    DiaryEntry.client_id == e.client_id))
    if entry is None:
        return None
    if not _same_payload(entry, e):
        raise Conflict("this client_id was already used for a different entry",
                       field="client_id", code="client_id_reused")
    return Recorded(entry, created=False)


def record_diary_entry(session: Session, p: Participant, protocol: Protocol, e: NewEntry, *,
                       actor: audit.Actor, now: datetime,
                       recorded_by: int | None = None) -> Recorded:
    """Store a day's score, or return the original when ``client_id`` was seen before.

    A second entry for a day that already has one is a correction: it needs a reason,
    becomes version n+1, and the earlier version stays, marked superseded.

    The common case, a day's first entry, is tried as a plain insert: the unique indexes
    (client id; one current entry per day) turn a retry or a second entry into an
    integrity error, and only then do we look at what is already stored.
    """
    try:
        check_entry_rules(protocol, p, e, now)
    except RuleViolation:
        # A retry of an accepted entry is answered even after the day has closed.
        replay = _replay(session, p, e)
        if replay is not None:
            return replay
        raise
    if not e.is_correction:
        entry = _new_version(p, e, now, recorded_by, None)
        try:
            _store(session, p, entry, None, actor, now)
            return Recorded(entry, created=True)
        except IntegrityError:
            session.rollback()
    return _record_against_stored(session, p, e, actor=actor, now=now, recorded_by=recorded_by)


def _record_against_stored(session: Session, p: Participant, e: NewEntry, *,
                           actor: audit.Actor, now: datetime,
                           recorded_by: int | None) -> Recorded:
    replay = _replay(session, p, e)
    if replay is not None:
        return replay
    current = session.scalar(
        select(DiaryEntry).where(DiaryEntry.participant_id == p.id,
                                 DiaryEntry.diary_date == e.diary_date,
                                 DiaryEntry.is_current.is_(True)).with_for_update())
    if current is not None and not e.is_correction:
        # The "current" entry may be this very submission, committed by a concurrent retry
        # since the check above.
        replay = _replay(session, p, e)
        if replay is not None:
            return replay
        if e.by_staff:
            raise Conflict(f"{e.diary_date} already has an entry (score {current.score}, "
                           f"id {current.id}); to correct it, send corrects with that id",
                           field="corrects", code="correction_needs_corrects")
        raise Conflict(f"{e.diary_date} already has an entry (score {current.score}); "
                       "to correct it, send the new score with a reason",
                       field="reason", code="correction_needs_reason")
    if e.by_staff and e.corrects is not None:
        _check_corrects(session, p, e, current)
    entry = _new_version(p, e, now, recorded_by, current)
    try:
        if current is not None:
            current.is_current = False
            session.flush()
        _store(session, p, entry, current, actor, now)
    except IntegrityError:
        # A concurrent request won: either a retry of this very submission, or another
        # entry for the same day. Return the first; the second needs a fresh decision.
        session.rollback()
        replay = _replay(session, p, e)
        if replay is not None:
            return replay
        raise Conflict(f"{e.diary_date} was changed by another request; reload and retry",
                       field="diary_date", code="concurrent_change") from None
    return Recorded(entry, created=True)


def _check_corrects(session: Session, p: Participant, e: NewEntry,
                    current: DiaryEntry | None) -> None:
    """A staff correction must name the day's current entry."""
    if current is not None and current.id == e.corrects:
        return
    named = session.scalar(select(DiaryEntry).where(DiaryEntry.participant_id == p.id,
                                                    DiaryEntry.id == e.corrects))
    if named is None:
        raise NotFound("no such entry of this participant", field="corrects")
    if named.diary_date != e.diary_date:
        raise RuleViolation(f"corrects an entry of {named.diary_date}, not {e.diary_date}",
                            field="corrects")
    raise Conflict("that version was already corrected; correct the current one",
                   field="corrects", code="superseded")


def _new_version(p: Participant, e: NewEntry, now: datetime, recorded_by: int | None,
                 current: DiaryEntry | None) -> DiaryEntry:
    return DiaryEntry(
        id=new_id(), participant_id=p.id, diary_date=e.diary_date, score=e.score,
        client_id=e.client_id, device_time=e.device_time, received_at=now,
        channel=e.channel, version=current.version + 1 if current else 1, is_current=True,
        supersedes_id=current.id if current else None,
        reason=e.reason.strip() if e.reason else None, recorded_by=recorded_by,
        entry_source=e.source,
    )


def _store(session: Session, p: Participant, entry: DiaryEntry, current: DiaryEntry | None,
           actor: audit.Actor, now: datetime) -> None:
    """Insert the entry and its audit record, and commit (a Core insert: no unit of work)."""
    session.connection().execute(_INSERT_ENTRY, {c: getattr(entry, c) for c in _ENTRY_COLUMNS})
    staff = "staff_" if entry.entry_source != "participant" else ""
    audit.append(session, chain=audit.participant_chain(p.id), actor=actor,
                 action=f"diary_entry.{staff}correct" if current
                 else f"diary_entry.{staff}create",
                 entity="diary_entry", entity_id=entry.id, at=now,
                 before=audit_view(current) if current else None,
                 after=audit_view(entry), reason=entry.reason)
    session.commit()


_ENTRY_COLUMNS = [c.key for c in DiaryEntry.__table__.columns]
_INSERT_ENTRY = insert(DiaryEntry.__table__)


def audit_view(entry: DiaryEntry) -> dict:
    return {"id": entry.id, "diary_date": entry.diary_date, "score": entry.score,
            "version": entry.version, "client_id": entry.client_id, "channel": entry.channel,
            "device_time": entry.device_time, "entry_source": entry.entry_source,
            "recorded_by": entry.recorded_by}


def list_entries(session: Session, participant_id: str, *, page: int, page_size: int,
                 include_superseded: bool = True) -> tuple[list[DiaryEntry], int]:
    stmt = select(DiaryEntry).where(DiaryEntry.participant_id == participant_id)
    if not include_superseded:
        stmt = stmt.where(DiaryEntry.is_current.is_(True))
    return page_of(session, stmt, DiaryEntry.diary_date.desc(), DiaryEntry.version.desc(),
                   page=page, page_size=page_size)
