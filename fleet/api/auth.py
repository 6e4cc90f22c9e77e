from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from fleet.api.common import documented_errors
from fleet.errors import NotAuthenticated
from fleet.schemas.auth import MeSchema, TokenCreateSchema, TokenSchema
from fleet.security import get_directory, require_principal
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
        """Log in with the directory password; answers a bearer token."""
        issued = auth_service.issue_token(get_directory(), body["username"], body["password"],
                                          hours=current_app.config["FLEET_TOKEN_HOURS"])
        return {"token": issued.token, "expires_at": issued.expires_at, "uid": issued.person.uid,
                "roles": sorted(issued.person.roles)}

    @blp.response(204)
    @errors(401)
    @blp.doc(security=[{"bearerAuth": []}])
    def delete(self):
        """Log out: revoke the bearer token sent with this request."""
        require_principal()
        header = request.headers.get("Authorization", "")
        if not auth_service.revoke_token(header[7:].strip()):
            raise NotAuthenticated("The token is not live.")
        return ""


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    @errors(401, 503)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """The caller: uid, name, department, roles."""
        principal = require_principal()
        return people_service.describe_me(get_directory(), principal)
