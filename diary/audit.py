"""The audit trail: append-only records, hash-chained per study or per participant.

Each record stores SHA-256 over its canonical content and the previous record's hash
in the same chain. One chain per participant (and one per study for study-level
changes) keeps appends from queuing behind each other: only writes to the same chain
are ordered, by locking that chain's head row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from diary.db.audit_models import AuditChainHead, AuditPending, AuditRecord

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who is acting: ``label`` goes into the trail (``account:3``, ``participant:<id>``)."""

    label: str
    account_id: int | None = None
    request_id: str | None = None


def study_chain(study_id: int) -> str:
    return f"study:{study_id}"


def participant_chain(participant_id: str) -> str:
    return f"participant:{participant_id}"


ACCOUNTS_CHAIN = "accounts"


def plain(value: Any) -> Any:
    """JSON-safe copy of ``value`` (dates and other objects become strings)."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def record_hash(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _content(r) -> dict[str, Any]:
    """The hashed fields of a record (an ORM object or a Core row)."""
    content = {
        "chain": r.chain, "seq": r.seq, "at": r.at.isoformat(), "actor": r.actor,
        "action": r.action, "entity": r.entity, "entity_id": r.entity_id,
        "before": r.before, "after": r.after, "reason": r.reason,
        "request_id": r.request_id, "prev_hash": r.prev_hash,
    }
    if r.signature is not None:  # only signed records have it: older hashes stay valid
        content["signature"] = r.signature
    return content


def append(session: Session, *, chain: str, actor: Actor, action: str, entity: str,
           entity_id: str | int, at: datetime, before: Any = None, after: Any = None,
           reason: str | None = None, signature: dict | None = None) -> AuditRecord:
    """Add a record to ``chain`` inside the caller's transaction (``signature``: an
    electronic signature of the change, diary/services/signatures.py)."""
    seq, prev = _lock_head(session, chain)
    if session.get_bind().dialect.name == "postgresql":
        seq, prev = chain_pending_of(session, chain, seq, prev)
    record = AuditRecord(
        chain=chain, seq=seq + 1, at=at, actor=actor.label, action=action,
        entity=entity, entity_id=str(entity_id), before=plain(before), after=plain(after),
        reason=reason, request_id=actor.request_id, prev_hash=prev,
        signature=plain(signature) if signature is not None else None,
    )
    record.hash = record_hash(_content(record))
    conn = session.connection()  # Core statements on the session's connection: no ORM work
    conn.execute(_MOVE_HEAD, {"c": chain, "s": record.seq, "h": record.hash})
    conn.execute(_INSERT_RECORD, {c: getattr(record, c) for c in _RECORD_COLUMNS})
    return record


def chain_pending_of(session: Session, chain: str, seq: int, prev: str,
                     up_to: int | None = None) -> tuple[int, str]:
    """Move the committed pending records of ``chain`` (issue 20's fast path; ids up to
    ``up_to``) into it, oldest first, after its head (seq, prev), which the caller has
    locked; returns the new head. The lock makes two movers take each record once."""
    conn = session.connection()
    stmt = delete(_PENDING).where(_PENDING.c.chain == chain)
    if up_to is not None:
        stmt = stmt.where(_PENDING.c.id <= up_to)
    rows = sorted(conn.execute(stmt.returning(*_PENDING.c)).all(), key=lambda r: r.id)
    if not rows:
        return seq, prev
    out = []
    for r in rows:
        seq += 1
        record = {"chain": chain, "seq": seq, "prev_hash": prev, "signature": None,
                  **{f: getattr(r, f) for f in _PENDING_FIELDS}}
        record["hash"] = prev = record_hash(_content(SimpleNamespace(**record)))
        out.append(record)
    conn.execute(_INSERT_RECORD, out)
    conn.execute(_MOVE_HEAD, {"c": chain, "s": seq, "h": prev})
    return seq, prev


_PENDING = AuditPending.__table__
_PENDING_FIELDS = ("at", "actor", "action", "entity", "entity_id", "before", "after",
                   "reason", "request_id")

# Statements built once, values bound per call: SQLAlchemy then reuses their compiled form.
_RECORD_COLUMNS = [c.key for c in AuditRecord.__table__.columns if c.key != "id"]
_HEADS = AuditChainHead.__table__
_INSERT_RECORD = insert(AuditRecord.__table__)
_MOVE_HEAD = (update(_HEADS).where(_HEADS.c.chain == bindparam("c"))
              .values(seq=bindparam("s"), hash=bindparam("h")))


def _lock_head_statement(dialect: str):
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = upsert(_HEADS).values(chain=bindparam("c"), seq=0, hash=GENESIS)
    # The no-op DO UPDATE takes the row lock on PostgreSQL, so appends to one chain queue
    # here until the earlier transaction commits (SQLite has one writer anyway).
    return stmt.on_conflict_do_update(index_elements=[_HEADS.c.chain],
                                      set_={"seq": _HEADS.c.seq}
                                      ).returning(_HEADS.c.seq, _HEADS.c.hash)


_LOCK_HEAD = {name: _lock_head_statement(name) for name in ("postgresql", "sqlite")}


def _lock_head(session: Session, chain: str) -> tuple[int, str]:
    """Create the chain's head if new, lock it, and return its (seq, hash): one statement."""
    conn = session.connection()
    seq, last = conn.execute(_LOCK_HEAD[conn.dialect.name], {"c": chain}).one()
    return seq, last


Points = dict[tuple[str, int], tuple[str, int]]  # (chain, seq) -> (sealed hash, seal number)


@dataclass
class VerifyResult:
    checked: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, sealed: Points | None = None) -> VerifyResult:
    """Walk every chain in order; name each record whose hash or link is wrong, each chain
    whose end was cut, and each sealed (chain, seq) whose hash differs from the signed one
    (a chain re-hashed after an edit) or whose record is gone."""
    sealed = dict(sealed or {})  # popped as records are met: what is left is missing
    heads = {h.chain: h for h in session.scalars(select(AuditChainHead))}
    table = AuditRecord.__table__  # Core rows: no identity map for a walk of every record
    stmt = select(table).order_by(table.c.chain, table.c.seq)
    result, seen = VerifyResult(0), set()
    chain, prev, seq = None, GENESIS, 0
    # yield_per streams with a server-side cursor on PostgreSQL.
    with session.execute(stmt.execution_options(yield_per=2000)) as records:
        for r in records:
            if r.chain != chain:
                _add(result, _check_tail(heads, chain, seq, prev))
                chain, prev, seq = r.chain, GENESIS, 0
                seen.add(chain)
            result.checked += 1
            _add(result, _check_record(r, seq, prev))
            point = sealed.pop((r.chain, r.seq), None)
            if point is not None and point[0] != r.hash:
                result.problems.append(
                    f"record {r.id}: chain {r.chain} seq {r.seq} differs from seal {point[1]} "
                    "(the chain was rewritten and re-hashed after it was sealed)")
            prev, seq = r.hash, r.seq
    _add(result, _check_tail(heads, chain, seq, prev))
    for missing in sorted(set(heads) - seen):
        result.problems.append(f"chain {missing} has a head but no records "
                               "(records were removed)")
    for (c, s), (_, number) in sorted(sealed.items()):
        result.problems.append(f"chain {c} seq {s} was sealed by seal {number} but is gone "
                               "(records were removed)")
    return result


def _add(result: VerifyResult, problem: str | None) -> None:
    if problem:
        result.problems.append(problem)


def _check_record(r, seq: int, prev: str) -> str | None:
    if r.seq != seq + 1:
        return f"record {r.id}: chain {r.chain} skips from seq {seq} to {r.seq} " \
               "(a record was removed)"
    if r.prev_hash != prev:
        return f"record {r.id}: does not link to the previous record of chain {r.chain}"
    if record_hash(_content(r)) != r.hash:
        return f"record {r.id}: content does not match its hash (the row was edited)"
    return None


def _check_tail(heads: dict, chain: str | None, seq: int, last_hash: str) -> str | None:
    if chain is None:
        return None
    head = heads.get(chain)
    if head is None or head.seq != seq or head.hash != last_hash:
        return f"chain {chain} ends at seq {seq} but its head says {head and head.seq} " \
               "(records were removed from its end)"
    return None
