"""Signed seals of the audit chain heads: evidence that survives the database owner.

A seal is a canonical JSON payload signed with Ed25519 (diary/audit_keys.py): its number,
time, the key's fingerprint, the SHA-256 of the previous seal's payload (so a seal cannot
be dropped from the middle unnoticed), and the head (seq, hash) of every chain that moved
since the previous seal. Someone who edits a record and re-computes every hash after it
produces a chain that is internally consistent, but its hash at a sealed seq no longer
matches the signed one, and they cannot sign a new seal without the key.

Each seal is written to the ``audit_seals`` table (convenience), appended to the
checkpoint file ``AUDIT_SEALS_FILE`` (one JSON line each; a site ships it elsewhere), and
logged on ``paindiary.audit``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diary.audit_keys import Signer, key_id
from diary.db.audit_models import AuditChainHead, AuditSeal, AuditSealMark

log = logging.getLogger("paindiary.audit")

FORMAT = 1
GENESIS = "0" * 64
SEAL_LOCK = 0x61756469  # "audi": one sealer at a time on PostgreSQL


@dataclass(frozen=True)
class SealLine:
    """One seal as stored: the signed payload text and its base64 signature."""

    payload: str
    signature: str

    @property
    def data(self) -> dict:
        return json.loads(self.payload)

    def to_json(self) -> str:
        return json.dumps({"payload": json.loads(self.payload), "signature": self.signature},
                          sort_keys=True, separators=(",", ":"))


def canonical(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def payload_hash(payload_text: str) -> str:
    return hashlib.sha256(payload_text.encode()).hexdigest()


def seal(session: Session, signer: Signer, now: datetime) -> SealLine | None:
    """Sign the heads of every chain that moved since the last seal; commit.

    Returns None when another sealer holds the lock or won the race for the number.
    Pending records of the ingest fast path are chained first, so the seal covers them."""
    from diary.audit_pending import chain_pending

    chain_pending(session)
    conn = session.connection()
    if conn.dialect.name == "postgresql" and not conn.scalar(
            text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SEAL_LOCK}):
        session.rollback()
        return None
    last = session.scalars(select(AuditSeal).order_by(AuditSeal.number.desc())
                           .limit(1)).first()
    moved = session.execute(
        select(AuditChainHead.chain, AuditChainHead.seq, AuditChainHead.hash)
        .outerjoin(AuditSealMark, AuditSealMark.chain == AuditChainHead.chain)
        .where((AuditSealMark.seq.is_(None)) | (AuditSealMark.seq != AuditChainHead.seq))
        .order_by(AuditChainHead.chain)).all()
    payload = canonical({
        "format": FORMAT, "number": last.number + 1 if last else 1,
        "sealed_at": now.isoformat(), "key": key_id(signer.public_key()),
        "previous": payload_hash(last.payload) if last else GENESIS,
        "heads": {chain: [seq, hash_] for chain, seq, hash_ in moved},
    })
    line = SealLine(payload, base64.b64encode(signer.sign(payload.encode())).decode())
    number = json.loads(payload)["number"]
    session.add(AuditSeal(number=number, sealed_at=now, payload=payload,
                          signature=line.signature))
    marks = AuditSealMark.__table__
    for chain, seq, _ in moved:
        updated = conn.execute(marks.update().where(marks.c.chain == chain).values(seq=seq))
        if updated.rowcount == 0:
            conn.execute(marks.insert().values(chain=chain, seq=seq))
    try:
        session.commit()
    except IntegrityError:  # another sealer took this number (SQLite has no advisory lock)
        session.rollback()
        return None
    log.info("audit seal %s", line.to_json())
    return line


def database_seals(session: Session) -> list[SealLine]:
    return [SealLine(s.payload, s.signature)
            for s in session.scalars(select(AuditSeal).order_by(AuditSeal.number))]


def last_sealed_at(session: Session) -> datetime | None:
    return session.scalar(select(func.max(AuditSeal.sealed_at)))


def archive(path: Path, session: Session) -> int:
    """Append to the checkpoint file every seal it lacks (in order); returns how many.

    The file is only ever appended to, one JSON line per seal, under an exclusive lock so
    that two sealers (the scheduler and ``audit seal``) never write a seal twice."""
    import fcntl  # POSIX only, like the rest of the deployment

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    with os.fdopen(fd, "r+", encoding="utf-8") as out:
        fcntl.flock(out.fileno(), fcntl.LOCK_EX)
        have = max((line.data.get("number") or 0 for line in _lines(out)), default=0)
        lines = [s for s in database_seals(session) if s.data["number"] > have]
        if lines:
            out.seek(0, os.SEEK_END)
            out.write("".join(s.to_json() + "\n" for s in lines))
            out.flush()
            os.fsync(out.fileno())
    return len(lines)


def read_file(path: Path) -> Iterator[SealLine]:
    """The seals of a checkpoint file; a line that is not a seal becomes a broken one."""
    with path.open(encoding="utf-8") as lines:
        yield from _lines(lines)


def _lines(lines) -> Iterator[SealLine]:
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
            yield SealLine(canonical(obj["payload"]), obj["signature"])
        except (ValueError, KeyError, TypeError):
            yield SealLine(canonical({"number": None, "line": n}), "")


@dataclass
class SealCheck:
    """What the seals promise: (chain, seq) -> (hash, seal number), and their problems."""

    seals: int = 0
    points: dict[tuple[str, int], tuple[str, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def check_seals(seals: Iterable[SealLine], public: Ed25519PublicKey) -> SealCheck:
    """Check each seal's signature, numbering and link to the previous seal."""
    out, expected, previous = SealCheck(), 1, GENESIS
    fingerprint = key_id(public)
    for s in seals:
        out.seals += 1
        data = s.data
        number = data.get("number")
        if number is None and "line" in data:
            out.problems.append(f"checkpoint line {data['line']}: not a seal (damaged)")
            continue
        if not _signed(s, public):
            why = "signed by another key" if data.get("key") not in (None, fingerprint) \
                else "signature does not match (forged or edited)"
            out.problems.append(f"seal {number}: {why}")
            continue
        if number != expected or data.get("previous") != previous:
            out.problems.append(f"seal {number}: does not follow seal {expected - 1} "
                                "(a seal was removed, reordered or replaced)")
        for chain, (seq, hash_) in data.get("heads", {}).items():
            out.points[(chain, seq)] = (hash_, number)
        expected, previous = (number or 0) + 1, payload_hash(s.payload)
    return out


def _signed(s: SealLine, public: Ed25519PublicKey) -> bool:
    try:
        public.verify(base64.b64decode(s.signature, validate=True), s.payload.encode())
    except (InvalidSignature, ValueError):
        return False
    return True


def compare_copies(archived: list[SealLine], stored: list[SealLine]) -> list[str]:
    """Seals in the database that differ from, or are missing against, the archived file."""
    problems = []
    by_number = {s.data.get("number"): s for s in stored}
    for s in archived:
        number = s.data.get("number")
        mine = by_number.get(number)
        if mine is None:
            problems.append(f"seal {number}: in the archived file but not in the database")
        elif mine.payload != s.payload or mine.signature != s.signature:
            problems.append(f"seal {number}: the database copy differs from the archived one")
    return problems
