"""Log-in by LDAP bind; page sessions and bearer tokens kept server-side, stored only as hashes.

A session (a page's cookie or an API token) is a random secret the client holds and a row that
holds the rest: who, the roles the directory gave, when it was made and last used, from where.
It ends at the first of: log-out (the row is deleted), FLEET_IDLE_MINUTES without use, or
FLEET_SESSION_HOURS after the log-in. Use renews the idle clock at most once a minute, so a read
is no database write. Events record log-ins, log-outs, expiries, "log out everywhere" and roles
lost at the actor re-check; they never hold a password or a session's secret or id.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select, update

from fleet.db import MAX_ID, Prepared, read_alone, run, utcnow
from fleet.directory.base import Directory, Person
from fleet.errors import Forbidden, NotAuthenticated, NotFound
from fleet.extensions import db
from fleet.models import ApiToken
from fleet.services.events import append_event

RENEW_EVERY = timedelta(seconds=60)  # the idle clock moves at most this often: a read is no database write
ADDRESS_LENGTH = 64
AGENT_LENGTH = 200


@dataclass(frozen=True)
class LiveSession:
    """The caller's session as the request found it: what a page needs to warn before it ends."""

    id: int
    kind: str  # "page" or "api"
    created_at: datetime
    expires_at: datetime  # the absolute limit
    idle_expires_at: datetime  # the idle limit, as of the last renewal

    @property
    def ends_at(self) -> datetime:
        return min(self.expires_at, self.idle_expires_at)

    def seconds_left(self, now: datetime) -> int:
        """Whole seconds until `ends_at`: what a page counts down on its own clock, whatever the time it shows."""
        return max(0, int((self.ends_at - now).total_seconds()))


@dataclass(frozen=True)
class Principal:
    uid: str
    name: str
    roles: frozenset[str]
    session: LiveSession | None = None

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    person: Person
    session: LiveSession


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _roles_text(roles) -> str:
    return ",".join(sorted(roles))


def _roles_of(text: str) -> frozenset[str]:
    return frozenset(filter(None, text.split(",")))


def _person_event(actor: str, action: str, uid: str, now: datetime, **after) -> None:
    append_event(actor, action, "person", uid, at=now, after=after or None)


def log_in(directory: Directory, username: str, password: str) -> Person:
    """The person behind a directory password; roles are read from the directory now.

    Unknown people, wrong or empty passwords and disabled accounts are all refused
    with the same message, so that nobody can probe which accounts exist.
    """
    person = directory.authenticate(username, password) if username and password else None
    if person is None or not person.active:
        raise NotAuthenticated("The user name or password is wrong, or the account is disabled.")
    return person


def _expiry(row, now: datetime, idle: timedelta) -> str | None:
    """Why the session is over ("absolute", "idle", "revoked"), or None while it is live."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at <= now:
        return "absolute"
    if (row.last_used_at or row.created_at) + idle <= now:
        return "idle"
    return None


def start_session(person: Person, *, kind: str, hours: float, idle_minutes: float, address: str | None = None,
                  user_agent: str | None = None, now: datetime | None = None) -> IssuedToken:
    """A new session for a person who just logged in: a random secret, only its SHA-256 stored.

    The person's sessions that are over by now go (each an expiry event), so the list of
    sessions only ever shows live ones and the table does not grow with every log-in.
    """
    now = now or utcnow()
    idle = timedelta(minutes=idle_minutes)
    for row in db.session.execute(select(ApiToken).where(ApiToken.uid == person.uid)).scalars().all():
        why = _expiry(row, now, idle)
        if why:
            _end_expired(row.id, row.uid, row.kind, why, now)
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=hours)
    row = ApiToken(token_hash=_hash(token), kind=kind, uid=person.uid, dn=person.dn, name=person.name,
                   roles=_roles_text(person.roles), created_at=now, last_used_at=now, expires_at=expires_at,
                   address=(address or None) and address[:ADDRESS_LENGTH],
                   user_agent=(user_agent or None) and user_agent[:AGENT_LENGTH])
    db.session.add(row)
    db.session.flush()
    _person_event(person.uid, "auth.logged_in", person.uid, now, kind=kind, address=row.address)
    return IssuedToken(token, expires_at, person, LiveSession(row.id, kind, now, expires_at, now + idle))


def issue_token(directory: Directory, username: str, password: str, *, hours: float, idle_minutes: float = 30,
                address: str | None = None, user_agent: str | None = None,
                now: datetime | None = None) -> IssuedToken:
    """Log in and issue a random bearer token that ends after `hours`, or `idle_minutes` without use."""
    person = log_in(directory, username, password)
    return start_session(person, kind="api", hours=hours, idle_minutes=idle_minutes, address=address,
                         user_agent=user_agent, now=now)


_TOKENS = ApiToken.__table__
# Every authenticated call runs this: built once, no ORM object (see fleet.db.run).
_LOOK_UP = select(_TOKENS.c.id, _TOKENS.c.kind, _TOKENS.c.uid, _TOKENS.c.dn, _TOKENS.c.name, _TOKENS.c.roles,
                  _TOKENS.c.created_at, _TOKENS.c.last_used_at, _TOKENS.c.expires_at,
                  _TOKENS.c.revoked_at).where(_TOKENS.c.token_hash == bindparam("digest"))
_LOOK_UP = Prepared(_LOOK_UP)  # sent straight to the driver (fleet.db.Prepared): every request asks
_RENEW = (update(_TOKENS).where(_TOKENS.c.id == bindparam("session_id"),
                                or_(_TOKENS.c.last_used_at.is_(None), _TOKENS.c.last_used_at <= bindparam("due")))
          .values(last_used_at=bindparam("used_at"), last_address=bindparam("used_from")))


def find_session(secret: str, kind: str):
    """The stored row of a secret (id, uid, dn, roles, times), or None. A page's secret is no API token."""
    if not secret or len(secret) > 200:
        return None
    row = read_alone(_LOOK_UP, {"digest": _hash(secret)}).one_or_none()
    return row if row is not None and row.kind == kind else None


def expiry_of(row, now: datetime, idle_minutes: float) -> str | None:
    """Why this session is over ("absolute", "idle" or "revoked"), or None while it is live."""
    return _expiry(row, now, timedelta(minutes=idle_minutes))


def principal_of(row, idle_minutes: float) -> Principal:
    used = row.last_used_at or row.created_at
    live = LiveSession(row.id, row.kind, row.created_at, row.expires_at, used + timedelta(minutes=idle_minutes))
    return Principal(row.uid, row.name or row.uid, _roles_of(row.roles), live)


def renewal_due(row, now: datetime) -> bool:
    return (row.last_used_at or row.created_at) + RENEW_EVERY <= now


def renew(session_id: int, now: datetime, address: str | None = None) -> bool:
    """Move the idle clock to `now`, unless another request did so less than a minute ago."""
    result = run(_RENEW, {"session_id": session_id, "due": now - RENEW_EVERY, "used_at": now,
                          "used_from": (address or None) and address[:ADDRESS_LENGTH]})
    return result.rowcount > 0


def extend(session: LiveSession, idle_minutes: float, address: str | None = None,
           now: datetime | None = None) -> LiveSession:
    """Renew the idle clock now, whenever it was last renewed (a person asked to stay logged in)."""
    now = now or utcnow()
    run(_RENEW, {"session_id": session.id, "due": now, "used_at": now,
                 "used_from": (address or None) and address[:ADDRESS_LENGTH]})
    return replace(session, idle_expires_at=now + timedelta(minutes=idle_minutes))


def _end_expired(session_id: int, uid: str, kind: str, why: str, now: datetime) -> bool:
    gone = db.session.execute(delete(ApiToken).where(ApiToken.id == session_id)
                              .execution_options(synchronize_session=False)).rowcount
    if gone:
        _person_event(uid, "auth.session_expired", uid, now, kind=kind, limit=why)
    return bool(gone)


def end_expired(row, why: str, now: datetime | None = None) -> bool:
    """End a session found over (idle or absolute limit): the row goes, with an expiry event (once)."""
    return _end_expired(row.id, row.uid, row.kind, why, now or utcnow())


def log_out(session: LiveSession, principal: Principal, now: datetime | None = None) -> bool:
    """End the caller's own session: its row is deleted, so a copied cookie or token no longer works."""
    now = now or utcnow()
    gone = db.session.execute(delete(ApiToken).where(ApiToken.id == session.id, ApiToken.uid == principal.uid)
                              .execution_options(synchronize_session=False)).rowcount
    if gone:
        _person_event(principal.uid, "auth.logged_out", principal.uid, now, kind=session.kind)
    db.session.flush()
    return bool(gone)


def revoke_token(token: str, now: datetime | None = None) -> bool:
    """End the session of a token (log out). Answers whether a live one was ended."""
    row = find_session(token, "api")
    if row is None or row.revoked_at is not None:
        return False
    principal = principal_of(row, 0)
    return log_out(principal.session, principal, now)


def end_all_sessions(uid: str, actor: str, reason: str, now: datetime | None = None) -> int:
    """Log a person out everywhere: every page session and token of theirs ends at once.

    `reason`: `self` (they asked), `it` (IT staff did it for them), `leaver` (the directory sync
    found them gone or disabled), `disabled` or `removed` (the actor re-check did). One event,
    when there was anything to end.
    """
    now = now or utcnow()
    kinds = list(db.session.execute(select(ApiToken.kind).where(ApiToken.uid == uid)).scalars())
    gone = db.session.execute(delete(ApiToken).where(ApiToken.uid == uid)
                              .execution_options(synchronize_session=False)).rowcount
    if gone or reason in ("self", "it"):
        _person_event(actor, "auth.logged_out_everywhere", uid, now, reason=reason, pages=kinds.count("page"),
                      tokens=kinds.count("api"))
    db.session.flush()
    return gone


def list_sessions(uid: str, idle_minutes: float, now: datetime | None = None) -> list[ApiToken]:
    """A person's live sessions and tokens, newest first (created, last used, from where)."""
    now = now or utcnow()
    idle = timedelta(minutes=idle_minutes)
    rows = db.session.execute(select(ApiToken).where(ApiToken.uid == uid)
                              .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).scalars()
    return [row for row in rows if _expiry(row, now, idle) is None]


def idle_ends_at(row: ApiToken, idle_minutes: float) -> datetime:
    return (row.last_used_at or row.created_at) + timedelta(minutes=idle_minutes)


def end_session(session_id: int, principal: Principal, now: datetime | None = None) -> str:
    """End one session: one's own, or anyone's for IT staff. 404 for a session that is not there. Returns whose
    session it was."""
    now = now or utcnow()
    row = db.session.get(ApiToken, session_id) if 0 < session_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"There is no session {session_id}.")
    if row.uid != principal.uid:
        if not principal.has("it"):
            raise NotFound(f"There is no session {session_id}.")  # others' sessions are not shown to exist
    db.session.delete(row)
    db.session.flush()
    _person_event(principal.uid, "auth.logged_out", row.uid, now, kind=row.kind,
                  by="self" if row.uid == principal.uid else "it")
    return row.uid


def check_can_end_others(principal: Principal, uid: str) -> None:
    if uid != principal.uid and not principal.has("it"):
        raise Forbidden("Only IT staff can end another person's sessions.")


def apply_roles(uid: str, before: frozenset[str], after: frozenset[str], now: datetime | None = None) -> bool:
    """The actor re-check found other roles: the person's sessions carry the new ones from now on.

    A conditional update, so that of several processes finding the same change only one records
    it: `auth.role_lost` when a role went (the request then gets 403 where it needed it),
    `auth.role_gained` when one came.
    """
    now = now or utcnow()
    changed = db.session.execute(update(ApiToken).where(ApiToken.uid == uid, ApiToken.roles != _roles_text(after))
                                 .values(roles=_roles_text(after)).execution_options(synchronize_session=False))
    if not changed.rowcount:
        return False
    lost, gained = sorted(before - after), sorted(after - before)
    if lost:
        _person_event("fleet", "auth.role_lost", uid, now, lost=lost, roles=sorted(after))
    if gained:
        _person_event("fleet", "auth.role_gained", uid, now, gained=gained, roles=sorted(after))
    return True
