"""The FHIR intake settings of the calling participant's study (protocol ``fhir`` section)."""

from __future__ import annotations

from diary.api.context import db, principal
from diary.protocol.model import FhirIntake
from diary.services.entries import protocol_for
from diary.services.principals import participant_of


def current_intake() -> FhirIntake:
    """Aliases and the in-progress rule of the caller's current protocol."""
    session, who = db(), principal()
    p = participant_of(session, who)
    return protocol_for(session, p, who.protocol_sha256).fhir
