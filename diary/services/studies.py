"""Studies and their protocol versions: create from a protocol file, upgrade, look up."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import AnchorEvent, Participant, ProtocolVersion, Study
from diary.errors import Conflict, Forbidden, NotFound, RuleViolation
from diary.protocol.checks import ProtocolError
from diary.protocol.loader import check_protocol, parse_protocol
from diary.protocol.model import Protocol
from diary.services.blinding import ensure_codes
from diary.services.principals import Principal
from diary.services.reminder_times import default_time, follow_new_default
from diary.services.replanning import replan_study


class InvalidProtocol(RuleViolation):
    code = "invalid_protocol"

    def __init__(self, error: ProtocolError):
        super().__init__(f"the protocol has {len(error.issues)} problem(s)", field="protocol")
        self.issues = error.issues


class Loaded(NamedTuple):
    """A stored protocol version, its study, and the warnings about the file (e.g. a
    licensed instrument without the study's wording in one of its languages)."""

    study: Study
    version: ProtocolVersion
    warnings: list[tuple[str, str]]


@lru_cache(maxsize=256)
def _parse_cached(sha256: str, source: str) -> Protocol:
    return parse_protocol(source, strict=False)  # stored: loads as it did when stored


def protocol_of(version: ProtocolVersion) -> Protocol:
    """The parsed protocol of a stored version, parsed once per process (content-addressed)."""
    return _parse_cached(version.sha256, version.source)


_by_sha: dict[str, Protocol] = {}


def protocol_by_sha(session: Session, sha256: str) -> Protocol:
    """A stored protocol by its content hash: parsed once per process, never stale."""
    if sha256 not in _by_sha:
        source = session.scalar(select(ProtocolVersion.source)
                                .where(ProtocolVersion.sha256 == sha256).limit(1))
        _by_sha[sha256] = _parse_cached(sha256, source)
    return _by_sha[sha256]


def protocol_by_sha_opening(open_session, sha256: str) -> Protocol:
    """:func:`protocol_by_sha` for a caller without a session (the diary fast path): one is
    opened only when this process has not parsed the protocol yet."""
    if sha256 not in _by_sha:
        with open_session() as session:
            protocol_by_sha(session, sha256)
    return _by_sha[sha256]


def current_version(session: Session, study: Study) -> ProtocolVersion:
    return session.execute(
        select(ProtocolVersion).where(ProtocolVersion.study_id == study.id,
                                      ProtocolVersion.version == study.current_version)
    ).scalar_one()


def get_study(session: Session, principal: Principal, key: str,
              need: str = "read") -> tuple[Study, Protocol]:
    study = session.scalar(select(Study).where(Study.key == key))
    if study is None or not (principal.is_participant or principal.can(study.id, "read")):
        # Word for word as a missing study: a different message would reveal that it exists.
        raise NotFound(f"no study {key!r}")
    principal.require(study.id, need)
    return study, protocol_of(current_version(session, study))


def list_studies(session: Session, principal: Principal) -> list[Study]:
    if principal.is_participant:  # as Principal.require: not an empty list, a refusal
        raise Forbidden("participant tokens cannot use the coordinator API")
    studies = session.scalars(select(Study).order_by(Study.key)).all()
    return [s for s in studies if principal.can(s.id, "read")]


def _parse(source: str, name: str) -> tuple[Protocol, str, list[tuple[str, str]]]:
    try:
        checked = check_protocol(source, name=name)
    except ProtocolError as exc:
        raise InvalidProtocol(exc) from None
    return checked.protocol, hashlib.sha256(source.encode()).hexdigest(), checked.warnings


def create_study(session: Session, principal: Principal, *, source: str, now: datetime,
                 name: str = "protocol") -> Loaded:
    """A new study from protocol ``source`` (``name``: the file's name, for YAML errors)."""
    principal.require_superuser()
    protocol, sha, warnings = _parse(source, name)
    if session.scalar(select(Study.id).where(Study.key == protocol.key)) is not None:
        raise Conflict(f"study {protocol.key!r} exists; upload a new protocol version instead",
                       field="protocol")
    study = Study(key=protocol.key, title=protocol.title, current_version=1, created_at=now)
    session.add(study)
    session.flush()
    version = _store_version(session, principal, study, 1, protocol, sha, source, now)
    ensure_codes(session, study.id, protocol)
    audit.append(session, chain=audit.study_chain(study.id), actor=principal.actor,
                 action="study.create", entity="study", entity_id=study.id, at=now,
                 after={"key": study.key, "title": study.title})
    session.commit()
    return Loaded(study, version, warnings)


def upgrade_protocol(session: Session, principal: Principal, *, key: str, source: str,
                     now: datetime, name: str = "protocol") -> Loaded:
    """Make a new protocol version current; refuses one that strands enrolled participants."""
    study, old = get_study(session, principal, key, need="admin")
    protocol, sha, warnings = _parse(source, name)
    if protocol.key != study.key:
        raise RuleViolation(f"the file is for study {protocol.key!r}, not {study.key!r}",
                            field="protocol")
    same = session.scalar(select(ProtocolVersion.version).where(
        ProtocolVersion.study_id == study.id, ProtocolVersion.sha256 == sha))
    if same is not None:
        raise Conflict(f"this file is identical to version {same}", field="protocol")
    _check_compatible(session, study, protocol)
    before = {"version": study.current_version, "title": study.title}
    study.current_version += 1
    study.title = protocol.title
    version = _store_version(session, principal, study, study.current_version, protocol, sha,
                             source, now)
    ensure_codes(session, study.id, protocol)
    after = {"version": study.current_version, "title": study.title}
    moved = follow_new_default(session, study.id, old, protocol)
    if moved:  # participants who never chose a reminder time follow the new default
        before["reminder_time_default"] = default_time(old)
        after.update(reminder_time_default=default_time(protocol),
                     participants_following_default=moved)
    audit.append(session, chain=audit.study_chain(study.id), actor=principal.actor,
                 action="study.upgrade", entity="study", entity_id=study.id, at=now,
                 before=before, after=after)
    replan_study(session, study.id, now)
    session.commit()
    return Loaded(study, version, warnings)


def _store_version(session, principal, study, number, protocol, sha, source, now):
    version = ProtocolVersion(study_id=study.id, version=number, label=protocol.version_label,
                              sha256=sha, source=source, loaded_at=now,
                              loaded_by=principal.account_id)
    session.add(version)
    session.flush()
    audit.append(session, chain=audit.study_chain(study.id), actor=principal.actor,
                 action="protocol.load", entity="protocol_version", entity_id=version.id,
                 at=now, after={"version": number, "label": protocol.version_label,
                                "sha256": sha})
    return version


def _check_compatible(session: Session, study: Study, protocol: Protocol) -> None:
    """Arms, sequences, sites and anchor types in use must survive an upgrade."""
    used = session.execute(
        select(Participant.arm, Participant.sequence, Participant.site)
        .where(Participant.study_id == study.id).distinct()
    ).all()
    arms = {a.key for a in protocol.arms}
    sequences = {s.key for s in protocol.sequences}
    for arm, sequence, site in used:
        if arm and arm not in arms:
            raise RuleViolation(f"arm {arm!r} has participants; it cannot be removed",
                                field="protocol")
        if sequence and sequence not in sequences:
            raise RuleViolation(f"sequence {sequence!r} has participants; it cannot be "
                                "removed", field="protocol")
        if protocol.sites and site not in protocol.sites:
            raise RuleViolation(f"site {site!r} has participants; it cannot be removed",
                                field="protocol")
    anchor_types = set(session.scalars(
        select(AnchorEvent.type).join(Participant).where(Participant.study_id == study.id)
        .distinct()))
    missing = sorted(anchor_types - {a.key for a in protocol.anchors})
    if missing:
        raise RuleViolation(f"anchor {missing[0]!r} has recorded events; it cannot be removed",
                            field="protocol")
