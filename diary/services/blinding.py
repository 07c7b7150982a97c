"""Who sees the allocation, the masked codes everyone else sees, emergency unblinding.

In a double-blind study staff see an arm, sequence or treatment only with the study's
``unblinded`` grant; without it they see a code such as ``ARM-B`` or ``TRT-2``. The codes
are drawn at random per study (and stored), so neither their letters nor their order
follow the protocol's order. Participants never see their allocation in any design:
their API and texts simply carry no such field.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diary import audit
from diary.db.allocation_models import BlindingCode
from diary.db.models import Study
from diary.errors import Forbidden, RuleViolation
from diary.protocol.model import Protocol
from diary.schedule import treatment_in
from diary.services.principals import Principal

PREFIX = {"arm": "ARM", "treatment": "TRT", "sequence": "SEQ"}
UNKNOWN = "MASKED"  # a value without a code (never the real one)
_draw = random.SystemRandom()


def _suffix(kind: str, n: int) -> str:
    """Arms get letters (A, B, ..., Z, AA, ...), treatments and sequences numbers."""
    if kind != "arm":
        return str(n)
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = string.ascii_uppercase[r] + letters
    return letters


def _values(protocol: Protocol) -> dict[str, list[str]]:
    return {"arm": [a.key for a in protocol.arms],
            "treatment": [t.key for t in protocol.treatments],
            "sequence": [s.key for s in protocol.sequences]}


def _stored(session: Session, study_id: int) -> dict[str, dict[str, str]]:
    codes: dict[str, dict[str, str]] = {kind: {} for kind in PREFIX}
    for kind, value, code in session.execute(
            select(BlindingCode.kind, BlindingCode.value, BlindingCode.code)
            .where(BlindingCode.study_id == study_id)):
        codes[kind][value] = code
    return codes


def ensure_codes(session: Session, study_id: int, protocol: Protocol) -> dict[str, dict[str, str]]:
    """Give each arm, treatment and sequence without a code one of the unused codes, in
    random order; codes already given never change (an upgrade only adds)."""
    codes = _stored(session, study_id)
    for kind, values in _values(protocol).items():
        have = codes[kind]
        new = [v for v in values if v not in have]
        if not new:
            continue
        used = set(have.values())
        free = [c for n in range(1, len(used) + len(new) + 1)
                if (c := f"{PREFIX[kind]}-{_suffix(kind, n)}") not in used][:len(new)]
        _draw.shuffle(free)
        for value, code in zip(new, free, strict=True):
            session.add(BlindingCode(study_id=study_id, kind=kind, value=value, code=code))
            have[value] = code
    session.flush()
    return codes


def _codes(session: Session, study: Study, protocol: Protocol) -> dict[str, dict[str, str]]:
    """The study's codes; a study created before codes existed gets them now, committed at
    once so that every later reader sees the same ones."""
    codes = _stored(session, study.id)
    if all(v in codes[k] for k, values in _values(protocol).items() for v in values):
        return codes
    try:
        with session.begin_nested():
            codes = ensure_codes(session, study.id, protocol)
        session.commit()
    except IntegrityError:  # another request drew them first: use theirs
        session.rollback()
        codes = _stored(session, study.id)
    return codes


@dataclass(frozen=True)
class AllocationView:
    """Shows allocation values as they are (``masked`` false) or as the study's codes."""

    masked: bool
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def _show(self, kind: str, value: str | None) -> str | None:
        if value is None or not self.masked:
            return value
        return self.codes.get(kind, {}).get(value, UNKNOWN)

    def arm(self, value: str | None) -> str | None:
        return self._show("arm", value)

    def sequence(self, value: str | None) -> str | None:
        return self._show("sequence", value)

    def treatment(self, value: str | None) -> str | None:
        return self._show("treatment", value)

    def record_treatment(self, value: str | None) -> str | None:
        """An export's treatment column: a crossover treatment, a parallel arm, or ``ALL``
        (a single-group study, which allocates nothing)."""
        if value is None or not self.masked or value == "ALL":
            return value
        for kind in ("treatment", "arm"):
            if value in self.codes.get(kind, {}):
                return self.codes[kind][value]
        return UNKNOWN


UNMASKED = AllocationView(False)


def sees_allocation(principal: Principal, study_id: int, protocol: Protocol) -> bool:
    return not protocol.staff_blinded or principal.unblinded(study_id)


def allocation_view(session: Session, principal: Principal, study: Study,
                    protocol: Protocol) -> AllocationView:
    """How this caller sees the study's allocation."""
    if sees_allocation(principal, study.id, protocol):
        return UNMASKED
    return AllocationView(True, _codes(session, study, protocol))


def require_unblinded(principal: Principal, study_id: int, what: str) -> None:
    """Study admins with the ``unblinded`` grant only (403 for everyone else)."""
    principal.require(study_id, "admin")
    if not principal.unblinded(study_id):
        raise Forbidden(f"{what} needs the unblinded grant in this study")


def emergency_unblind(session: Session, principal: Principal, study_key: str,
                      subject_id: str, *, reason: str | None, now: datetime) -> dict:
    """Disclose one participant's allocation, with a reason, to an unblinded study admin;
    the disclosure is audited on the participant's chain."""
    from diary.services.enrolment import get_participant  # enrolment imports allocation

    study, protocol, p = get_participant(session, principal, study_key, subject_id)
    require_unblinded(principal, study.id, "emergency unblinding")
    if reason is None or not reason.strip():
        raise RuleViolation("emergency unblinding needs a reason", field="reason")
    treatments = [treatment_in(protocol, p.sequence, k)
                  for k in range(1, protocol.periods + 1)] if p.sequence else []
    disclosed = {"arm": p.arm, "sequence": p.sequence, "treatments": treatments}
    audit.append(session, chain=audit.participant_chain(p.id), actor=principal.actor,
                 action="participant.unblind", entity="participant", entity_id=p.id, at=now,
                 after=disclosed, reason=reason.strip())
    session.commit()
    return {"subject_id": p.subject_id, **disclosed, "reason": reason.strip(),
            "unblinded_at": now, "unblinded_by": principal.actor.label}
