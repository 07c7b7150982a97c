"""``MED oxycodone 5mg``: an intake recorded by text, taken now (issue 6).

The route is oral: a text names no route, and participants at home take tablets; a
patch needs a delivery rate and a wear time a text cannot carry well, so patches (and
drugs without an oral form) are refused with a reply pointing to the app. The
MessageSid is the client id, so a retried webhook stores nothing twice. Every refusal
is a short reply, never an error response.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import Participant
from diary.errors import DomainError
from diary.medication import IntakeError, load_table, normalise_intake
from diary.medication.vocabulary import unit_code
from diary.services.entries import protocol_for
from diary.services.medications import NewIntake, record_intake
from diary.timezones import zone

from . import replies
from .grammar import Medication


def record_sms_intake(session: Session, p: Participant, cmd: Medication, sid: str,
                      now: datetime, lang: str = "en") -> tuple[str, str]:
    """The reply and the outcome logged with the inbound message."""
    if cmd.unit is None:
        return replies.say(lang, replies.MED_UNIT), "unclear"
    protocol = protocol_for(session, p)
    table = load_table(protocol.medication_table)
    drug = table.find(cmd.drug)
    if drug is None:
        try:
            normalise_intake(cmd.drug, cmd.dose, cmd.unit, "oral", table=table)
            suggestions: tuple[str, ...] = ()
        except IntakeError as exc:
            suggestions = exc.suggestions
        return replies.unknown_drug(cmd.drug, suggestions, lang=lang), "unknown_drug"
    if "oral" not in drug.routes:
        patch = "transdermal" in drug.routes
        return replies.not_by_text(drug.code, patch=patch, lang=lang), "refused"
    n = NewIntake(drug=drug.code, dose=cmd.dose, unit=cmd.unit, route="oral", taken_at=now,
                  client_id=sid, rescue=cmd.rescue, channel="sms")
    try:
        row = record_intake(session, p, protocol, n, actor=audit.Actor(f"participant:{p.id}"),
                            now=now).intake
    except DomainError as exc:
        session.rollback()
        return replies.refused(exc.message, lang=lang), "refused"
    at = now.astimezone(zone(p.timezone)).strftime("%H:%M")
    shown = row.mme if drug.is_opioid else None
    unit = unit_code(cmd.unit) or cmd.unit
    return (replies.medication_recorded(drug.code, cmd.dose, unit, at, shown, cmd.rescue,
                                        lang=lang),
            "medication_recorded")
