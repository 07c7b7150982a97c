"""The medication diary: recording an analgesic intake (checked, converted to MME) and
listing intakes. Participants record through the app or SMS, coordinators for them.

Idempotent on ``client_id`` (a retry returns the original, even after the day closed);
a correction names the version it ``corrects`` with a reason and becomes version n+1.
MME is computed on receipt with the study's pinned conversion table and stored with the
table's version, so an export never re-derives it with other factors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import Participant, new_id
from diary.db.safety_models import MedicationIntake
from diary.errors import Conflict, RefusedInput, RuleViolation
from diary.medication import Intake, IntakeError, load_table, mme, normalise_intake
from diary.protocol.model import Protocol
from diary.services.event_diary import (
    add_version,
    check_day,
    version_fields,
    version_to_correct,
)
from diary.services.paging import page_of
from diary.timezones import local_date, zone

# Device clocks drift: an intake "taken" a few minutes ahead of the server is not refused.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class NewIntake:
    drug: str
    dose: object  # number or decimal text, checked by diary.medication
    unit: str
    route: str
    taken_at: datetime
    client_id: str
    rescue: bool = False
    worn_hours: int | None = None
    corrects: str | None = None
    reason: str | None = None
    channel: str = "app"


@dataclass(frozen=True)
class RecordedIntake:
    intake: MedicationIntake
    created: bool  # False when a retry returned the original


def check_intake(protocol: Protocol, n: NewIntake) -> Intake:
    """The intake in canonical form, or a 422 naming the field, the rule and suggestions."""
    try:
        return normalise_intake(n.drug, n.dose, n.unit, n.route, worn_hours=n.worn_hours,
                                table=load_table(protocol.medication_table))
    except IntakeError as exc:
        errors: dict = {exc.field: [exc.rule]}
        if exc.suggestions:
            errors["suggestions"] = list(exc.suggestions)
        raise RefusedInput(exc.rule, field=exc.field, errors=errors,
                           code="unknown_drug" if exc.suggestions or exc.field == "drug"
                           else None) from None


def _same(row: MedicationIntake, i: Intake, n: NewIntake) -> bool:
    return (row.drug, Decimal(row.dose), row.unit, row.route, row.taken_at, row.rescue,
            row.worn_hours, row.supersedes_id) == (i.drug, i.dose, i.unit, i.route,
                                                   n.taken_at, n.rescue, i.worn_hours,
                                                   n.corrects)


def _replay(session: Session, protocol: Protocol, p: Participant,
            n: NewIntake) -> RecordedIntake | None:
    row = session.scalar(select(MedicationIntake).where(
        MedicationIntake.participant_id == p.id, MedicationIntake.client_id == n.client_id))
    if row is None:
        return None
    try:
        same = _same(row, check_intake(protocol, n), n)
    except RuleViolation:
        same = False
    if not same:
        raise Conflict("this client_id was already used for a different intake",
                       field="client_id", code="client_id_reused")
    return RecordedIntake(row, created=False)


def checked_intake(protocol: Protocol, p: Participant, n: NewIntake, now: datetime, *,
                   late_rule: bool = True) -> tuple[Intake, date]:
    """The intake in canonical form and the diary day it counts on, or the refusal."""
    intake = check_intake(protocol, n)
    if n.taken_at > now + CLOCK_SKEW:
        raise RuleViolation("is in the future", field="taken_at")
    day = local_date(n.taken_at, zone(p.timezone))
    check_day(protocol, p, day, now, field="taken_at", late_rule=late_rule)
    return intake, day


def intake_row(p: Participant, n: NewIntake, intake: Intake, day: date, previous, *,
               now: datetime, recorded_by: int | None) -> MedicationIntake:
    """The row to store for a checked intake (``previous``: the version it corrects)."""
    result = mme(intake, load_table(intake.table))
    row_id = new_id()
    return MedicationIntake(
        participant_id=p.id, client_id=n.client_id,
        is_current=True, channel=n.channel, recorded_by=recorded_by, drug=intake.drug,
        dose=f"{intake.dose:f}", unit=intake.unit, route=intake.route, taken_at=n.taken_at,
        taken_date=day, rescue=n.rescue, worn_hours=intake.worn_hours,
        mme_table=intake.table, mme=None if result.value is None else f"{result.value:f}",
        mme_reason=result.reason,
        mme_daily=None if result.daily is None else f"{result.daily:f}",
        **version_fields(previous, row_id, now, n.reason))


def record_intake(session: Session, p: Participant, protocol: Protocol, n: NewIntake, *,
                  actor: audit.Actor, now: datetime, recorded_by: int | None = None,
                  late_rule: bool = True) -> RecordedIntake:
    """Check, convert and store one intake (or a correction); audited; commits."""
    replay = _replay(session, protocol, p, n)
    if replay is not None:
        return replay
    intake, day = checked_intake(protocol, p, n, now, late_rule=late_rule)
    previous = version_to_correct(session, MedicationIntake, p.id, n.corrects, n.reason)
    row = intake_row(p, n, intake, day, previous, now=now, recorded_by=recorded_by)
    try:
        add_version(session, row, previous, participant_id=p.id, actor=actor,
                    entity="medication_intake", created="medication.create",
                    corrected="medication.correct", view=audit_view, now=now)
        session.commit()
    except IntegrityError:
        # A concurrent request won: a retry of this very submission, or another
        # correction of the same intake.
        session.rollback()
        replay = _replay(session, protocol, p, n)
        if replay is not None:
            return replay
        raise Conflict("the intake was changed by another request; reload and retry",
                       field="corrects", code="concurrent_change") from None
    return RecordedIntake(row, created=True)


def audit_view(row: MedicationIntake) -> dict:
    return {"id": row.id, "series_id": row.series_id, "version": row.version,
            "drug": row.drug, "dose": row.dose, "unit": row.unit, "route": row.route,
            "taken_at": row.taken_at, "rescue": row.rescue, "worn_hours": row.worn_hours,
            "mme": row.mme, "mme_daily": row.mme_daily, "mme_table": row.mme_table,
            "client_id": row.client_id,
            "channel": row.channel}


def list_intakes(session: Session, participant_id: str, *, page: int, page_size: int,
                 include_superseded: bool = True) -> tuple[list[MedicationIntake], int]:
    stmt = select(MedicationIntake).where(MedicationIntake.participant_id == participant_id)
    if not include_superseded:
        stmt = stmt.where(MedicationIntake.is_current.is_(True))
    return page_of(session, stmt, MedicationIntake.taken_at.desc(),
                   MedicationIntake.version.desc(), page=page, page_size=page_size)


def catalogue(protocol: Protocol) -> dict:
    """The study's coded drug list: routes, units, the largest single dose, MME factor."""
    table = load_table(protocol.medication_table)
    drugs = [{"code": d.code, "names": list(d.names), "class": d.drug_class,
              "routes": [{"route": r.route, "units": list(r.units),
                          "max_dose": f"{r.max_dose:f}",
                          "mme_factor": None if r.mme_factor is None else f"{r.mme_factor:f}",
                          "no_mme": r.no_mme, "default_wear_hours": r.default_wear_hours}
                         for r in d.routes.values()]}
             for d in table.drugs]
    return {"table": table.id, "title": table.title, "citation": table.citation,
            "url": table.url, "drugs": drugs}
