"""Log-in by LDAP bind, bearer tokens stored only as hashes, revocation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select

from fleet.db import run, utcnow
from fleet.directory.base import Directory, Person
from fleet.errors import NotAuthenticated
from fleet.extensions import db
from fleet.models import ApiToken


@dataclass(frozen=True)
class Principal:
    uid: str
    name: str
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    person: Person


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def log_in(directory: Directory, username: str, password: str) -> Person:
    """The person behind a directory password; roles are read from the directory now.

    Unknown people, wrong or empty passwords and disabled accounts are all refused
    with the same message, so that nobody can probe which accounts exist.
    """
    person = directory.authenticate(username, password) if username and password else None
    if person is None or not person.active:
        raise NotAuthenticated("The user name or password is wrong, or the account is disabled.")
    return person


def issue_token(directory: Directory, username: str, password: str, *, hours: float,
                now: datetime | None = None) -> IssuedToken:
    """Log in and issue a random bearer token that expires after `hours`."""
    person = log_in(directory, username, password)
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=hours)
    db.session.add(ApiToken(token_hash=_hash(token), uid=person.uid, name=person.name,
                            roles=",".join(sorted(person.roles)), created_at=now, expires_at=expires_at))
    db.session.flush()
    return IssuedToken(token, expires_at, person)


_TOKENS = ApiToken.__table__
# Every authenticated API call runs this: built once, no ORM object (see fleet.db.run).
_LOOK_UP_TOKEN = select(_TOKENS.c.uid, _TOKENS.c.name, _TOKENS.c.roles, _TOKENS.c.expires_at,
                        _TOKENS.c.revoked_at).where(_TOKENS.c.token_hash == bindparam("digest"))


def resolve_token(token: str, now: datetime | None = None) -> Principal | None:
    """The principal of a live token; None when unknown, expired or revoked."""
    if not token or len(token) > 200:
        return None
    row = run(_LOOK_UP_TOKEN, {"digest": _hash(token)}).one_or_none()
    now = now or utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return Principal(row.uid, row.name or row.uid, frozenset(filter(None, row.roles.split(","))))


def revoke_token(token: str, now: datetime | None = None) -> bool:
    """Revoke a token (log out). Answers whether a live token was revoked."""
    row = db.session.execute(select(ApiToken).where(ApiToken.token_hash == _hash(token))).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    db.session.flush()
    return True
