"""Log-in with the directory password, log-out, one's sessions, and the language switch.

The page session is server-side (fleet.services.auth): the `fleet_session` cookie holds only a
random secret. Flask's own signed cookie keeps only the language and the form token (CSRF).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, jsonify, redirect, render_template, request, session, url_for

from fleet.access_log.recording import note_access
from fleet.errors import FleetError, NotAuthenticated
from fleet.security import SESSION_COOKIE, current_principal, get_directory, remember_log_in
from fleet.services import auth as auth_service
from fleet.services.auth import Principal
from fleet.web.views.common import bp, home_for, page, rerender

ENDED_NOTICES = ("expired", "disabled", "removed", "logged_out", "everywhere")


def _restart_flask_session() -> None:
    """A new form token with every log-in and log-out; the language chosen stays."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _drop_cookie(response):
    response.delete_cookie(SESSION_COOKIE, path="/", secure=current_app.config["SESSION_COOKIE_SECURE"],
                           httponly=True, samesite="Lax")
    return response


@bp.route("/")
def index():
    principal = current_principal()
    return redirect(home_for(principal) if principal else url_for("web.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        ended = request.args.get("ended")
        return render_template("login.html", form={}, ended=ended if ended in ENDED_NOTICES else None)
    try:
        person = auth_service.log_in(get_directory(), request.form.get("username", "").strip(),
                                     request.form.get("password", ""))
    except FleetError as exc:
        return rerender("login.html", exc)
    config = current_app.config
    issued = auth_service.start_session(person, kind="page", hours=config["FLEET_SESSION_HOURS"],
                                        idle_minutes=config["FLEET_IDLE_MINUTES"], address=request.remote_addr,
                                        user_agent=request.user_agent.string)
    remember_log_in(person)
    _restart_flask_session()
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        target = ""
    response = redirect(target or home_for(Principal(person.uid, person.name, frozenset(person.roles))))
    response.set_cookie(SESSION_COOKIE, issued.token, expires=issued.expires_at, path="/", httponly=True,
                        secure=config["SESSION_COOKIE_SECURE"], samesite="Lax")
    return response


@bp.route("/logout", methods=["POST"])
def logout():
    """End this session: its row goes, so a copy of the cookie opens nothing afterwards."""
    principal = current_principal()
    if principal is not None and principal.session is not None:
        auth_service.log_out(principal.session, principal)
    _restart_flask_session()
    return _drop_cookie(redirect(url_for("web.login", ended="logged_out")))


@bp.route("/me/sessions")
@page()
def my_sessions(principal):
    idle = current_app.config["FLEET_IDLE_MINUTES"]
    return render_template("sessions.html", person_uid=principal.uid, mine=True,
                           sessions=auth_service.list_sessions(principal.uid, idle), idle_minutes=idle,
                           current_id=principal.session.id if principal.session else None,
                           ends_at=lambda row: auth_service.idle_ends_at(row, idle))


@bp.route("/me/sessions/<int:session_id>/end", methods=["POST"])
@page()
def my_session_end(principal, session_id: int):
    owner = auth_service.end_session(session_id, principal)
    note_access("change", f"session:{session_id}", [owner])  # IT staff may end another person's session here
    if principal.session and session_id == principal.session.id:
        _restart_flask_session()
        return _drop_cookie(redirect(url_for("web.login", ended="logged_out")))
    return redirect(url_for("web.my_sessions"))


@bp.route("/me/sessions/end-all", methods=["POST"])
@page()
def my_sessions_end_all(principal):
    return _log_out_everywhere(principal)


def _log_out_everywhere(principal: Principal):
    """Log out everywhere: every page session and token of this person ends, this one too."""
    auth_service.end_all_sessions(principal.uid, principal.uid, "self")
    _restart_flask_session()
    return _drop_cookie(redirect(url_for("web.login", ended="everywhere")))


@bp.route("/desk/sessions")
@page("it")
def person_sessions(principal):
    """IT staff: where a person is logged in (created, last used, from which address)."""
    uid = request.args.get("uid", "").strip()[:256]
    idle = current_app.config["FLEET_IDLE_MINUTES"]
    if uid:
        note_access("view", f"sessions:{uid}", [uid])  # where a person is logged in, from which address
    return render_template("sessions.html", person_uid=uid, mine=False, current_id=None, idle_minutes=idle,
                           sessions=auth_service.list_sessions(uid, idle) if uid else [],
                           ends_at=lambda row: auth_service.idle_ends_at(row, idle), ended=request.args.get("ended"))


@bp.route("/desk/sessions/end-all", methods=["POST"])
@page("it")
def person_sessions_end_all(principal):
    """IT staff log a person out everywhere (a lost phone, a leaver not yet disabled in the directory)."""
    uid = request.args.get("uid", "").strip()[:256]
    if uid == principal.uid:
        return _log_out_everywhere(principal)
    ended = auth_service.end_all_sessions(uid, principal.uid, "it") if uid else 0
    if uid:
        note_access("change", f"sessions:{uid}", [uid])
    return redirect(url_for("web.person_sessions", uid=uid, ended=ended))


@bp.route("/session/extend", methods=["POST"])
def extend_session():
    """Renew the idle clock now (the "extend" of a warning before the session ends); answers the new end.

    A form post (or fetch with the X-CSRF-Token header) of a logged-in page: the renewal of this
    request is what extends it.
    """
    principal = current_principal()
    if principal is None or principal.session is None:
        raise NotAuthenticated("The session has ended. Log in again.")
    live = auth_service.extend(principal.session, current_app.config["FLEET_IDLE_MINUTES"], request.remote_addr)
    return jsonify(expires_at=live.ends_at.isoformat(), idle_expires_at=live.idle_expires_at.isoformat(),
                   absolute_expires_at=live.expires_at.isoformat())


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

