"""Who is calling, and what they may do in which study (and at which sites)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from diary import audit
from diary.audit import Actor
from diary.db.models import Account, ApiToken, Participant, ProtocolVersion, Study, StudyRole
from diary.errors import Forbidden, Unauthorized
from diary.security import token_hash

LEVELS = {"viewer": 1, "coordinator": 2, "admin": 3}
NEEDS = {"read": 1, "write": 2, "admin": 3}


@dataclass(frozen=True)
class StaffRole:
    role: str
    sites: tuple[str, ...] | None  # None: every site
    unblinded: bool = False  # may see the allocation of a blinded study (issue 13)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a staff account or a participant's device."""

    actor: Actor
    account_id: int | None = None
    is_superuser: bool = False
    participant_id: str | None = None
    # For participant tokens: the row and the hash of the study's current protocol, loaded with the
    # token (not part of the caller's identity, hence left out of comparisons).
    participant: Participant | None = field(default=None, compare=False, repr=False)
    protocol_sha256: str | None = field(default=None, compare=False)
    roles: dict[int, StaffRole] = field(default_factory=dict)
    # The server's command line sees every allocation; accounts need the grant per study.
    unblinded_everywhere: bool = False
    # The token the caller came with (a password change keeps it, revokes the others).
    token_id: int | None = field(default=None, compare=False)

    @property
    def is_participant(self) -> bool:
        return self.participant_id is not None

    def can(self, study_id: int, need: str, site: str | None = None) -> bool:
        if self.is_superuser:
            return True
        role = self.roles.get(study_id)
        if role is None or LEVELS[role.role] < NEEDS[need]:
            return False
        return site is None or role.sites is None or site in role.sites

    def unblinded(self, study_id: int) -> bool:
        """Holds the ``unblinded`` grant in this study. Being a superuser is not enough:
        an administrator who must see an allocation grants it to themselves, audited."""
        if self.unblinded_everywhere:
            return True
        role = self.roles.get(study_id)
        return role is not None and role.unblinded

    def sites(self, study_id: int) -> tuple[str, ...] | None:
        """The sites this caller may see in a study; None means all of them."""
        if self.is_superuser:
            return None
        role = self.roles.get(study_id)
        return role.sites if role else ()

    def require(self, study_id: int, need: str, site: str | None = None) -> None:
        if self.is_participant:
            raise Forbidden("participant tokens cannot use the coordinator API")
        if not self.can(study_id, need, site):
            # Callers without any role never get here: get_study answers them "no study".
            where = f" at site {site}" if site else ""
            raise Forbidden(f"your role in this study does not allow {need} access{where}")

    def require_superuser(self) -> None:
        if not self.is_superuser:
            raise Forbidden("only an administrator account may do this")


_PARTICIPANT_COLUMNS = [c.key for c in Participant.__table__.columns]
# Core tables, not ORM entities: the statement is run on the session's connection, which
# skips the ORM's per-execution work (every authenticated request runs it).
_TOKENS, _ACCOUNTS, _PARTICIPANTS = ApiToken.__table__, Account.__table__, Participant.__table__
_STUDIES, _VERSIONS = Study.__table__, ProtocolVersion.__table__
_TOKEN_QUERY = (
    select(_TOKENS.c.account_id, _TOKENS.c.expires_at, _TOKENS.c.revoked_at,
           _TOKENS.c.id.label("token_id"), _TOKENS.c.created_at.label("token_created_at"),
           _TOKENS.c.last_used_at, _ACCOUNTS.c.disabled_at,
           *_PARTICIPANTS.columns, _VERSIONS.c.sha256)
    .select_from(_TOKENS)
    .outerjoin(_ACCOUNTS, _ACCOUNTS.c.id == _TOKENS.c.account_id)
    .outerjoin(_PARTICIPANTS, _PARTICIPANTS.c.id == _TOKENS.c.participant_id)
    .outerjoin(_STUDIES, _STUDIES.c.id == _PARTICIPANTS.c.study_id)
    .outerjoin(_VERSIONS, (_VERSIONS.c.study_id == _STUDIES.c.id)
               & (_VERSIONS.c.version == _STUDIES.c.current_version))
    .where(_TOKENS.c.token_hash == bindparam("h"))
)
_TOUCH = (update(_TOKENS).where(_TOKENS.c.id == bindparam("tid"))
          .values(last_used_at=bindparam("now")))


# A device token's last use is written at most this often: idle expiry counts in days,
# and a write per request would double the diary path's database work.
TOUCH_EVERY = timedelta(minutes=10)


def authenticate(session: Session, token: str, now: datetime,
                 request_id: str | None = None, *,
                 device_idle: timedelta | None = None) -> Principal:
    """Resolve a bearer token; raises ``Unauthorized`` when unknown, expired or revoked,
    when its account is disabled, or when a device token went unused for ``device_idle``.

    A participant's token comes back with its participant row and the study's current
    protocol version in the same query: the diary path needs all three on every request.
    """
    row = session.connection().execute(_TOKEN_QUERY, {"h": token_hash(token)}).one_or_none()
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
        raise Unauthorized("invalid or expired token")
    if row.disabled_at is not None:
        raise Unauthorized("invalid or expired token")
    if row.id is not None:  # the participant columns are filled: a device token
        last_used = row.last_used_at or row.token_created_at
        if device_idle and last_used + device_idle <= now:
            _expire_idle(session, row.token_id, row.id, last_used, now)
            raise Unauthorized(f"this device was not used for {device_idle.days} days and "
                               "was signed out; ask your site for a new activation code",
                               code="device_idle")
        if last_used + TOUCH_EVERY <= now or row.last_used_at is None:
            session.connection().execute(_TOUCH, {"tid": row.token_id, "now": now})
            session.commit()  # its own transaction: the request may end in a rollback
        # A detached row object: the request reads it, and writes go through Core.
        p = Participant(**{c: row._mapping[c] for c in _PARTICIPANT_COLUMNS})
        actor = Actor(f"participant:{p.id}", None, request_id)
        return Principal(actor, participant_id=p.id, participant=p,
                         protocol_sha256=row.sha256, token_id=row.token_id)
    account = session.get(Account, row.account_id)
    roles = {
        r.study_id: StaffRole(r.role, tuple(r.sites) if r.sites is not None else None,
                              r.unblinded)
        for r in session.scalars(select(StudyRole).where(StudyRole.account_id == account.id))
    }
    return Principal(Actor(f"account:{account.id}", account.id, request_id),
                     account_id=account.id, is_superuser=account.is_superuser, roles=roles,
                     token_id=row.token_id)


def _expire_idle(session: Session, token_id: int, participant_id: str,
                 last_used: datetime, now: datetime) -> None:
    """Revoke an idle device token and audit it once (later uses are plain 401s)."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id)
                    .values(revoked_at=now))
    audit.append(session, chain=audit.participant_chain(participant_id),
                 actor=Actor("system"), action="token.expire", entity="api_token",
                 entity_id=token_id, at=now, after={"why": "idle", "last_used": last_used})
    session.commit()


def cli_principal(*, unblinded: bool = True) -> Principal:
    """The operator at the server's command line acts with full rights; ``unblinded``
    false shows allocations as blinded staff see them (``export endpoints --masked``)."""
    return Principal(Actor("cli"), is_superuser=True, unblinded_everywhere=unblinded)


def participant_of(session: Session, principal: Principal) -> Participant:
    if principal.participant_id is None:
        raise Forbidden("this endpoint is for participants' devices")
    return principal.participant or session.get(Participant, principal.participant_id)
