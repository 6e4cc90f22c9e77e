"""Who is calling: bearer tokens for the API, the session cookie for web pages."""

from __future__ import annotations

import functools

from flask import g, request, session

from fleet.db import reading
from fleet.directory import get_directory  # noqa: F401 (the views take it from here)
from fleet.errors import Forbidden, NotAuthenticated
from fleet.extensions import db
from fleet.services.auth import Principal, resolve_token


def current_principal() -> Principal | None:
    """The caller, or None. Resolved once per request."""
    if "principal" in g:
        return g.principal
    principal = None
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        # A short transaction of its own: a hand-over then asks the directory before it
        # touches the database again, so no database lock is held during LDAP calls.
        with reading():
            principal = resolve_token(header[7:].strip())
            db.session.commit()
        if principal is None:
            g.principal = None
            raise NotAuthenticated("The token is unknown, expired or revoked. Log in again.")
    elif "uid" in session and (request.method in ("GET", "HEAD") or not request.path.startswith("/api/")):
        # The session cookie counts for pages and for API reads; API writes need a bearer
        # token, so a page on another site cannot make a browser change anything (CSRF).
        principal = Principal(session["uid"], session.get("name", session["uid"]), frozenset(session.get("roles", [])))
    g.principal = principal
    return principal


def require_principal() -> Principal:
    principal = current_principal()
    if principal is None:
        raise NotAuthenticated("Log in first: send a bearer token from POST /api/v1/auth/token.")
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
