"""The language a participant's texts are in: theirs if we have a catalog for it, else
their study's (its sites'), else English (diary.i18n.language_for)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from diary.db.models import Participant
from diary.i18n import language_for
from diary.services.entries import protocol_for


def language_of(session: Session, p: Participant) -> str:
    return language_for(p.language, protocol_for(session, p).languages)
