"""``audit verify`` and ``audit seal`` as plain functions: the CLI and the scheduler call
them; they read the key and the checkpoint file named in the config (issue 17)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session, sessionmaker

from diary import audit
from diary.audit_crosscheck import cross_check
from diary.audit_keys import load_signer
from diary.audit_pending import chain_pending
from diary.audit_seals import (
    SealLine,
    archive,
    check_seals,
    compare_copies,
    database_seals,
    last_sealed_at,
    read_file,
    seal,
)


@dataclass
class Report:
    records: int = 0
    seals: int = 0
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_all(session: Session, *, public: Ed25519PublicKey | None,
               seals_file: Path | None = None) -> Report:
    """The chains, the seals (signature, order, sealed heads) and the clinical tables.

    With ``seals_file`` (the archived copy) its seals are the reference and the database's
    copies are compared with them; without it the database's copies are checked, which a
    database owner could have removed (a note says so)."""
    report = Report()
    chained = chain_pending(session)  # the fast path's records join their chains first
    if chained:
        report.notes.append(f"{chained} pending record(s) of the ingest fast path chained")
    stored = database_seals(session)
    seals: list[SealLine] = list(read_file(seals_file)) if seals_file else stored
    points: dict = {}
    if seals_file:
        report.problems.extend(compare_copies(seals, stored))
    else:
        report.notes.append("seals read from the database: pass --seals with the archived "
                            "file to also catch seals removed there")
    if seals and public is None:
        report.problems.append(f"{len(seals)} seal(s) cannot be checked: no public key "
                               "(give --public-key, or configure the seal key)")
    elif seals:
        checked = check_seals(seals, public)
        report.seals, points = checked.seals, checked.points
        report.problems.extend(checked.problems)
    else:
        report.notes.append("no seals yet: run `audit seal` (the scheduler seals hourly)")
    chains = audit.verify(session, points)
    report.records = chains.checked
    report.problems.extend(chains.problems)
    tables = cross_check(session)
    report.rows = tables.rows
    report.problems.extend(tables.problems)
    return report


def seal_now(session_factory: sessionmaker[Session], config: dict[str, Any],
             now: datetime) -> SealLine | None:
    """Seal the moved chain heads and append every seal the checkpoint file lacks.

    The key is created in the instance folder on first use when none is configured."""
    signer = load_signer(config, create=True)
    with session_factory() as session:
        line = seal(session, signer, now)
        archive(Path(config["AUDIT_SEALS_FILE"]), session)
    return line


def seal_if_due(session_factory: sessionmaker[Session], config: dict[str, Any],
                now: datetime) -> SealLine | None:
    """From the scheduler tick: seal when the last seal is ``AUDIT_SEAL_INTERVAL`` old."""
    interval = timedelta(seconds=config.get("AUDIT_SEAL_INTERVAL", 3600))
    with session_factory() as session:
        last = last_sealed_at(session)
    if last is not None and now - last < interval:
        return None
    return seal_now(session_factory, config, now)
