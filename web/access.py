"""What the signed-in caller may see and change on a page: the API's own rules
(``get_study``, ``get_participant``, ``Principal.can``, blinding), in one object per page.

Pages never filter by site or check a role themselves: they load through ``study_for`` or
``participant_for`` (a 404 for a study or participant out of reach, worded as if it did
not exist; a 403 for a role too low), and templates ask ``access.can_write(site)`` before
showing a write control, and ``access.sees_allocation`` before showing an arm.
"""

from __future__ import annotations

from dataclasses import dataclass

from diary.api.context import db
from diary.db.models import Participant, Study
from diary.protocol.model import Protocol
from diary.services.blinding import AllocationView, allocation_view, sees_allocation
from diary.services.enrolment import get_participant
from diary.services.principals import Principal
from diary.services.studies import get_study
from web.auth import caller


@dataclass(frozen=True)
class StudyAccess:
    who: Principal
    study: Study
    protocol: Protocol
    shown: AllocationView  # arms, sequences and treatments as this caller may see them

    @property
    def sites(self) -> tuple[str, ...] | None:
        """The sites this caller sees; None: all of them."""
        return self.who.sites(self.study.id)

    @property
    def sees_allocation(self) -> bool:
        """False for blinded staff: pages then show no arm, sequence or treatment at all
        (not even the masked codes the API gives them)."""
        return sees_allocation(self.who, self.study.id, self.protocol)

    def can_write(self, site: str | None = None) -> bool:
        """May change records (at ``site``, or at some site of the study when None)."""
        return self.who.can(self.study.id, "write", site)

    def can_admin(self) -> bool:
        return self.who.can(self.study.id, "admin")


def study_for(key: str, need: str = "read") -> StudyAccess:
    session, who = db(), caller()
    study, protocol = get_study(session, who, key, need=need)
    return StudyAccess(who, study, protocol, allocation_view(session, who, study, protocol))


def participant_for(key: str, subject_id: str,
                    need: str = "read") -> tuple[StudyAccess, Participant]:
    """The participant if the caller may reach it: a 404 for another site's participant,
    the same answer as for one that does not exist."""
    session, who = db(), caller()
    study, protocol, p = get_participant(session, who, key, subject_id, need=need)
    return StudyAccess(who, study, protocol, allocation_view(session, who, study, protocol)), p
