from flask import current_app, request
from flask.views import MethodView

from fleet.access_log.recording import note_access
from fleet.api.common import documented_errors
from fleet.db import utcnow
from fleet.errors import NotAuthenticated
from fleet.schemas.auth import (
    CurrentSessionSchema,
    MeSchema,
    SessionListSchema,
    SessionsEndedSchema,
    TokenCreateSchema,
    TokenSchema,
)
from fleet.schemas.parsing import Blueprint
from fleet.security import get_directory, keep_idle_clock, remember_log_in, require_principal, roles_required
from fleet.services import auth as auth_service
from fleet.services import people as people_service

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Log-in and the caller")
errors = documented_errors(blp)


@blp.route("/auth/token")
class Tokens(MethodView):
    @blp.arguments(TokenCreateSchema())
    @blp.response(201, TokenSchema)
    @errors(400, 401, 503)
    def post(self, body):
        """Log in with the directory password; answers a bearer token.

        The token ends at `expires_at` (FLEET_SESSION_HOURS), after FLEET_IDLE_MINUTES without use, at
        log-out, or when the directory disables the person (checked every FLEET_ROLE_RECHECK_SECONDS).
        """
        config = current_app.config
        issued = auth_service.issue_token(get_directory(), body["username"], body["password"],
                                          hours=config["FLEET_SESSION_HOURS"],
                                          idle_minutes=config["FLEET_IDLE_MINUTES"], address=request.remote_addr,
                                          user_agent=request.user_agent.string)
        remember_log_in(issued.person)
        return {"token": issued.token, "expires_at": issued.expires_at, "uid": issued.person.uid,
                "roles": sorted(issued.person.roles)}

    @blp.response(204)
    @errors(401)
    @blp.doc(security=[{"bearerAuth": []}])
    def delete(self):
        """Log out: end the bearer token sent with this request."""
        principal = require_principal()
        if principal.session is None or principal.session.kind != "api" \
                or not auth_service.log_out(principal.session, principal):
            raise NotAuthenticated("The token is not live.")
        return ""


def session_view(row, idle_minutes: float, current_id: int | None) -> dict:
    return {"id": row.id, "kind": row.kind, "created_at": row.created_at,
            "last_used_at": row.last_used_at or row.created_at, "address": row.address,
            "last_address": row.last_address, "user_agent": row.user_agent,
            "idle_expires_at": auth_service.idle_ends_at(row, idle_minutes), "expires_at": row.expires_at,
            "current": row.id == current_id}


def _sessions_of(uid: str, current_id: int | None) -> dict:
    idle = current_app.config["FLEET_IDLE_MINUTES"]
    return {"items": [session_view(row, idle, current_id) for row in auth_service.list_sessions(uid, idle)]}


@blp.route("/auth/session")
class CurrentSession(MethodView):
    @keep_idle_clock
    @blp.response(200, CurrentSessionSchema)
    @errors(401, 503)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """The caller's session and the time it has left. Asking does not renew it.

        For a page that warns before the session ends: `ends_at` is the earlier of the idle limit
        (`idle_expires_at`, moved by activity at most once a minute) and the absolute limit.
        """
        principal = require_principal()
        live = principal.session
        left = live.seconds_left(utcnow())
        return {"kind": live.kind, "created_at": live.created_at, "ends_at": live.ends_at,
                "idle_expires_at": live.idle_expires_at, "expires_at": live.expires_at, "seconds_left": left,
                "idle_minutes": current_app.config["FLEET_IDLE_MINUTES"]}


@blp.route("/auth/sessions")
class MySessions(MethodView):
    @blp.response(200, SessionListSchema)
    @errors(401, 503)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """The caller's live sessions: page sessions and API tokens (created, last used, from where)."""
        principal = require_principal()
        return _sessions_of(principal.uid, principal.session.id if principal.session else None)

    @blp.response(200, SessionsEndedSchema)
    @errors(401, 503)
    @blp.doc(security=[{"bearerAuth": []}])
    def delete(self):
        """Log out everywhere: every page session and token of the caller ends, this one too."""
        principal = require_principal()
        return {"ended": auth_service.end_all_sessions(principal.uid, principal.uid, "self")}


@blp.route("/auth/sessions/<int:session_id>")
class SessionById(MethodView):
    @blp.response(204)
    @errors(401, 404, 503)
    @blp.doc(security=[{"bearerAuth": []}])
    def delete(self, session_id):
        """End one session or token of the caller's (IT staff: anyone's)."""
        owner = auth_service.end_session(session_id, require_principal())
        note_access("change", f"session:{session_id}", [owner])  # IT staff ending another person's session
        return ""


@blp.route("/people/<string:uid>/sessions")
class PersonSessions(MethodView):
    @roles_required("it")
    @blp.response(200, SessionListSchema)
    @errors(401, 403, 503)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, uid):
        """IT staff: a person's live sessions and tokens."""
        principal = require_principal()
        note_access("view", f"sessions:{uid}", [uid])  # where a person is logged in, from which address
        return _sessions_of(uid, principal.session.id if principal.session else None)

    @roles_required("it")
    @blp.response(200, SessionsEndedSchema)
    @errors(401, 403, 503)
    @blp.doc(security=[{"bearerAuth": []}])
    def delete(self, uid):
        """IT staff: log a person out everywhere (every page session and token ends)."""
        principal = require_principal()
        note_access("change", f"sessions:{uid}", [uid])
        return {"ended": auth_service.end_all_sessions(uid, principal.uid, "self" if uid == principal.uid else "it")}


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    @errors(401, 503)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """The caller: uid, name, department, roles."""
        principal = require_principal()
        return people_service.describe_me(get_directory(), principal)
