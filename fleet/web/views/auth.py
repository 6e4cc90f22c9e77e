"""Log-in with the directory password, log-out, and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for

from fleet.errors import FleetError
from fleet.security import current_principal, get_directory
from fleet.services import auth as auth_service
from fleet.services.auth import Principal
from fleet.web.views.common import bp, home_for, rerender


@bp.route("/")
def index():
    principal = current_principal()
    return redirect(home_for(principal) if principal else url_for("web.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", form={})
    try:
        person = auth_service.log_in(get_directory(), request.form.get("username", "").strip(),
                                     request.form.get("password", ""))
    except FleetError as exc:
        return rerender("login.html", exc)
    lang = session.get("lang")
    session.clear()
    session.permanent = True
    session.update(uid=person.uid, name=person.name, roles=sorted(person.roles))
    if lang:
        session["lang"] = lang
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        target = ""
    return redirect(target or home_for(Principal(person.uid, person.name, frozenset(person.roles))))


@bp.route("/logout", methods=["POST"])
def logout():
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("web.login"))


@bp.route("/lang/<code>")
def switch_language(code: str):
    """Remember the language chosen with the switch, and go back to the same page (on this site only)."""
    if code in ("ko", "en"):
        session["lang"] = code
    back = urlsplit(request.referrer or "")
    if back.netloc and back.netloc != request.host:
        back = urlsplit("")
    target = back.path + (f"?{back.query}" if back.query else "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("web.index"))
