"""Concealed allocation lists: upload by an unblinded study admin, one slot per enrolment.

Like REDCap's randomisation module: a statistician prepares the list (sequence number and
arm, or crossover sequence; optionally one list per stratum such as the site), an
unblinded administrator uploads it, and enrolment takes the next free slot of the
participant's stratum in number order. The coordinator never chooses; blinded roles never
read the list. Two enrolments at once never take the same slot: the study row is locked
(``SELECT ... FOR NO KEY UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already
runs one writer at a time) before the next slot is chosen, and a unique participant per
slot backs it up.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diary import audit
from diary.db.allocation_models import AllocationList, AllocationSlot
from diary.db.models import Participant, Study
from diary.errors import Conflict, RuleViolation
from diary.protocol.model import Protocol
from diary.services.blinding import require_unblinded
from diary.services.principals import Principal
from diary.services.studies import get_study

MAX_ROWS = 100_000
NUMBER_RE = re.compile(r"0*[1-9][0-9]{0,8}")  # "007" from a spreadsheet is 7


class InvalidList(RuleViolation):
    """Every problem of an uploaded list at once, per row and column."""

    code = "invalid_allocation_list"

    def __init__(self, problems: dict[str, list[str]]):
        first = next(iter(problems))
        super().__init__(f"the allocation list has {len(problems)} problem(s), first "
                         f"{first}: {problems[first][0]}", field=first)
        self.errors = problems


def stratum_of(protocol: Protocol, values: dict[str, str]) -> str:
    """The stratum's name: "" unstratified, else e.g. "site=PAR"."""
    return ";".join(f"{f}={values[f]}" for f in protocol.randomisation.stratify_by)


def _allocated_field(protocol: Protocol) -> str:
    return "arm" if protocol.design == "parallel" else "sequence"


def parse_upload(raw: bytes, fmt: str) -> tuple[list[dict], dict]:
    """Rows and stratum of an upload: CSV with a header row (stratum columns per row), or
    JSON, a list of rows or ``{"stratum": {"site": "PAR"}, "rows": [...]}``."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RuleViolation("the list must be UTF-8 text", field="list") from None
    if fmt == "json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise RuleViolation(f"not valid JSON: {exc}", field="list") from None
        stratum = {}
        if isinstance(data, dict):
            unknown = sorted(set(data) - {"rows", "stratum"})
            if unknown:
                raise RuleViolation("unknown field", field=unknown[0])
            stratum = data.get("stratum") or {}
            if not isinstance(stratum, dict) or not all(
                    isinstance(v, str) for v in stratum.values()):
                raise RuleViolation('must map factors to values, e.g. {"site": "PAR"}',
                                    field="stratum")
            data = data.get("rows")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise RuleViolation("must be a list of rows (objects)", field="rows")
        return data, stratum
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise RuleViolation("the CSV needs a header row (number, arm or sequence)",
                            field="list")
    rows = []
    try:
        for i, row in enumerate(reader):
            if None in row:  # DictReader keeps values beyond the header under None
                raise RuleViolation("more values than the header has columns",
                                    field=f"rows[{i}]")
            rows.append({k.strip(): (v or "").strip() for k, v in row.items()})
    except csv.Error as exc:
        raise RuleViolation(f"not valid CSV: {exc}", field="list") from None
    return rows, {}


def _check_rows(protocol: Protocol, rows: list[dict], stratum: dict) -> list[tuple]:
    """(stratum, number, value) per row; raises InvalidList naming every problem."""
    target = _allocated_field(protocol)
    allowed_values = ([a.key for a in protocol.arms] if target == "arm"
                      else [s.key for s in protocol.sequences])
    factors = protocol.randomisation.stratify_by
    problems: dict[str, list[str]] = {}
    for name in stratum:
        if name not in factors:
            problems.setdefault(f"stratum.{name}", []).append(
                "not a stratification factor of the protocol"
                + (f" ({', '.join(factors)})" if factors else " (it stratifies by nothing)"))
    if not rows:
        problems["rows"] = ["the list has no rows"]
    if len(rows) > MAX_ROWS:
        problems["rows"] = [f"at most {MAX_ROWS} rows per upload"]
    out, seen = [], {}
    for i, row in enumerate(rows[:MAX_ROWS]):
        path = f"rows[{i}]"
        for name in row:
            if name not in {"number", target, *factors}:
                problems.setdefault(f"{path}.{name}", []).append("unknown column")
        number = row.get("number")
        if isinstance(number, str) and NUMBER_RE.fullmatch(number):
            number = int(number)
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number < 10**9:
            problems.setdefault(f"{path}.number", []).append("must be a whole number >= 1")
            number = None
        value = row.get(target)
        if value not in allowed_values:
            problems.setdefault(f"{path}.{target}", []).append(
                f"must be one of {', '.join(allowed_values)}")
        values = {}
        for f in factors:
            given, fixed = row.get(f), stratum.get(f)
            if given in (None, "") and fixed is not None:
                given = fixed
            elif fixed is not None and given != fixed:
                problems.setdefault(f"{path}.{f}", []).append(
                    f"differs from the upload's stratum {f}={fixed}")
            if f == "site" and given not in protocol.sites:
                problems.setdefault(f"{path}.{f}", []).append(
                    f"must be one of {', '.join(protocol.sites)}")
            values[f] = given
        name = stratum_of(protocol, values) if all(
            isinstance(v, str) for v in values.values()) else None
        if number is not None and name is not None:
            if (name, number) in seen:
                problems.setdefault(f"{path}.number", []).append(
                    f"repeats rows[{seen[(name, number)]}] (number {number}"
                    + (f" in {name})" if name else ")"))
            seen[(name, number)] = i
        out.append((name, number, value))
    if problems:
        raise InvalidList(problems)
    return out


def upload_list(session: Session, principal: Principal, study_key: str, *, raw: bytes,
                fmt: str, stratum: dict | None = None,
                now: datetime) -> tuple[AllocationList, dict]:
    """Store an uploaded list (or an addition to the study's lists); audited.

    ``stratum`` (e.g. ``{"site": "PAR"}``, from a form) applies to rows that name none.
    """
    study, protocol = get_study(session, principal, study_key)
    require_unblinded(principal, study.id, "uploading an allocation list")
    if not protocol.randomisation.from_list:
        raise RuleViolation("the protocol assigns arms or sequences at enrolment "
                            "(randomisation: {method: manual}); it takes no list",
                            field="randomisation")
    rows, given = parse_upload(raw, fmt)
    conflicting = sorted(k for k in given.keys() & (stratum or {}).keys()
                         if given[k] != stratum[k])
    if conflicting:
        raise RuleViolation("the form and the JSON name different strata",
                            field=f"stratum.{conflicting[0]}")
    rows = _check_rows(protocol, rows, {**given, **(stratum or {})})
    taken = {(s, n) for s, n in session.execute(
        select(AllocationSlot.stratum, AllocationSlot.number)
        .where(AllocationSlot.study_id == study.id))}
    clash = sorted((s, n) for s, n, _ in rows if (s, n) in taken)
    if clash:
        s, n = clash[0]
        raise Conflict(f"{len(clash)} number(s) are already in the study's lists, first "
                       f"{n}" + (f" in {s}" if s else ""), field="rows")
    target = _allocated_field(protocol)
    upload = AllocationList(study_id=study.id, uploaded_at=now,
                            uploaded_by=principal.account_id,
                            sha256=hashlib.sha256(raw).hexdigest(), format=fmt, rows=len(rows))
    session.add(upload)
    session.flush()
    session.add_all(AllocationSlot(list_id=upload.id, study_id=study.id, stratum=s, number=n,
                                   **{target: value}) for s, n, value in rows)
    per_stratum: dict[str, int] = {}
    for s, _, _ in rows:
        per_stratum[s] = per_stratum.get(s, 0) + 1
    # The audit trail records the upload, not the allocations: it is read more widely.
    audit.append(session, chain=audit.study_chain(study.id), actor=principal.actor,
                 action="allocation_list.upload", entity="allocation_list",
                 entity_id=upload.id, at=now,
                 after={"rows": len(rows), "format": fmt, "sha256": upload.sha256,
                        "strata": per_stratum})
    session.commit()
    return upload, per_stratum


def list_slots(session: Session, principal: Principal, study_key: str) -> list[dict]:
    """Every slot, allocated or not, for unblinded study admins."""
    study, _ = get_study(session, principal, study_key)
    require_unblinded(principal, study.id, "reading the allocation list")
    rows = session.execute(
        select(AllocationSlot, Participant.subject_id)
        .outerjoin(Participant, Participant.id == AllocationSlot.participant_id)
        .where(AllocationSlot.study_id == study.id)
        .order_by(AllocationSlot.stratum, AllocationSlot.number)).all()
    return [{"stratum": s.stratum, "number": s.number, "arm": s.arm, "sequence": s.sequence,
             "list_id": s.list_id, "subject_id": subject, "allocated_at": s.allocated_at}
            for s, subject in rows]


def allocate(session: Session, principal: Principal, study: Study, protocol: Protocol,
             p: Participant, now: datetime) -> AllocationSlot:
    """Give ``p`` the next free slot of its stratum (409 when the list is used up)."""
    # NO KEY UPDATE: it queues enrolments behind one another, but not behind the KEY
    # SHARE lock that every insert referencing the study (this participant too) takes;
    # a plain FOR UPDATE deadlocks two enrolments that have both inserted their row.
    session.execute(select(Study.id).where(Study.id == study.id)
                    .with_for_update(key_share=True))  # FOR NO KEY UPDATE
    stratum = stratum_of(protocol, {"site": p.site})
    slot = session.scalar(
        select(AllocationSlot)
        .where(AllocationSlot.study_id == study.id, AllocationSlot.stratum == stratum,
               AllocationSlot.participant_id.is_(None))
        .order_by(AllocationSlot.number).limit(1).with_for_update())
    if slot is None:
        uploaded = session.scalar(select(func.count()).select_from(AllocationSlot).where(
            AllocationSlot.study_id == study.id, AllocationSlot.stratum == stratum))
        where = f" for {stratum}" if stratum else ""
        raise Conflict(f"the allocation list{where} is exhausted ({uploaded} slots, all "
                       "taken); an unblinded administrator must upload more" if uploaded
                       else f"no allocation list{where} has been uploaded",
                       field="site" if stratum else None, code="allocation_exhausted")
    slot.participant_id, slot.allocated_at = p.id, now
    p.arm, p.sequence = slot.arm, slot.sequence
    session.flush()
    audit.append(session, chain=audit.participant_chain(p.id), actor=principal.actor,
                 action="participant.allocate", entity="allocation_slot", entity_id=slot.id,
                 at=now, after={"stratum": stratum, "number": slot.number,
                                "list_id": slot.list_id})
    return slot
