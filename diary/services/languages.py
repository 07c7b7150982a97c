"""A participant's language: one of the study's languages, set at enrolment and changed by
a coordinator (``PUT .../participants/<id>/language``) or the participant
(``PUT /me/language``). Audited. Texts follow it from the next one rendered; a language
without a participant catalog falls back to the study's, then English (diary.i18n)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from diary import audit
from diary.db.models import Participant
from diary.errors import RuleViolation
from diary.protocol.model import Protocol


def check_language(value: object, protocol: Protocol) -> str:
    """``value`` if it is one of the study's languages, else a RuleViolation naming them."""
    if not isinstance(value, str) or value not in protocol.languages:
        raise RuleViolation(f"must be one of the study's languages: "
                            f"{', '.join(protocol.languages)}", field="language")
    return value


def set_language(session: Session, p: Participant, protocol: Protocol, value: str, *,
                 actor: audit.Actor, now: datetime) -> Participant:
    """Set the participant's language; commits (nothing changes when it is the same)."""
    check_language(value, protocol)
    if value == p.language:
        return p
    before, p.language = {"language": p.language}, value
    audit.append(session, chain=audit.participant_chain(p.id), actor=actor,
                 action="participant.language", entity="participant", entity_id=p.id,
                 at=now, before=before, after={"language": value})
    session.commit()
    return p
