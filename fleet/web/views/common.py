"""What every page shares: the blueprint, the role check, errors shown on the page where they happened."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext

from fleet.errors import FleetError
from fleet.extensions import db
from fleet.problems import STATUS_BY_ERROR
from fleet.security import current_principal
from fleet.services import centers as center_service

HERE = Path(__file__).resolve().parent.parent
bp = Blueprint("web", __name__, template_folder=str(HERE / "templates"))


def page(*roles: str):
    """A page for logged-in people (holding one of `roles`, if given); others go to the login page."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                ended = g.get("session_ended")  # expired, disabled or removed: the log-in page says so
                return redirect(url_for("web.login", next=request.full_path.rstrip("?"),
                                        **({"ended": ended} if ended else {})))
            if roles and not principal.has(*roles):
                return render_template("error.html", status=403, title=gettext("Forbidden"),
                                       detail=gettext("Your role does not allow this page.")), 403
            return view(principal, *args, **kwargs)

        return wrapped

    return decorator


def status_of(error: FleetError) -> int:
    return STATUS_BY_ERROR.get(type(error), 400)


def refused(error: FleetError) -> int:
    """Undo what the refused change began, so the page can be drawn again; answers the error's status.

    The request ends in an error status, which rolls back anyway; rolling back now also
    clears a session that a failed flush left unusable.
    """
    db.session.rollback()
    return status_of(error)


def rerender(template: str, error: FleetError, context: Callable[[], dict] | None = None, *, form=None, **fixed):
    """Show the same page again with the error as a sentence and what was typed kept.

    `context` gathers what the page needs from the database, after the refused change is undone.
    """
    status = refused(error)
    return render_template(template, error=error.detail, field_errors=error.errors or {},
                           form=request.form if form is None else form, **(context() if context else {}),
                           **fixed), status


def all_centers():
    """Every center, for the pick lists (a few dozen at most)."""
    return center_service.list_centers(limit=500).items


def home_for(principal) -> str:
    if principal.has("it"):
        return url_for("web.dashboard")
    if principal.has("auditor"):
        return url_for("web.audit_home")
    if principal.has("privacy"):
        return url_for("privacy.access_log")
    return url_for("web.my_page")
