"""Questionnaire responses: validated item by item, scored on receipt, matched to windows.

Participants answer their own; coordinators enter responses for them (issue 13) with a
source (clinician-administered items such as DN4 8-10, a paper form, a call) and a reason.
A staff response is matched to the window open when it was administered (``device_time``),
not when it was typed in. Only staff may answer clinician-examination items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import Participant, QuestionnaireResponse
from diary.errors import Conflict, NotFound, RuleViolation
from diary.fhir.totals import total_warnings
from diary.protocol.model import Protocol
from diary.services.answers import scored
from diary.services.entries import protocol_for
from diary.services.event_diary import add_version
from diary.services.events import schedule_of
from diary.services.medications import CLOCK_SKEW
from diary.services.paging import page_of


@dataclass(frozen=True)
class NewResponse:
    instrument: str
    answers: dict[str, Any]
    client_id: str
    device_time: datetime | None
    window_id: str | None = None
    corrects: str | None = None
    reason: str | None = None
    channel: str = "app"
    source: dict | None = None  # the FHIR resource, when sent as one
    entry_source: str = "participant"  # or a staff source: clinician, paper, phone
    # From a FHIR body (issue 18): an in-progress response the protocol keeps as partial,
    # the form tool's own totals (scale -> (value, path)), and the intake's warnings.
    partial: bool = False
    client_totals: dict[str, Any] = field(default_factory=dict)
    intake_warnings: list[dict] = field(default_factory=list)

    @property
    def by_staff(self) -> bool:
        return self.entry_source != "participant"


@dataclass(frozen=True)
class RecordedResponse:
    response: QuestionnaireResponse
    created: bool


def _replay(session: Session, p: Participant, r: NewResponse) -> RecordedResponse | None:
    row = session.scalar(select(QuestionnaireResponse).where(
        QuestionnaireResponse.participant_id == p.id,
        QuestionnaireResponse.client_id == r.client_id))
    if row is None:
        return None
    if (row.instrument, row.answers, row.entry_source) != (r.instrument, r.answers,
                                                            r.entry_source):
        raise Conflict("this client_id was already used for a different response",
                       field="client_id", code="client_id_reused")
    return RecordedResponse(row, created=False)


def record_response(session: Session, p: Participant, protocol: Protocol, r: NewResponse, *,
                    actor: audit.Actor, now: datetime,
                    recorded_by: int | None = None) -> RecordedResponse:
    """Store a response with its scores, or return the original for a retried client_id.

    The window is the one named, else the open window for this instrument that closes
    first; a response outside every window is kept and marked ``unscheduled``. A second
    response for an answered window must say which response it ``corrects`` and why.
    """
    replay = _replay(session, p, r)
    if replay is not None:
        return replay
    # Staff enter what was administered earlier: the instant that counts (withdrawal,
    # window) is when it was administered, not when it was typed in.
    at = r.device_time if r.by_staff and r.device_time is not None else now
    if r.by_staff and not (r.reason and r.reason.strip()):
        raise RuleViolation("entering data for a participant needs a reason", field="reason")
    if r.by_staff and at > now + CLOCK_SKEW:
        raise RuleViolation("is in the future", field="administered_at")
    if p.withdrawn_at is not None and at >= p.withdrawn_at:
        raise RuleViolation("the participant has withdrawn",
                            field="administered_at" if r.by_staff else "instrument")
    instrument, scores = scored(r.instrument, r.answers, protocol.instrument_options,
                                by_participant=not r.by_staff)
    previous = _corrected(session, p, r) if r.corrects else None
    reason = r.reason.strip() if r.reason else None
    if previous is not None:
        window_id, assessment, timing = previous.window_id, previous.assessment, previous.timing
    else:
        window_id, assessment, timing = _window(session, protocol, p, r, at)
        if timing != "in_window" and protocol.outside_windows == "refuse":
            raise RuleViolation(f"no {r.instrument} window is open now; this study refuses "
                                "responses outside their windows", field="window_id",
                                code="outside_window")
        answered = window_id and session.scalar(select(QuestionnaireResponse).where(
            QuestionnaireResponse.participant_id == p.id,
            QuestionnaireResponse.window_id == window_id,
            QuestionnaireResponse.is_current.is_(True)).with_for_update())
        if answered and answered.partial:
            # A partial (in-progress) response is continued, not answered: the next one for
            # its window is its new version.
            previous, reason = answered, reason or "continues a partial (in-progress) response"
        elif answered:
            raise Conflict(f"this window was answered (response {answered.id}); to correct "
                           "it send corrects with that id and a reason", field="corrects",
                           code="window_answered")
    warnings = [*r.intake_warnings, *total_warnings(
        {k: tuple(v) for k, v in r.client_totals.items()}, scores)]
    row = QuestionnaireResponse(
        participant_id=p.id, instrument=instrument.id, instrument_version=instrument.version,
        answers=r.answers, scores=scores, client_id=r.client_id, device_time=r.device_time,
        received_at=now, window_id=window_id, assessment=assessment, timing=timing,
        version=previous.version + 1 if previous else 1, is_current=True,
        supersedes_id=previous.id if previous else None,
        reason=reason, channel=r.channel, source=r.source,
        recorded_by=recorded_by, entry_source=r.entry_source, partial=r.partial,
        warnings=warnings or None)
    staff = "staff_" if r.by_staff else ""
    try:
        add_version(session, row, previous, participant_id=p.id, actor=actor,
                    entity="questionnaire_response", created=f"questionnaire.{staff}respond",
                    corrected=f"questionnaire.{staff}correct", view=audit_view, now=now)
        session.commit()
    except IntegrityError:
        session.rollback()
        replay = _replay(session, p, r)
        if replay is not None:
            return replay
        raise Conflict("the window was answered by another request; reload and retry",
                       field="window_id", code="concurrent_change") from None
    return RecordedResponse(row, created=True)


def _corrected(session: Session, p: Participant, r: NewResponse) -> QuestionnaireResponse:
    previous = session.scalar(select(QuestionnaireResponse).where(
        QuestionnaireResponse.participant_id == p.id,
        QuestionnaireResponse.id == r.corrects).with_for_update())
    if previous is None:
        raise NotFound("no such response of yours", field="corrects")
    if not previous.is_current:
        raise Conflict("that version was already corrected; correct the current one",
                       field="corrects", code="superseded")
    if previous.instrument != r.instrument:
        raise RuleViolation(f"corrects a {previous.instrument} response", field="instrument")
    if not (r.reason and r.reason.strip()):
        raise RuleViolation("a correction needs a reason", field="reason")
    return previous


def _window(session: Session, protocol: Protocol, p: Participant, r: NewResponse,
            now: datetime) -> tuple[str | None, str | None, str]:
    windows = [w for w in schedule_of(session, protocol, p).windows
               if w.instrument == r.instrument]
    if r.window_id:
        chosen = next((w for w in windows if w.id == r.window_id), None)
        if chosen is None:
            raise RuleViolation(f"not a {r.instrument} window of this participant",
                                field="window_id")
        return chosen.id, chosen.assessment, "in_window" if chosen.is_open(now) \
            else "out_of_window"
    # Several windows of one instrument can be open at once (a course's follow-up and the
    # next course's, issue 13): the first to close that is not answered yet, so each open
    # task can be answered; only when all are answered the first one (a 409 then).
    open_now = sorted((w for w in windows if w.is_open(now)), key=lambda w: w.closes_at)
    if not open_now:
        return None, None, "unscheduled"
    answered = set(session.scalars(select(QuestionnaireResponse.window_id).where(
        QuestionnaireResponse.participant_id == p.id,
        QuestionnaireResponse.window_id.in_([w.id for w in open_now]),
        QuestionnaireResponse.is_current.is_(True)))) if len(open_now) > 1 else set()
    chosen = next((w for w in open_now if w.id not in answered), open_now[0])
    return chosen.id, chosen.assessment, "in_window"


def audit_view(row: QuestionnaireResponse) -> dict:
    return {"id": row.id, "instrument": row.instrument, "version": row.version,
            "instrument_version": row.instrument_version, "answers": row.answers,
            "scores": {k: v["value"] for k, v in row.scores.items()},
            "window_id": row.window_id, "timing": row.timing, "channel": row.channel,
            "entry_source": row.entry_source, "recorded_by": row.recorded_by,
            "device_time": row.device_time, "partial": row.partial, "warnings": row.warnings}


def list_responses(session: Session, participant_id: str, *, page: int, page_size: int,
                   include_superseded: bool = True) -> tuple[list[QuestionnaireResponse], int]:
    stmt = select(QuestionnaireResponse).where(
        QuestionnaireResponse.participant_id == participant_id)
    if not include_superseded:
        stmt = stmt.where(QuestionnaireResponse.is_current.is_(True))
    return page_of(session, stmt, QuestionnaireResponse.received_at.desc(),
                   QuestionnaireResponse.version.desc(), page=page, page_size=page_size)


@dataclass(frozen=True)
class Rescored:
    checked: int
    changed: list[str]  # response ids whose scores changed


def rescore(session: Session, *, actor: audit.Actor, now: datetime,
            study_id: int | None = None, instrument: str | None = None) -> Rescored:
    """Recompute stored scores with today's scoring rules (after a rule was fixed).

    Raw answers never change; a score that differs is replaced and its old and new
    values go to the audit trail. Every version is rescored, superseded ones too, with
    the scoring options of its study's current protocol (``instrument_options``).
    """
    stmt = select(QuestionnaireResponse).order_by(QuestionnaireResponse.received_at)
    if study_id is not None:
        stmt = stmt.join(Participant).where(Participant.study_id == study_id)
    if instrument is not None:
        stmt = stmt.where(QuestionnaireResponse.instrument == instrument)
    checked, changed = 0, []
    options: dict[int, dict] = {}  # study id -> its protocol's instrument options
    for row in session.scalars(stmt).all():
        checked += 1
        p = session.get(Participant, row.participant_id)
        if p.study_id not in options:
            options[p.study_id] = protocol_for(session, p).instrument_options
        inst, scores = scored(row.instrument, row.answers, options[p.study_id])
        if scores == row.scores and inst.version == row.instrument_version:
            continue
        before = {"instrument_version": row.instrument_version, "scores": row.scores}
        row.scores, row.instrument_version = scores, inst.version
        audit.append(session, chain=audit.participant_chain(row.participant_id), actor=actor,
                     action="questionnaire.rescore", entity="questionnaire_response",
                     entity_id=row.id, at=now, before=before,
                     after={"instrument_version": inst.version, "scores": scores},
                     reason="scoring rule changed")
        changed.append(row.id)
    session.commit()
    return Rescored(checked, changed)
