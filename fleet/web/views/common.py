from __future__ import annotations

import functools
from pathlib import Path

from flask import Blueprint, redirect, render_template, request, url_for

from fleet.errors import FleetError
from fleet.problems import STATUS_BY_ERROR
from fleet.security import current_principal

HERE = Path(__file__).resolve().parent.parent
bp = Blueprint("web", __name__, template_folder=str(HERE / "templates"))


def page(*roles: str):
    """A page for logged-in people (holding one of `roles`, if given); others go to the login page."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                return redirect(url_for("web.login", next=request.full_path))
            if roles and not principal.has(*roles):
                return render_template("error.html", status=403, title="Forbidden",
                                       detail="Your role does not allow this page."), 403
            return view(principal, *args, **kwargs)

        return wrapped

    return decorator


def rerender(template: str, error: FleetError, **context):
    """Show the same page again with the error as a sentence and what was typed kept."""
    status = STATUS_BY_ERROR.get(type(error), 400)
    return render_template(template, error=error.detail, field_errors=error.errors or {}, form=request.form,
                           **context), status


def home_for(principal) -> str:
    if principal.has("it"):
        return url_for("web.dashboard")
    if principal.has("auditor"):
        return url_for("web.audit_home")
    return url_for("web.my_page")
