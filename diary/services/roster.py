"""The participants a caller may see in a study, and enrolment and diary completion by
site: the coordinators' list (API) and the study page (dashboard) read them here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from diary.db.models import Participant, Study
from diary.protocol.model import Protocol
from diary.services.completion import Completion, DayCompletion, study_completion
from diary.services.principals import Principal


def visible(who: Principal, study: Study, site: str | None = None) -> Select:
    """The study's participants at the caller's sites (and at ``site`` when given)."""
    stmt = select(Participant).where(Participant.study_id == study.id)
    sites = who.sites(study.id)
    if sites is not None:
        stmt = stmt.where(Participant.site.in_(sites))
    if site:
        stmt = stmt.where(Participant.site == site)
    return stmt


@dataclass(frozen=True)
class SiteSummary:
    """Enrolment and diary completion at one site (or, with ``site`` None, all shown)."""

    site: str | None
    enrolled: int
    active: int
    withdrawn: int
    due_today: int
    done_today: int
    recent_expected: int
    recent_completed: int
    expected: int
    completed: int

    @property
    def recent_rate(self) -> float | None:
        return self.recent_completed / self.recent_expected if self.recent_expected else None

    @property
    def rate(self) -> float | None:
        return self.completed / self.expected if self.expected else None


def _summary(site: str | None, rows: list[tuple[Participant, Completion]]) -> SiteSummary:
    active = [(p, c) for p, c in rows if p.withdrawn_at is None]
    return SiteSummary(
        site, len(rows), len(active), len(rows) - len(active),
        # today's diary counts for those still in the study only; past days for everyone
        due_today=sum(c.today_due for _, c in active),
        done_today=sum(c.today_due and c.today_done for _, c in active),
        recent_expected=sum(c.recent_expected for _, c in rows),
        recent_completed=sum(c.recent_completed for _, c in rows),
        expected=sum(c.expected_days for _, c in rows),
        completed=sum(c.completed_days for _, c in rows))


@dataclass(frozen=True)
class Roster:
    participants: list[tuple[Participant, Completion]]  # by subject id
    sites: list[SiteSummary]  # one per site in the protocol's order, then the total
    trend: list[DayCompletion]


def roster(session: Session, who: Principal, study: Study, protocol: Protocol,
           now: datetime, *, site: str | None = None, trend_days: int = 28) -> Roster:
    """Every participant the caller sees with their completion, summed by site."""
    people = list(session.scalars(visible(who, study, site).order_by(Participant.subject_id)))
    done, trend = study_completion(session, protocol, people, now, trend_days=trend_days)
    rows = [(p, done[p.id]) for p in people]
    order = list(protocol.sites) + sorted({p.site for p in people} - set(protocol.sites))
    shown = [s for s in order if any(p.site == s for p in people)]
    sites = [_summary(s, [(p, c) for p, c in rows if p.site == s]) for s in shown]
    return Roster(rows, [*sites, _summary(None, rows)], trend)
