"""Chains the fast path's pending audit records into the hash chains (issue 20).

The PostgreSQL diary fast path (diary/services/fast_ingest.py) writes an unchained record
to ``audit_pending`` in the same statement as the entry, so no request waits on a chain
head. This sealer moves them, in id order, into ``audit_records``: each gets the next seq
of its chain, ``prev_hash`` and ``hash`` exactly as :func:`diary.audit.append` would give
it (which itself first moves its chain's pending records, so a chain keeps the order in
which things happened). It runs on every scheduler tick and before anything reads the
trail (``audit seal``, ``audit verify``, the trail export), so what those see and prove
is unchanged.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from diary import audit
from diary.db.audit_models import AuditPending

CHAIN_LOCK = 0x70656e64  # "pend": one chainer at a time on PostgreSQL
BATCH = 2000

_PENDING = AuditPending.__table__


def chain_pending(session: Session, *, batch: int = BATCH) -> int:
    """Chain every committed pending record (oldest first); commits per batch and returns
    how many were chained. Waits for a concurrent chainer rather than racing it."""
    total = 0
    while True:
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
        window = (select(_PENDING.c.id, _PENDING.c.chain).order_by(_PENDING.c.id)
                  .limit(batch).subquery())
        chains = conn.execute(select(window.c.chain, func.max(window.c.id), func.count())
                              .group_by(window.c.chain).order_by(window.c.chain)).all()
        for chain, up_to, _ in chains:  # one lock order (by name) for every chainer
            seq, prev = audit._lock_head(session, chain)
            audit.chain_pending_of(session, chain, seq, prev, up_to)
        session.commit()
        moved = sum(n for _, _, n in chains)
        total += moved
        if moved < batch:
            return total
