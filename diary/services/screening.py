"""Eligibility screening before enrolment, and the check enrolment makes against it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import Screening, Study
from diary.errors import Conflict, RuleViolation
from diary.protocol.model import Protocol
from diary.services.answers import scored
from diary.services.principals import Principal
from diary.services.studies import get_study


def record_screening(session: Session, principal: Principal, study_key: str, *,
                     screening_number: str, site: str, instrument: str,
                     answers: dict[str, Any], now: datetime) -> Screening:
    """Score a screening questionnaire against the protocol's rules and keep the verdict."""
    study, protocol = get_study(session, principal, study_key)
    principal.require(study.id, "write", site)
    if protocol.sites and site not in protocol.sites:
        raise RuleViolation(f"must be one of {', '.join(protocol.sites)}", field="site")
    rules = [r for r in protocol.screening if r.instrument == instrument]
    if not rules:
        screened = sorted({r.instrument for r in protocol.screening}) or ["nothing"]
        raise RuleViolation(f"this study screens with {', '.join(screened)}",
                            field="instrument")
    inst, scores = scored(instrument, answers, protocol.instrument_options)
    verdicts = [{"rule": str(r), "value": scores[r.scale]["value"],
                 "passed": r.passes(scores[r.scale]["value"])} for r in rules]
    row = Screening(study_id=study.id, screening_number=screening_number, site=site,
                    instrument=inst.id, instrument_version=inst.version, answers=answers,
                    scores=scores, eligible=all(v["passed"] for v in verdicts),
                    verdicts=verdicts, recorded_at=now, recorded_by=principal.account_id)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"{screening_number} already has a {instrument} screening",
                       field="screening_number") from None
    audit.append(session, chain=audit.study_chain(study.id), actor=principal.actor,
                 action="screening.record", entity="screening", entity_id=row.id, at=now,
                 after={"screening_number": screening_number, "instrument": inst.id,
                        "scores": {k: v["value"] for k, v in scores.items()},
                        "eligible": row.eligible})
    session.commit()
    return row


def check_screening(session: Session, study: Study, protocol: Protocol,
                    screening_number: str | None, override: str | None,
                    site: str) -> list[Screening]:
    """The screenings enrolment relies on; refuses a failed or missing one unless overridden.

    Only screenings recorded at the enrolment's own ``site`` count: one from another site
    is answered as if it did not exist (its verdict is not named, and an override does not
    link it), so a site-limited coordinator learns nothing of other sites (issue 17).
    Returns the screenings to link to the new participant.
    """
    if not protocol.screening:
        return []
    if override is not None and not override.strip():
        raise RuleViolation("an override needs a reason", field="screening_override")
    if screening_number is None:
        if override:
            return []
        raise RuleViolation("this study screens before enrolment: send the screening_number "
                            "(or a screening_override with a reason)", field="screening_number")
    rows = session.scalars(select(Screening).where(
        Screening.study_id == study.id, Screening.screening_number == screening_number,
        Screening.site == site)).all()
    linked = [r for r in rows if r.participant_id is not None]
    if linked:
        raise Conflict(f"screening {screening_number} belongs to an enrolled participant",
                       field="screening_number")
    done = {r.instrument for r in rows}
    missing = sorted({r.instrument for r in protocol.screening} - done)
    failed = [v for r in rows for v in r.verdicts if not v["passed"]]
    problems = [f"no {m} screening recorded" for m in missing] + [
        f"{v['rule']} not met (score {v['value']})" for v in failed]
    if problems and not override:
        raise RuleViolation(f"screening {screening_number}: {'; '.join(problems)}; a "
                            "coordinator may enrol anyway with screening_override and a reason",
                            field="screening_number", code="screening_failed")
    return list(rows)
