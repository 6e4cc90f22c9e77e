"""CSRF protection for the pages: a random token in the session, checked on every form post.

The API is exempt: it authenticates with bearer tokens, which a browser never sends by itself.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, request, session

from fleet.errors import Forbidden

FIELD = "csrf_token"


def token() -> str:
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


def init_app(app: Flask) -> None:
    @app.before_request
    def _check():
        if request.method in ("GET", "HEAD", "OPTIONS") or request.path.startswith("/api/"):
            return
        if request.routing_exception is not None:
            return  # no view would run (404, or 405 for a method the URL lacks, e.g. POST /healthz): say so
        sent = request.form.get(FIELD) or request.headers.get("X-CSRF-Token") or ""
        expected = session.get(FIELD, "")
        if not expected or not hmac.compare_digest(sent, expected):
            raise Forbidden("The form has expired or did not come from Fleet. Reload the page and try again.")
