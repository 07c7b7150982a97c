"""A study's stored protocol versions: look one up, compare two (issue 15)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from diary.audit import plain
from diary.db.models import ProtocolVersion, Study
from diary.errors import NotFound
from diary.protocol.diff import Change, changes, text_diff
from diary.services.principals import Principal
from diary.services.studies import get_study

MAX_VERSION = 2**31 - 1  # the column is a 32-bit integer: larger numbers cannot exist


@dataclass(frozen=True)
class VersionDiff:
    study: str
    old: ProtocolVersion
    new: ProtocolVersion
    changes: list[Change]
    text: str


def list_versions(session: Session, principal: Principal, key: str) -> list[ProtocolVersion]:
    """Every version the study had, oldest first."""
    study, _ = get_study(session, principal, key)
    return list(session.scalars(select(ProtocolVersion).where(
        ProtocolVersion.study_id == study.id).order_by(ProtocolVersion.version)))


def version_of(session: Session, study: Study, number: int) -> ProtocolVersion:
    row = None if not 0 < number <= MAX_VERSION else session.scalar(
        select(ProtocolVersion).where(ProtocolVersion.study_id == study.id,
                                      ProtocolVersion.version == number))
    if row is None:
        raise NotFound(f"study {study.key!r} has no version {number}")
    return row


def get_version(session: Session, principal: Principal, key: str,
                number: int) -> ProtocolVersion:
    """One stored version, byte for byte (anyone who may read the study)."""
    study, _ = get_study(session, principal, key)
    return version_of(session, study, number)


def diff_versions(session: Session, principal: Principal, key: str, old: int,
                  new: int) -> VersionDiff:
    """What changed from version ``old`` to version ``new`` of a study (either order)."""
    study, _ = get_study(session, principal, key)
    a, b = version_of(session, study, old), version_of(session, study, new)
    found = [Change(c.path, c.kind, plain(c.old), plain(c.new))
             for c in changes(a.source, b.source)]
    return VersionDiff(study.key, a, b, found,
                       text_diff(a.source, b.source, old_name=f"{study.key} version {old}",
                                 new_name=f"{study.key} version {new}"))
