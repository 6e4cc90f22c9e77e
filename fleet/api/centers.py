from flask.views import MethodView
from flask_smorest import Blueprint

from fleet.schemas.centers import (
    CenterCreateSchema,
    CenterPageSchema,
    CenterQueryArgsSchema,
    CenterSchema,
    CenterUpdateSchema,
)
from fleet.security import require_principal, roles_required
from fleet.services import centers as center_service

blp = Blueprint("centers", __name__, url_prefix="/api/v1", description="Smart work centers and other sites")
SECURITY = [{"bearerAuth": []}]


@blp.route("/centers")
class Centers(MethodView):
    @roles_required()
    @blp.arguments(CenterQueryArgsSchema, location="query")
    @blp.response(200, CenterPageSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @blp.doc(security=SECURITY)
    def get(self, args):
        """Every center, in order of registration."""
        page = center_service.list_centers(**args)
        return {"items": page.items, "next_cursor": page.next_cursor}

    @roles_required("it")
    @blp.arguments(CenterCreateSchema)
    @blp.response(201, CenterSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @blp.doc(security=SECURITY)
    def post(self, body):
        """Register a center (IT staff)."""
        return center_service.create_center(require_principal(), **body)


@blp.route("/centers/<string:code>")
class CenterByCode(MethodView):
    @roles_required()
    @blp.response(200, CenterSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(security=SECURITY)
    def get(self, code):
        """One center."""
        return center_service.get_center(code)

    @roles_required("it")
    @blp.arguments(CenterUpdateSchema)
    @blp.response(200, CenterSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @blp.doc(security=SECURITY)
    def patch(self, body, code):
        """Change a center's name, kind, address or seats (IT staff)."""
        return center_service.update_center(center_service.get_center(code), require_principal(), **body)
