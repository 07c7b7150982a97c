"""Enrolment, activation codes, device activation and withdrawal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import ActivationCode, ApiToken, Participant, Study
from diary.errors import (
    Conflict,
    Forbidden,
    NotFound,
    RuleViolation,
    Unauthorized,
)
from diary.protocol.model import Protocol
from diary.security import (
    PhoneVault,
    activation_code,
    dummy_verify,
    new_code_lookup,
    new_code_secret,
    new_token,
    normalise_phone,
    split_activation_code,
    token_hash,
    verify_secret,
)
from diary.services import throttle
from diary.services.allocation import allocate
from diary.services.principals import Principal
from diary.services.reminder_times import check_reminder_time, default_time
from diary.services.replanning import replan_participant, stop_reminders
from diary.services.screening import check_screening
from diary.services.signatures import sign
from diary.services.studies import get_study
from diary.timezones import geographic_zone

LOOKUP_DRAWS = 20  # random lookups tried before giving up (see _insert_with_free_lookup)
SUBJECT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Enrolment:
    subject_id: str
    site: str
    arm: str | None = None
    sequence: str | None = None
    timezone: str | None = None
    phone: str | None = None
    reminder_time: str | None = None
    language: str | None = None
    screening_number: str | None = None
    screening_override: str | None = None  # the reason to enrol despite screening


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: datetime


def get_participant(session: Session, principal: Principal, study_key: str, subject_id: str,
                    need: str = "read") -> tuple[Study, Protocol, Participant]:
    study, protocol = get_study(session, principal, study_key)
    p = session.scalar(select(Participant).where(Participant.study_id == study.id,
                                                 Participant.subject_id == subject_id))
    if p is None or not principal.can(study.id, "read", p.site):
        raise NotFound(f"no participant {subject_id!r} in study {study_key!r}")
    principal.require(study.id, need, p.site)
    return study, protocol, p


def _check_enrolment(e: Enrolment, protocol: Protocol) -> None:
    if not SUBJECT_RE.fullmatch(e.subject_id):
        raise RuleViolation("letters, digits, '.', '_' or '-', at most 64", field="subject_id")
    if protocol.sites and e.site not in protocol.sites:
        raise RuleViolation(f"must be one of {', '.join(protocol.sites)}", field="site")
    _check_allocation(e, protocol)
    if e.timezone is not None:
        try:
            geographic_zone(e.timezone)
        except ValueError as exc:
            raise RuleViolation(str(exc), field="timezone") from None
    check_reminder_time(e.reminder_time, protocol)
    if e.language is not None and e.language not in protocol.languages:
        raise RuleViolation(f"must be one of {', '.join(protocol.languages)}",
                            field="language")


def _check_allocation(e: Enrolment, protocol: Protocol) -> None:
    """The arm or sequence the coordinator names; none when a concealed list decides."""
    if protocol.randomisation.from_list:
        for name in ("arm", "sequence"):
            if getattr(e, name):
                raise RuleViolation(
                    f"the study allocates the {name} from its concealed allocation list "
                    "at enrolment; leave it out", field=name)
        return
    if protocol.design == "parallel":
        if protocol.arm(e.arm or "") is None:
            raise RuleViolation("must be one of " + ", ".join(a.key for a in protocol.arms),
                                field="arm")
    elif e.arm:
        raise RuleViolation(f"a {protocol.design} study has no arms", field="arm")
    if protocol.design == "crossover":
        if protocol.sequence(e.sequence or "") is None:
            raise RuleViolation(
                "must be one of " + ", ".join(s.key for s in protocol.sequences),
                field="sequence")
    elif e.sequence:
        raise RuleViolation(f"a {protocol.design} study has no sequences", field="sequence")


def enrol(session: Session, principal: Principal, study_key: str, e: Enrolment, *,
          now: datetime, ph: PasswordHasher, vault: PhoneVault,
          code_ttl: timedelta) -> tuple[Participant, IssuedCode]:
    study, protocol = get_study(session, principal, study_key)
    principal.require(study.id, "write", e.site)
    _check_enrolment(e, protocol)
    screenings = check_screening(session, study, protocol, e.screening_number,
                                 e.screening_override, e.site)
    phone = None
    if e.phone:
        try:
            phone = normalise_phone(e.phone)
        except ValueError as exc:
            raise RuleViolation(str(exc), field="phone") from None
    p = Participant(
        study_id=study.id, subject_id=e.subject_id, site=e.site, arm=e.arm,
        sequence=e.sequence, timezone=e.timezone or protocol.timezone,
        language=e.language or protocol.languages[0],
        reminder_time=e.reminder_time or default_time(protocol),
        reminder_time_chosen=e.reminder_time is not None,
        phone_encrypted=vault.encrypt(phone) if phone else None,
        phone_index=vault.index(phone) if phone else None,
        enrolled_at=now, enrolled_by=principal.account_id,
        screening_override=e.screening_override.strip() if e.screening_override else None,
    )
    session.add(p)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"subject {e.subject_id!r} is already enrolled in {study_key!r}",
                       field="subject_id") from None
    if protocol.randomisation.from_list:
        try:
            allocate(session, principal, study, protocol, p, now)
        except Conflict:
            session.rollback()  # nothing of this enrolment is kept
            raise
    after = {"subject_id": p.subject_id, "site": p.site, "arm": p.arm,
             "sequence": p.sequence, "timezone": p.timezone, "language": p.language,
             "reminder_time": p.reminder_time, "phone": "set" if phone else None,
             "protocol_version": study.current_version,
             "screening_number": e.screening_number,
             "screening_override": p.screening_override is not None}
    for screening in screenings:
        screening.participant_id = p.id
    audit.append(session, chain=audit.participant_chain(p.id), actor=principal.actor,
                 action="participant.enrol", entity="participant", entity_id=p.id, at=now,
                 after=after, reason=p.screening_override)
    code = _issue_code(session, principal, p, now=now, ph=ph, ttl=code_ttl)
    replan_participant(session, p.id, now)
    session.commit()
    return p, code


def reissue_code(session: Session, principal: Principal, study_key: str, subject_id: str, *,
                 now: datetime, ph: PasswordHasher, code_ttl: timedelta) -> IssuedCode:
    """A fresh code (lost phone, expired code); earlier unused codes stop working."""
    _, _, p = get_participant(session, principal, study_key, subject_id, need="write")
    if p.withdrawn_at is not None:
        raise RuleViolation("the participant has withdrawn", field="subject_id")
    code = _issue_code(session, principal, p, now=now, ph=ph, ttl=code_ttl)
    session.commit()
    return code


def _issue_code(session, principal, p, *, now, ph, ttl) -> IssuedCode:
    session.execute(update(ActivationCode).where(
        ActivationCode.participant_id == p.id, ActivationCode.used_at.is_(None),
        ActivationCode.revoked_at.is_(None)).values(revoked_at=now))
    secret = new_code_secret()
    secret_hash = ph.hash(secret)  # once (argon2 is slow): only the lookup is redrawn
    row = _insert_with_free_lookup(session, lambda lookup: ActivationCode(
        participant_id=p.id, lookup=lookup, secret_hash=secret_hash, created_at=now,
        expires_at=now + ttl))
    audit.append(session, chain=audit.participant_chain(p.id), actor=principal.actor,
                 action="activation_code.issue", entity="activation_code", entity_id=row.id,
                 at=now, after={"expires_at": row.expires_at})
    return IssuedCode(activation_code(row.lookup, secret), row.expires_at)


def _insert_with_free_lookup(session: Session, make_row) -> ActivationCode:
    """Insert a code under a random lookup no other code has (the unique constraint
    decides, so concurrent issuers cannot both win), drawing again on a clash.

    Lookups are never reused, so a used code keeps answering "already used". With half
    of the 923,521 lookups taken, LOOKUP_DRAWS clashes in a row happen once in 2**20.
    """
    for _ in range(LOOKUP_DRAWS):
        row = make_row(new_code_lookup())
        try:
            with session.begin_nested():  # a clash rolls back this insert only
                session.add(row)
                session.flush()
        except IntegrityError:
            continue
        return row
    raise Conflict(f"no free activation code after {LOOKUP_DRAWS} draws; try again",
                   field="activation_code", code="activation_code_clash")


@dataclass(frozen=True)
class Activated:
    token: str
    study: str
    subject_id: str


def activate(session: Session, *, code: str, now: datetime, ph: PasswordHasher,
             request_id: str | None = None, client: str = "unknown") -> Activated:
    """Exchange a single-use activation code for a device token (earlier devices log out).

    Wrong tries are throttled per client and per code with a growing wait, whether the
    code exists or not; an unknown or revoked code costs the same argon2 verification as
    a known one, so neither the answer nor its timing tells which codes exist.
    """
    parts = split_activation_code(code)
    lookup, secret = parts if parts is not None else ("", code)
    keys = throttle.activation_keys(lookup, client)
    throttle.check(session, keys, now, "too many wrong activation codes", field="code")
    row = None
    if parts is not None:
        row = session.scalar(select(ActivationCode).where(ActivationCode.lookup == lookup)
                             .with_for_update())
    if row is None or row.revoked_at is not None:
        dummy_verify(ph, secret)
        ok = False
    else:
        ok = verify_secret(ph, row.secret_hash, secret)
    if not ok:
        throttle.record_failure(session, keys, now)
        session.commit()
        raise Unauthorized("unknown activation code", field="code")
    throttle.clear(session, keys[1:])
    if row.used_at is not None:
        raise Forbidden("this code was already used; ask your site for a new one",
                        field="code", code="code_used")
    if row.expires_at <= now:
        raise Forbidden("this code has expired; ask your site for a new one", field="code",
                        code="code_expired")
    p = session.get(Participant, row.participant_id)
    if p.withdrawn_at is not None:
        raise Forbidden("the participant has withdrawn from the study", field="code")
    row.used_at = now
    session.execute(update(ApiToken).where(ApiToken.participant_id == p.id,
                                           ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    token = new_token()
    session.add(ApiToken(token_hash=token_hash(token), participant_id=p.id, created_at=now))
    actor = audit.Actor(f"participant:{p.id}", None, request_id)
    audit.append(session, chain=audit.participant_chain(p.id), actor=actor,
                 action="participant.activate", entity="activation_code", entity_id=row.id,
                 at=now)
    study_key = session.get(Study, p.study_id).key
    session.commit()
    return Activated(token, study_key, p.subject_id)


def withdraw(session: Session, principal: Principal, study_key: str, subject_id: str, *,
             reason: str, now: datetime, signature: dict | None = None,
             ph: PasswordHasher | None = None) -> Participant:
    """Withdraw a participant; signed (``signature``) when the protocol asks for it."""
    _, protocol, p = get_participant(session, principal, study_key, subject_id, need="write")
    if p.withdrawn_at is not None:
        raise Conflict(f"withdrew on {p.withdrawn_at:%Y-%m-%d}", field="subject_id")
    if not reason.strip():
        raise RuleViolation("a withdrawal needs a reason", field="reason")
    signed = sign(session, principal, protocol, "withdrawal", signature, ph=ph, now=now)
    # The device keeps its token: entries for days up to the withdrawal may still arrive
    # within the late-entry limit; later days are refused by the diary rules.
    p.withdrawn_at, p.withdrawal_reason = now, reason.strip()
    audit.append(session, chain=audit.participant_chain(p.id), actor=principal.actor,
                 action="participant.withdraw", entity="participant", entity_id=p.id, at=now,
                 before={"withdrawn_at": None}, after={"withdrawn_at": now},
                 reason=p.withdrawal_reason, signature=signed)
    stop_reminders(session, p.id, now, "withdrawn")
    session.commit()
    return p
