"""Who is calling: bearer tokens for the API, the page session cookie for web pages.

Both are random secrets whose state lives in the database (fleet.services.auth). Resolving
one is a read; the rare writes (the idle clock, at most once a minute; an expired session
ended; the actor re-check's findings) are short transactions of their own, committed at once,
so that no database lock is held while the directory is asked and what they record stands
even when the request then fails with 401 or 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TypeVar

from flask import current_app, g, request
from sqlalchemy.exc import OperationalError

from fleet.db import utcnow, writing
from fleet.directory import get_directory  # noqa: F401 (the views take it from here)
from fleet.errors import Forbidden, NotAuthenticated
from fleet.extensions import db
from fleet.services import auth as auth_service
from fleet.services.actor_check import ActorChecks
from fleet.services.auth import Principal

SESSION_COOKIE = "fleet_session"  # the page session: the random secret and nothing else
T = TypeVar("T")

ENDED_DETAIL = {
    "expired": "The session has expired. Log in again.",
    "disabled": "The account is disabled in the staff directory; its sessions and tokens have ended.",
    "removed": "The account is no longer in the staff directory; its sessions and tokens have ended.",
}


def get_actor_checks() -> ActorChecks:
    return current_app.extensions["fleet_actor_checks"]


def remember_log_in(person) -> None:
    """A log-in just read the person's status and roles: the re-check counts from now."""
    get_actor_checks().remember(person.uid, True, frozenset(person.roles))


def keep_idle_clock(view):
    """For views that tell the time left (GET /api/v1/auth/session): asking must not renew the session."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        g.keep_idle_clock = True
        return view(*args, **kwargs)

    return wrapped


def current_principal() -> Principal | None:
    """The caller, or None. Resolved once per request."""
    if "principal" in g:
        return g.principal
    g.principal = None
    principal = None
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        principal = _resolve(header[7:].strip(), "api")
        if principal is None:
            raise NotAuthenticated(ENDED_DETAIL.get(g.get("session_ended"), "")
                                   or "The token is unknown, expired or revoked. Log in again.")
    elif request.method in ("GET", "HEAD") or not request.path.startswith("/api/"):
        # The session cookie counts for pages and for API reads; API writes need a bearer
        # token, so a page on another site cannot make a browser change anything (CSRF).
        secret = request.cookies.get(SESSION_COOKIE, "")
        if secret:
            principal = _resolve(secret, "page")
    g.principal = principal
    return principal


def _write(change: Callable[[], T], *, quiet: bool = False) -> T | None:
    """Run `change` in a short write transaction and commit it; `quiet`: a busy database skips it."""
    with writing():
        try:
            result = change()
            db.session.commit()
        except OperationalError:
            db.session.rollback()
            if not quiet:
                raise
            return None
    return result


def _resolve(secret: str, kind: str) -> Principal | None:
    """The principal of a live session, its roles re-checked and its idle clock renewed; None when over."""
    idle = current_app.config["FLEET_IDLE_MINUTES"]
    now = utcnow()
    # Read alone (fleet.db.read_alone): a hand-over then asks the directory before it touches the database
    # again, so no database lock or snapshot is held during LDAP calls.
    row = auth_service.find_session(secret, kind)
    if row is None:
        return None
    why = auth_service.expiry_of(row, now, idle)
    if why:
        _write(lambda: auth_service.end_expired(row, why, now))
        g.session_ended = "expired"
        return None
    principal = _recheck(auth_service.principal_of(row, idle), row.dn)
    if principal is None:
        return None
    if not g.get("keep_idle_clock") and auth_service.renewal_due(row, now):
        if _write(lambda: auth_service.renew(row.id, now, request.remote_addr), quiet=True):
            session = replace(principal.session, idle_expires_at=now + timedelta(minutes=idle))
            principal = replace(principal, session=session)
    return principal


def _recheck(principal: Principal, dn: str | None) -> Principal | None:
    """The caller's status and roles as the directory gave them at most FLEET_ROLE_RECHECK_SECONDS ago.

    Disabled or removed: every session and token of theirs ends (None: 401, or the log-in page).
    Other roles: they apply from this request on (403 where a lost role was needed). Directory
    down: the roles of the session stand.
    """
    checks = get_actor_checks()
    verdict = checks.fresh(principal.uid)
    asked = verdict is None
    if asked:
        verdict = checks.check(get_directory(), principal.uid, dn)
    if verdict.active is False:
        if asked:
            _write(lambda: auth_service.end_all_sessions(principal.uid, "fleet", verdict.reason or "removed",
                                                         utcnow()))
        g.session_ended = verdict.reason
        return None
    if verdict.active is None or verdict.roles is None or verdict.roles == principal.roles:
        return principal
    if asked:
        _write(lambda: auth_service.apply_roles(principal.uid, principal.roles, verdict.roles, utcnow()), quiet=True)
    return replace(principal, roles=verdict.roles)


def require_principal() -> Principal:
    principal = current_principal()
    if principal is None:
        raise NotAuthenticated(ENDED_DETAIL.get(g.get("session_ended"), "")
                               or "Log in first: send a bearer token from POST /api/v1/auth/token.")
    return principal


def roles_required(*roles: str):
    """Decorator for views: the caller must hold one of `roles` (any logged-in person if none given)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            principal = require_principal()
            if roles and not principal.has(*roles):
                raise Forbidden(f"This needs the role {' or '.join(roles)}.")
            return view(*args, **kwargs)

        return wrapped

    return decorator
