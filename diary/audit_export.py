"""The audit trail for an inspector: one study or one participant, as CSV or JSON that
reads without the database (21 CFR Part 11 §11.10(b), (e); issue 17).

Each record becomes a row with plain columns (when, who, action, object, subject,
before, after, reason, signature) followed by the chain, seq, hash and previous hash,
so a copy can still be checked against the archived seals. Staff who may not see the
allocation get the study's masked codes for arms, sequences and treatments, as in every
other export; a site-limited role gets its sites' participants and not the study chain.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import literal, or_, select
from sqlalchemy.orm import Session

from diary import audit
from diary.db.audit_models import AuditRecord
from diary.db.models import Account, Participant
from diary.errors import RuleViolation
from diary.services.blinding import AllocationView, allocation_view
from diary.services.enrolment import get_participant
from diary.services.principals import Principal
from diary.services.studies import get_study

FORMATS = ("csv", "json")
COLUMNS = ("when", "who", "action", "object", "subject", "before", "after", "reason",
           "signature", "chain", "seq", "hash", "prev_hash")
MIMETYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
ALLOCATION_KEYS = ("arm", "sequence", "treatments")


@dataclass
class TrailExport:
    study: str
    subject: str | None
    fmt: str
    provenance: dict[str, str]
    rows: list[dict[str, Any]]

    @property
    def filename(self) -> str:
        who = f"_{self.subject}" if self.subject else ""
        return f"{self.study}{who}_audit_trail.{self.fmt}"


def export_trail(session: Session, principal: Principal, key: str, *, fmt: str,
                 now: datetime, subject_id: str | None = None) -> TrailExport:
    """A study's (or one participant's) audit trail in time order; the export is audited."""
    if fmt not in FORMATS:
        raise RuleViolation(f"must be one of {', '.join(FORMATS)}", field="format")
    study, protocol = get_study(session, principal, key)
    from diary.audit_pending import chain_pending

    chain_pending(session)  # the fast path's records are part of the trail (issue 20)
    sites = principal.sites(study.id)
    participants = select(Participant.id).where(Participant.study_id == study.id)
    if subject_id is not None:
        _, _, p = get_participant(session, principal, key, subject_id)
        participants = participants.where(Participant.id == p.id)
    elif sites is not None:
        participants = participants.where(Participant.site.in_(sites))
    chains = [AuditRecord.chain.in_(select(literal(audit.participant_chain("")) + Participant.id)
                                    .where(Participant.id.in_(participants)))]
    if subject_id is None and sites is None:
        chains.append(AuditRecord.chain == audit.study_chain(study.id))
    records = session.scalars(select(AuditRecord).where(or_(*chains))
                              .order_by(AuditRecord.at, AuditRecord.id)).all()
    shown = allocation_view(session, principal, study, protocol)
    names = _names(session, study.id)
    rows = [_row(r, names, shown) for r in records]
    provenance = {"study": study.key, "subject": subject_id or "all",
                  "sites": "all" if sites is None else ", ".join(sites),
                  "records": str(len(rows)), "generated_at": now.isoformat(),
                  "generated_by": names.get(principal.actor.label, principal.actor.label),
                  "allocation": "masked codes" if shown.masked else "as allocated"}
    audit.append(session, chain=audit.study_chain(study.id), actor=principal.actor,
                 action="audit_trail.export", entity="study", entity_id=study.id, at=now,
                 after={"format": fmt, "subject": subject_id, "records": len(rows),
                        "sites": provenance["sites"], "allocation": provenance["allocation"]})
    session.commit()
    return TrailExport(study.key, subject_id, fmt, provenance, rows)


def _names(session: Session, study_id: int) -> dict[str, str]:
    """Actor and chain labels -> what a reader understands (an email, a subject id)."""
    names = {"cli": "server command line"}
    for account_id, email in session.execute(select(Account.id, Account.email)):
        names[f"account:{account_id}"] = email
    for pid, subject in session.execute(select(Participant.id, Participant.subject_id)
                                        .where(Participant.study_id == study_id)):
        names[audit.participant_chain(pid)] = f"participant {subject}"
    return names


def _row(r: AuditRecord, names: dict[str, str], shown: AllocationView) -> dict[str, Any]:
    subject = names.get(r.chain, "").removeprefix("participant ") or None
    obj = f"participant {subject}" if r.entity == "participant" and subject \
        else f"{r.entity} {r.entity_id}"
    return {"when": r.at.isoformat(), "who": names.get(r.actor, r.actor),
            "action": r.action, "object": obj, "subject": subject,
            "before": _masked(r.before, shown), "after": _masked(r.after, shown),
            "reason": r.reason, "signature": r.signature, "chain": r.chain, "seq": r.seq,
            "hash": r.hash, "prev_hash": r.prev_hash}


def _masked(values: Any, shown: AllocationView) -> Any:
    if not (shown.masked and isinstance(values, dict)):
        return values
    out = dict(values)
    if "arm" in out:
        out["arm"] = shown.arm(out["arm"])
    if "sequence" in out:
        out["sequence"] = shown.sequence(out["sequence"])
    if isinstance(out.get("treatments"), list):
        out["treatments"] = [shown.treatment(t) for t in out["treatments"]]
    return out


def render(export: TrailExport) -> Iterator[str]:
    """The file's text in pieces (CSV: one line per record; JSON: one document)."""
    if export.fmt == "json":
        yield json.dumps({"provenance": export.provenance, "columns": list(COLUMNS),
                          "records": export.rows}, indent=1, ensure_ascii=False, default=str)
        return
    from diary.exports.csv_xlsx import neutralise

    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(COLUMNS)
    for row in export.rows:
        out.writerow([neutralise(_cell(row[c])) for c in COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _cell(value: Any) -> str:
    """A readable cell: ``name: value`` pairs for objects, the signer and meaning for a
    signature, plain text otherwise."""
    if value is None:
        return ""
    if isinstance(value, dict):
        if {"signer", "meaning", "signed_at"} <= value.keys():
            return f"{value['signer']} at {value['signed_at']}: {value['meaning']}"
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def _plain(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)
